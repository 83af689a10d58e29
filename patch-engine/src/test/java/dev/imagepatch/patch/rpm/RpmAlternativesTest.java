package dev.imagepatch.patch.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.Architecture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state files and links chkconfig's {@code alternatives} leaves, as its alternatives.c writes
 * them ({@code writeState}: mode, generic link, slave name/link pairs, an empty line, then per
 * alternative its target, {@code [@family@]priority}, one line per slave target, empty where it
 * has none). There is no chkconfig on a Debian machine to judge with (Debian's
 * {@code update-alternatives} is dpkg's, another format), so the expectations are written from the
 * program's source: slaves in command-line order on a first install, sorted by link once a second
 * alternative joins ({@code matchSlaves}), a removal swapping the last alternative into the gap,
 * and a link set by hand turning the mode to manual ({@code readConfig}), which a later install
 * keeps.
 */
class RpmAlternativesTest {
  private static final String JAVA11 = "/usr/lib/jvm/java-11/bin/";
  private static final String JAVA17 = "/usr/lib/jvm/java-17/bin/";

  @TempDir
  Path tmp;

  @Test
  void installSecondInstallAndRemove() throws Exception {
    Path root = image();
    PatchLayer layer = layer(root);
    RpmAlternatives alternatives = new RpmAlternatives(layer);

    String post11 = "#!/bin/sh\n/usr/sbin/alternatives --install /usr/bin/java java " + JAVA11 + "java 1100 \\\n"
        + "  --slave /usr/bin/keytool keytool " + JAVA11 + "keytool \\\n"
        + "  --slave /usr/bin/jar jar " + JAVA11 + "jar\n";
    assertTrue(alternatives.run(post11, 1));
    alternatives.write();
    assertEquals("auto\n/usr/bin/java\nkeytool\n/usr/bin/keytool\njar\n/usr/bin/jar\n\n"
        + JAVA11 + "java\n1100\n" + JAVA11 + "keytool\n" + JAVA11 + "jar\n", state(layer, "java"));
    assertEquals(Map.of("etc/alternatives/jar", JAVA11 + "jar", "etc/alternatives/java", JAVA11 + "java",
        "etc/alternatives/keytool", JAVA11 + "keytool", "usr/bin/jar", "/etc/alternatives/jar",
        "usr/bin/java", "/etc/alternatives/java", "usr/bin/keytool", "/etc/alternatives/keytool"), links(layer));

    layer = layer(root);
    alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run(post11, 1));
    String post17 = "alternatives --install /usr/bin/java java " + JAVA17 + "java 1700 "
        + "--slave /usr/bin/keytool keytool " + JAVA17 + "keytool --slave /usr/bin/jar jar " + JAVA17 + "jar "
        + "--slave /usr/bin/javac javac " + JAVA17 + "javac >/dev/null 2>&1 || :\n";
    assertTrue(alternatives.run(post17, 1));
    alternatives.write();
    assertEquals("auto\n/usr/bin/java\njar\n/usr/bin/jar\njavac\n/usr/bin/javac\nkeytool\n/usr/bin/keytool\n\n"
        + JAVA11 + "java\n1100\n" + JAVA11 + "jar\n\n" + JAVA11 + "keytool\n"
        + JAVA17 + "java\n1700\n" + JAVA17 + "jar\n" + JAVA17 + "javac\n" + JAVA17 + "keytool\n", state(layer, "java"));
    assertEquals(JAVA17 + "java", links(layer).get("etc/alternatives/java"));
    assertEquals(JAVA17 + "javac", links(layer).get("etc/alternatives/javac"));
    assertEquals("/etc/alternatives/javac", links(layer).get("usr/bin/javac"));

    layer = layer(root);
    alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run(post11, 1));
    assertTrue(alternatives.run(post17, 1));
    String postun17 = "if [ \"$1\" = 0 ]; then\n  update-alternatives --remove java " + JAVA17 + "java\nfi\n";
    assertTrue(alternatives.run(postun17, 1), "an upgrade: $1 is 1, nothing removed");
    assertTrue(alternatives.run(postun17, 0));
    alternatives.write();
    assertEquals("auto\n/usr/bin/java\njar\n/usr/bin/jar\njavac\n/usr/bin/javac\nkeytool\n/usr/bin/keytool\n\n"
        + JAVA11 + "java\n1100\n" + JAVA11 + "jar\n\n" + JAVA11 + "keytool\n", state(layer, "java"));
    Map<String, String> links = links(layer);
    assertEquals(JAVA11 + "java", links.get("etc/alternatives/java"));
    assertEquals(JAVA11 + "jar", links.get("etc/alternatives/jar"));
    assertFalse(links.containsKey("etc/alternatives/javac"), "no alternative has javac any more: " + links);
    assertFalse(links.containsKey("usr/bin/javac"));
  }

  @Test
  void manualChoiceKeptAcrossAnInstall() throws Exception {
    Path root = image();
    Files.writeString(root.resolve("var/lib/alternatives/java"), "auto\n/usr/bin/java\n\n"
        + JAVA11 + "java\n1100\n/usr/lib/jvm/java-8/bin/java\n@java-8@800\n");
    Files.createSymbolicLink(root.resolve("etc/alternatives/java"), Path.of("/usr/lib/jvm/java-8/bin/java"));
    Files.createSymbolicLink(root.resolve("usr/bin/java"), Path.of("/etc/alternatives/java"));
    PatchLayer layer = layer(root);
    RpmAlternatives alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run("/usr/sbin/alternatives --install /usr/bin/java java " + JAVA17 + "java 1700 "
        + "--family java-17", 1));
    alternatives.write();
    // The link names java-8, not the best (java-11): readConfig turns the mode to manual, and
    // writeState without forceLinks leaves the links of a manual set alone.
    assertEquals("manual\n/usr/bin/java\n\n" + JAVA11 + "java\n1100\n/usr/lib/jvm/java-8/bin/java\n@java-8@800\n"
        + JAVA17 + "java\n@java-17@1700\n", state(layer, "java"));
    assertEquals(Map.of(), links(layer));
  }

  @Test
  void removingTheLastAlternativeRemovesStateAndLinks() throws Exception {
    Path root = image();
    Files.writeString(root.resolve("var/lib/alternatives/mta"), "auto\n/usr/sbin/sendmail\nmta-mailq\n"
        + "/usr/bin/mailq\n\n/usr/sbin/sendmail.postfix\n30\n/usr/bin/mailq.postfix\n");
    Files.createSymbolicLink(root.resolve("etc/alternatives/mta"), Path.of("/usr/sbin/sendmail.postfix"));
    Files.createSymbolicLink(root.resolve("etc/alternatives/mta-mailq"), Path.of("/usr/bin/mailq.postfix"));
    Files.createDirectories(root.resolve("usr/sbin"));
    Files.createSymbolicLink(root.resolve("usr/sbin/sendmail"), Path.of("/etc/alternatives/mta"));
    Files.createSymbolicLink(root.resolve("usr/bin/mailq"), Path.of("/etc/alternatives/mta-mailq"));
    PatchLayer layer = layer(root);
    RpmAlternatives alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run("if [ $1 -eq 0 ] ; then\n\t/usr/sbin/alternatives --remove mta "
        + "/usr/sbin/sendmail.postfix\nfi", 0));
    alternatives.write();
    assertEquals(List.of("etc/alternatives/.wh.mta", "etc/alternatives/.wh.mta-mailq", "usr/bin/.wh.mailq",
        "usr/sbin/.wh.sendmail", "var/lib/alternatives/.wh.mta"),
        layer.builder().entries().keySet().stream().sorted().toList());
  }

  @Test
  void shortGuardsAndNumbers() throws Exception {
    PatchLayer layer = layer(image());
    RpmAlternatives alternatives = new RpmAlternatives(layer);
    String post = "[ \"$1\" -ge 1 ] && /usr/sbin/update-alternatives --install /usr/bin/nc nmap /usr/bin/ncat 0x10 \\\n"
        + "  --slave /usr/share/man/man1/nc.1.gz nmap-man /usr/share/man/man1/ncat.1.gz || :\n";
    assertTrue(alternatives.run(post, 0), "the guard is false: nothing");
    assertTrue(alternatives.run(post, 1));
    assertTrue(alternatives.run("test $1 = 0 || exit 0\nalternatives --install /usr/bin/nc nmap //opt//nc 010\n", 2),
        "exit 0 when $1 is not 0");
    alternatives.write();
    // 0x10 is 16 to strtol; the second install never ran.
    assertEquals("auto\n/usr/bin/nc\nnmap-man\n/usr/share/man/man1/nc.1.gz\n\n/usr/bin/ncat\n16\n"
        + "/usr/share/man/man1/ncat.1.gz\n", state(layer, "nmap"));
    assertEquals("/etc/alternatives/nmap-man", links(layer).get("usr/share/man/man1/nc.1.gz"));

    layer = layer(image());
    alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run("test $1 = 0 || exit 0\nalternatives --install /usr/bin/nc nmap //opt//nc 010\n", 0));
    alternatives.write();
    assertEquals("auto\n/usr/bin/nc\n\n/opt/nc\n8\n", state(layer, "nmap"), "paths normalized, 010 octal");
  }

  @Test
  void withoutTheProgramNothingHappens() throws Exception {
    Path root = image();
    Files.delete(root.resolve("usr/sbin/update-alternatives"));
    PatchLayer layer = layer(root);
    RpmAlternatives alternatives = new RpmAlternatives(layer);
    assertTrue(alternatives.run("update-alternatives --install /usr/bin/a a /opt/a 1 || :\n", 1),
        "command not found: the scriptlet ran, to no effect");
    alternatives.write();
    assertTrue(layer.builder().entries().isEmpty());
    assertTrue(alternatives.run("alternatives --install /usr/bin/a a /opt/a 1\n", 1));
    alternatives.write();
    assertEquals("auto\n/usr/bin/a\n\n/opt/a\n1\n", state(layer, "a"));
  }

  /** Mutated state files and scripts: run() answers true or false, write() writes; nothing throws. */
  @Test
  void mutatedInputsNeverThrow() throws Exception {
    String state = "auto\n/usr/bin/java\njar\n/usr/bin/jar\n\n" + JAVA11 + "java\n@f@1100 x\n" + JAVA11 + "jar\n"
        + JAVA17 + "java\n1700\n\n";
    String script = "if [ \"$1\" -eq 0 ]; then\n  alternatives --install /usr/bin/java java " + JAVA17 + "java 1 --slave "
        + "/usr/bin/jar jar /opt/jar --family f\nfi\n[ $1 = 1 ] && alternatives --remove java " + JAVA11 + "java || :\n"
        + "alternatives --set java " + JAVA17 + "java\nalternatives --auto java >/dev/null 2>&1\n";
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 100; round++) {
      Path root = image();
      Files.writeString(root.resolve("var/lib/alternatives/java"), mutate(state, random));
      Files.createSymbolicLink(root.resolve("etc/alternatives/java"), Path.of(JAVA11 + "java"));
      PatchLayer layer = layer(root);
      RpmAlternatives alternatives = new RpmAlternatives(layer);
      alternatives.run(mutate(script, random), random.nextInt(3));
      alternatives.run(script, random.nextInt(3));
      alternatives.write();
    }
  }

  private static String mutate(String s, java.util.Random random) {
    StringBuilder b = new StringBuilder(s);
    for (int i = 0, n = 1 + random.nextInt(4); i < n && b.length() > 0; i++) {
      int at = random.nextInt(b.length());
      switch (random.nextInt(4)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, "\n/.@ 0x$;\"'[".charAt(random.nextInt(11)));
        case 2 -> b.setLength(at);
        default -> b.setCharAt(at, (char) (32 + random.nextInt(95)));
      }
    }
    return b.toString();
  }

  @Test
  void otherShellIsNotRun() throws Exception {
    PatchLayer layer = layer(image());
    RpmAlternatives alternatives = new RpmAlternatives(layer);
    assertFalse(alternatives.run("alternatives --install /usr/bin/a a /opt/a 1\nsystemctl daemon-reload\n", 1));
    assertFalse(alternatives.run("alternatives --install /usr/bin/a a /opt/a 1 --initscript a\n", 1));
    assertFalse(alternatives.run("alternatives --install /usr/bin/a a /opt/a $PRIORITY\n", 1));
    assertFalse(alternatives.run("alternatives --install /usr/bin/a a /opt/a 1 > /tmp/log\n", 1));
    assertFalse(alternatives.run("alternatives --install /usr/bin/a a relative 1\n", 1), "usage error");
    alternatives.write();
    assertTrue(layer.builder().entries().isEmpty());
    assertTrue(alternatives.run("# nothing\n:\n", 1));
  }

  private Path image() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root" + System.nanoTime()));
    Files.createDirectories(root.resolve("usr/bin"));
    Files.createDirectories(root.resolve("etc/alternatives"));
    Files.createDirectories(root.resolve("var/lib/alternatives"));
    Files.createDirectories(root.resolve("usr/sbin"));
    Files.writeString(root.resolve("usr/sbin/alternatives"), "ELF");
    Files.createSymbolicLink(root.resolve("usr/sbin/update-alternatives"), Path.of("alternatives"));
    return root;
  }

  private PatchLayer layer(Path root) throws Exception {
    Path work = Files.createTempDirectory(tmp, "work");
    Path base = work.resolve("base.tar");
    DirectoryLayer.of(root).write(base, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)),
        RpmAlternatives.needs().keep(), p -> false);
    return new PatchLayer(fs, Architecture.of("x86_64", ""), Files.createDirectories(work.resolve("staging")),
        1_700_000_000L, Long.MAX_VALUE);
  }

  private static String state(PatchLayer layer, String name) {
    return new String(layer.generated("var/lib/alternatives/" + name).orElseThrow(), StandardCharsets.UTF_8);
  }

  private static Map<String, String> links(PatchLayer layer) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, FsEntry> e : layer.builder().entries().entrySet()) {
      if (e.getValue().type() == FsEntry.Type.SYMLINK) {
        out.put(e.getKey(), e.getValue().linkTarget());
      }
    }
    return out;
  }
}
