package dev.imagepatch.patch.deb;
import dev.imagepatch.patch.effects.DirectoryTree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.testing.Commands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * update-alternatives calls read from the real mawk postinst, and an upgrade that adds a better
 * choice, applied by us and by the real {@code update-alternatives --root}: the same
 * administrative file, byte for byte, and the same links.
 */
class AlternativesTest {
  @TempDir
  Path tmp;

  @Test
  void sameAdminFileAndLinksAsUpdateAlternatives() throws Exception {
    byte[] postinst;
    try (InputStream in = getClass().getResourceAsStream("/debian/mawk_1.3.4.20200120-3.1.postinst")) {
      postinst = in.readAllBytes();
    }
    Alternatives.Calls mawk = Alternatives.parse(postinst);
    assertTrue(mawk.understood());
    assertEquals(1, mawk.installs().size());
    assertEquals(List.of("awk.1.gz", "nawk", "nawk.1.gz"), List.copyOf(mawk.installs().get(0).slaves().keySet()));

    Path root = Files.createDirectories(tmp.resolve("root"));
    for (String f : List.of("usr/bin/mawk", "usr/bin/gawk", "usr/share/man/man1/mawk.1.gz",
        "usr/share/man/man1/gawk.1.gz")) {
      Files.createDirectories(root.resolve(f).getParent());
      Files.writeString(root.resolve(f), f);
    }
    Files.createDirectories(root.resolve("var/lib/dpkg/alternatives"));
    Files.createDirectories(root.resolve("etc/alternatives"));
    real(root, mawk.installs().get(0));

    // An unchanged call changes nothing.
    Alternatives.Outcome same = Alternatives.apply(new DirectoryTree(root), mawk.installs());
    assertEquals(Map.of(), same.adminFiles());
    assertEquals(Map.of(), same.links());
    assertEquals(java.util.Set.of(), same.removed());

    // A better choice arrives: auto mode follows it, the slave it lacks keeps no link to follow.
    byte[] gawk = ("#!/bin/sh\nset -e\nupdate-alternatives --install /usr/bin/awk awk /usr/bin/gawk 10 \\\n"
        + "  --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/gawk.1.gz \\\n"
        + "  --slave /usr/bin/nawk nawk /usr/bin/gawk\n").getBytes(StandardCharsets.UTF_8);
    Alternatives.Calls calls = Alternatives.parse(gawk);
    Path reference = tmp.resolve("reference");
    Commands.runText("cp", "-a", root.toString(), reference.toString());
    real(reference, calls.installs().get(0));
    Alternatives.Outcome ours = Alternatives.apply(new DirectoryTree(root), calls.installs());
    ours.adminFiles().forEach((p, b) -> write(root.resolve(p), b));
    for (String p : ours.removed()) {
      Files.delete(root.resolve(p));
    }
    for (Map.Entry<String, String> l : ours.links().entrySet()) {
      Files.deleteIfExists(root.resolve(l.getKey()));
      Files.createSymbolicLink(root.resolve(l.getKey()), Path.of(l.getValue()));
    }
    assertEquals(Files.readString(reference.resolve("var/lib/dpkg/alternatives/awk")),
        Files.readString(root.resolve("var/lib/dpkg/alternatives/awk")));
    assertEquals(links(reference), links(root));
    assertEquals("/usr/bin/gawk", Files.readSymbolicLink(root.resolve("etc/alternatives/awk")).toString());
    assertFalse(Alternatives.parse("update-alternatives --install $L awk /usr/bin/x 1\n".getBytes()).understood());
  }

  private static void real(Path root, Alternatives.Install in) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("update-alternatives", "--quiet", "--root", root.toString(),
        "--install", in.link(), in.name(), in.path(), Integer.toString(in.priority())));
    in.slaves().forEach((name, lp) -> cmd.addAll(List.of("--slave", lp[0], name, lp[1])));
    Commands.runText(cmd.toArray(String[]::new));
  }

  private static Map<String, String> links(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        if (Files.isSymbolicLink(p)) {
          out.put(root.relativize(p).toString(), Files.readSymbolicLink(p).toString());
        }
      }
    }
    return out;
  }

  private static void write(Path p, byte[] b) {
    try {
      Files.write(p, b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
