package dev.imagepatch.patch.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The applet table read from real Alpine busybox binaries (x86_64 and aarch64 of 3.10.3, 3.10.9
 * and 3.20.3, and armhf 1.27.2 from v3.7), judged by what {@code busybox --install -s} really
 * made: every symlink to {@code /bin/busybox} in the real minirootfs, and nothing else. Then the
 * effect over a real 3.10.3 image upgraded to 3.10.9's busybox: the links are 3.10.9's.
 */
class BusyboxAppletsTest {
  private static final String MINIROOTFS = "vectors/alpine/minirootfs/alpine-minirootfs-";

  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"3.10.3-x86_64", "3.10.3-aarch64", "3.10.9-x86_64", "3.10.9-aarch64", "3.20.3-x86_64",
      "3.20.3-aarch64", "3.19.4-x86_64"})
  void tableIsWhatInstallMadeInTheRealRootfs(String release) throws IOException {
    Path rootfs = SharedData.path(MINIROOTFS + release + ".tar.gz");
    Map<String, byte[]> files = new HashMap<>();
    Map<String, String> links = links(rootfs, Set.of(BusyboxApplets.BINARY), files);
    Map<String, Integer> applets = BusyboxApplets.applets(files.get(BusyboxApplets.BINARY)).orElseThrow();
    assertEquals(installed(links), paths(applets));
    assertTrue(applets.size() > 300, "every applet: " + applets.size());
  }

  /**
   * armhf busybox 1.27.2 (Alpine v3.7, a real signed package): the table is found in a 32-bit ARM
   * binary, and agrees with 1.30.1's real links (3.10.3) on all 305 applets both have; the
   * differences are exactly the applets busybox added or Alpine moved out between the two.
   */
  @Test
  void armhfTableAgreesWithLaterReleaseOnCommonApplets() throws IOException {
    byte[] arm = apkFile(SharedData.path("vectors/alpine/apk/v3.7-armhf/busybox-1.27.2-r7.apk"), "bin/busybox");
    assertEquals(40, arm[18] & 0xff, "EM_ARM");
    assertEquals(1, arm[4], "32-bit");
    Map<String, Integer> old = BusyboxApplets.applets(arm).orElseThrow();
    Map<String, byte[]> files = new HashMap<>();
    Map<String, String> later = installed(links(SharedData.path(MINIROOTFS + "3.10.3-x86_64.tar.gz"), Set.of(), files));
    Map<String, String> ours = paths(old);
    Set<String> onlyOld = new TreeSet<>(ours.keySet());
    onlyOld.removeAll(later.keySet());
    Set<String> onlyLater = new TreeSet<>(later.keySet());
    onlyLater.removeAll(ours.keySet());
    assertEquals(Set.of("ssl_client"), onlyOld, "ssl_client became its own package in Alpine 3.8");
    assertEquals(Set.of("arch", "bc"), onlyLater, "applets new in busybox 1.28 and 1.30");
    Map<String, String> common = new TreeMap<>(ours);
    common.keySet().retainAll(later.keySet());
    Map<String, String> laterCommon = new TreeMap<>(later);
    laterCommon.keySet().retainAll(ours.keySet());
    assertEquals(305, common.size());
    assertEquals(laterCommon, common);
  }

  @Test
  void noTableNoApplets() {
    assertTrue(BusyboxApplets.applets(new byte[100]).isEmpty());
    byte[] notElf = "[\0[[\0ls\0\0\u0033\u0011".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(BusyboxApplets.applets(notElf).isEmpty());
  }

  /**
   * A real 3.10.3 image, its links disturbed as images are (one applet link deleted, one stale link
   * of an older busybox, one applet moved to busybox-extras, one foreign link and one file at an
   * applet's path), upgraded to 3.10.9's busybox: the links to busybox are exactly 3.10.9's; the
   * file and the foreign link stay.
   */
  @Test
  void upgradeWritesTheLinksOf3109() throws Exception {
    Path base = tmp.resolve("base.tar");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(SharedData.path(MINIROOTFS + "3.10.3-x86_64.tar.gz")))) {
      Files.copy(in, base);
    }
    LayerBuilder disturb = new LayerBuilder();
    disturb.whiteout("bin/ls");
    disturb.symlink("bin/install", "/bin/busybox", 0, 0, 0);
    disturb.symlink("usr/bin/telnet", "/bin/busybox", 0, 0, 0);
    disturb.symlink("usr/bin/foreign", "/usr/local/bin/foreign", 0, 0, 0);
    disturb.file("usr/bin/unzip", 0755, 0, 0, 0, 3, () -> new ByteArrayInputStream("zip".getBytes()));
    Path lower = tmp.resolve("lower.tar");
    disturb.write(lower, LayerBuilder.Compression.NONE, 0);

    BusyboxApplets effect = new BusyboxApplets();
    ImageNeeds needs = effect.needs();
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base),
        () -> Files.newInputStream(lower)), needs.keep(), needs.hash(), needs.spool(),
        Files.createDirectories(tmp.resolve("spool")), dev.imagepatch.patch.effects.LdConfig.SONAMES);
    PatchLayer layer = new PatchLayer(fs, Architecture.of("x86_64", ""), Files.createDirectories(tmp.resolve("staging")),
        1_700_000_000L, Long.MAX_VALUE);

    // The new package's files, as the backend unpacks them.
    Map<String, byte[]> newFiles = new HashMap<>();
    Map<String, String> newLinks = links(SharedData.path(MINIROOTFS + "3.10.9-x86_64.tar.gz"),
        Set.of(BusyboxApplets.BINARY), newFiles);
    layer.file(BusyboxApplets.BINARY, 0755, 0, 0, 1_600_000_000L,
        layer.stage(new ByteArrayInputStream(newFiles.get(BusyboxApplets.BINARY))));
    layer.symlink("bin/sh", "/bin/busybox", 0, 0, 1_600_000_000L);

    assertTrue(effect.apply(layer, List.of(new PackageChange("busybox", "x86_64", "1.30.1-r2", "1.30.1-r5",
        "requested"))));
    assertTrue(layer.notes().isEmpty(), layer.notes().toString());
    Path top = tmp.resolve("layer.tar");
    layer.builder().write(top, LayerBuilder.Compression.NONE, 0);
    MergedFilesystem merged = MergedFilesystem.read(List.of(() -> Files.newInputStream(base),
        () -> Files.newInputStream(lower), () -> Files.newInputStream(top)), p -> false, p -> false);
    Map<String, String> result = new TreeMap<>();
    for (FsEntry e : merged.entries().values()) {
      if (e.type() == FsEntry.Type.SYMLINK && e.linkTarget().equals("/bin/busybox")) {
        result.put(e.path(), e.linkTarget());
      }
    }
    Map<String, String> expected = new TreeMap<>();
    newLinks.forEach((p, t) -> {
      if (t.equals("/bin/busybox") && !p.equals("usr/bin/unzip")) {
        expected.put(p, t);
      }
    });
    assertEquals(expected, result);
    assertEquals(FsEntry.Type.FILE, merged.entry("usr/bin/unzip").orElseThrow().type(), "not overwritten");
    assertEquals("/usr/local/bin/foreign", merged.entry("usr/bin/foreign").orElseThrow().linkTarget());
    // What the layer itself wrote: the deleted link back, the stale ones removed, nothing else.
    Set<String> written = new TreeSet<>(layer.builder().entries().keySet());
    written.removeAll(Set.of("bin/busybox", "bin/sh"));
    assertEquals(Set.of("bin/ls", "bin/.wh.install", "usr/bin/.wh.telnet"), written);
    assertTrue(layer.removed().contains("usr/bin/telnet"));
  }

  /** Without busybox among the changes and nothing changed in its directories, the trigger does not fire. */
  @Test
  void quietWhenTheTriggerDoesNotFire() throws Exception {
    Path base = tmp.resolve("base.tar");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(SharedData.path(MINIROOTFS + "3.10.3-x86_64.tar.gz")))) {
      Files.copy(in, base);
    }
    BusyboxApplets effect = new BusyboxApplets();
    ImageNeeds needs = effect.needs();
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), needs.keep(), needs.hash(),
        needs.spool(), Files.createDirectories(tmp.resolve("spool")), dev.imagepatch.patch.effects.LdConfig.SONAMES);
    PatchLayer layer = new PatchLayer(fs, Architecture.of("x86_64", ""), Files.createDirectories(tmp.resolve("st")),
        1_700_000_000L, Long.MAX_VALUE);
    assertTrue(effect.apply(layer, List.of(new PackageChange("zlib", "x86_64", "1.2.11-r1", "1.2.11-r2", "r"))));
    assertTrue(layer.builder().entries().isEmpty());
    // A package removing a file that shadowed an applet fires it: the image's own busybox relinks it.
    layer.whiteout("bin/ls");
    assertTrue(effect.apply(layer, List.of(new PackageChange("coreutils", "x86_64", "8", "9", "r"))));
    assertEquals("/bin/busybox", layer.builder().entry("bin/ls").orElseThrow().linkTarget());
    assertFalse(layer.builder().entries().containsKey("bin/cat"));
  }

  // ---- reading the real data in place ----

  /** Applet to directory, as the links busybox made show it. */
  private static Map<String, String> installed(Map<String, String> links) {
    Map<String, String> out = new TreeMap<>();
    links.forEach((path, target) -> {
      if (target.equals("/bin/busybox")) {
        int slash = path.lastIndexOf('/');
        out.put(path.substring(slash + 1), slash < 0 ? "" : path.substring(0, slash));
      }
    });
    return out;
  }

  private static Map<String, String> paths(Map<String, Integer> applets) {
    Map<String, String> out = new TreeMap<>();
    applets.forEach((name, dir) -> out.put(name, BusyboxApplets.DIRECTORIES.get(dir)));
    return out;
  }

  /** Every symlink of a rootfs tarball, path to target; the contents of {@code wanted} into {@code files}. */
  private static Map<String, String> links(Path tarGz, Set<String> wanted, Map<String, byte[]> files) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarGz)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = FsEntry.normalize(e.getName());
        if (e.isSymbolicLink()) {
          out.put(name, e.getLinkName());
        } else if (wanted.contains(name)) {
          files.put(name, tar.readAllBytes());
        }
      }
    }
    return out;
  }

  /** A file of a v2 .apk: its three gzip members read as one stream are one run of tar entries. */
  static byte[] apkFile(Path apk, String path) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(apk)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (e.getName().equals(path)) {
          return tar.readAllBytes();
        }
      }
    }
    throw new IOException(apk + ": no " + path);
  }
}
