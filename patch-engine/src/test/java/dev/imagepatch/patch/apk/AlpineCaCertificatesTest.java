package dev.imagepatch.patch.apk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.effects.DirectoryTree;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alpine's trust store against Alpine's own program. The tree: the real armhf
 * {@code ca-certificates-20171114-r0} (its certificates, {@code /etc/ca-certificates.conf},
 * {@code update-ca-certificates} and certhash hook) and {@code musl-1.1.18-r2} (the loader), the
 * four local certificates of the apko test packages {@code custom-ca-certs-1} and {@code -2}, and
 * an old state: a link to a withdrawn root, a link pointing at the wrong file, a foreign link, a
 * file of the user's, and one root deselected with {@code !}. The judge: that real
 * {@code update-ca-certificates} binary run under {@code qemu-arm-static} in a chroot of a copy
 * of the tree gives every {@code ca-cert-*.pem} link, every removal and the bundle byte for byte
 * (the local files' part of the bundle is compared as a set: the program takes them in the host
 * filesystem's readdir order). The hash links (the certhash hook's {@code c_rehash}, which needs
 * a libcrypto the vectors lack) are judged by this machine's {@code openssl rehash} over the
 * reference's resulting directory.
 */
class AlpineCaCertificatesTest {
  private static final String ARMHF = "vectors/alpine/apk/v3.7-armhf/";
  private static final String APKO = "vectors/alpine/apko-x86_64/";
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");

  @TempDir
  Path tmp;

  @Test
  void sameTrustStoreAsAlpinesUpdateCaCertificates() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    extract(SharedData.path(ARMHF + "ca-certificates-20171114-r0.apk"), root);
    extract(SharedData.path(ARMHF + "musl-1.1.18-r2.apk"), root);
    extract(SharedData.path(APKO + "custom-ca-certs-1-1.0.0-r0.apk"), root);
    extract(SharedData.path(APKO + "custom-ca-certs-2-1.0.0-r0.apk"), root);
    Path certs = root.resolve(AlpineCaCertificates.ETC);
    Files.createSymbolicLink(certs.resolve("ca-cert-Withdrawn_Root.pem"),
        Path.of("/usr/share/ca-certificates/mozilla/Withdrawn_Root.crt"));
    Files.createSymbolicLink(certs.resolve("ca-cert-ACCVRAIZ1.pem"),
        Path.of("/usr/share/ca-certificates/mozilla/Old_Name.crt"));
    Files.createSymbolicLink(certs.resolve("other.pem"), Path.of("/opt/other.pem"));
    Files.copy(root.resolve("usr/local/share/ca-certificates/cert-c.crt"), certs.resolve("mine.pem"));
    Path conf = root.resolve(AlpineCaCertificates.CONF);
    Files.writeString(conf, Files.readString(conf).replace("\nmozilla/AddTrust_External_Root.crt\n",
        "\n!mozilla/AddTrust_External_Root.crt\n"));

    Path reference = tmp.resolve("reference");
    Commands.runText("cp", "-a", root.toString(), reference.toString());
    runRealTool(reference);

    AlpineCaCertificates.Outcome o = AlpineCaCertificates.run(new DirectoryTree(root));
    assertEquals(List.of(), o.hooksNotRun(), "certhash is reproduced");
    for (String name : o.removed()) {
      Files.delete(certs.resolve(name));
    }
    for (Map.Entry<String, String> l : o.links().entrySet()) {
      Files.deleteIfExists(certs.resolve(l.getKey()));
      Files.createSymbolicLink(certs.resolve(l.getKey()), Path.of(l.getValue()));
    }
    Files.write(certs.resolve(AlpineCaCertificates.BUNDLE), o.bundle());

    Map<String, String> ours = state(certs);
    Map<String, String> oursHashes = new TreeMap<>(ours);
    oursHashes.keySet().removeIf(n -> !HASH.matcher(n).matches());
    ours.keySet().removeIf(n -> HASH.matcher(n).matches());
    Path refCerts = reference.resolve(AlpineCaCertificates.ETC);
    Map<String, String> real = state(refCerts);
    real.remove(AlpineCaCertificates.BUNDLE);
    ours.remove(AlpineCaCertificates.BUNDLE);
    assertEquals(real, ours);
    assertFalse(ours.containsKey("ca-cert-Withdrawn_Root.pem"));
    assertFalse(ours.containsKey("ca-cert-AddTrust_External_Root.pem"));
    assertEquals("-> /usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt", ours.get("ca-cert-ACCVRAIZ1.pem"));
    assertEquals("-> /usr/local/share/ca-certificates/cert-a.crt", ours.get("ca-cert-cert-a.pem"));
    assertEquals("-> /opt/other.pem", ours.get("other.pem"));

    byte[] realBundle = Files.readAllBytes(refCerts.resolve(AlpineCaCertificates.BUNDLE));
    List<byte[]> local = new ArrayList<>();
    for (String c : List.of("cert-a.crt", "cert-b.crt", "cert-c.crt", "cert-d.crt")) {
      local.add(Files.readAllBytes(root.resolve("usr/local/share/ca-certificates").resolve(c)));
    }
    int localLength = local.stream().mapToInt(b -> b.length).sum();
    assertEquals(realBundle.length, o.bundle().length);
    int global = realBundle.length - localLength;
    assertArrayEquals(Arrays.copyOf(realBundle, global), Arrays.copyOf(o.bundle(), global), "the listed roots, in order");
    assertTrue(sameFilesInSomeOrder(Arrays.copyOfRange(realBundle, global, realBundle.length), local));
    assertTrue(sameFilesInSomeOrder(Arrays.copyOfRange(o.bundle(), global, o.bundle().length), local));

    assertEquals(rehashOf(refCerts, reference), oursHashes);
    assertTrue(oursHashes.size() > 140, "a hash link per root: " + oursHashes.size());
  }

  /**
   * Through a layer over a real 3.20.3 image, which has {@code ca-certificates-bundle} only: its
   * upgrade (the bundle is a plain file of the package) changes nothing else.
   */
  @Test
  void bundlePackageAloneDoesNothing() throws Exception {
    Path base = tmp.resolve("base.tar");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(
        SharedData.path("vectors/alpine/minirootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz")))) {
      Files.copy(in, base);
    }
    AlpineCaCertificates effect = new AlpineCaCertificates();
    ImageNeeds needs = effect.needs();
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), needs.keep(), needs.hash(),
        needs.spool(), Files.createDirectories(tmp.resolve("spool")), dev.imagepatch.patch.effects.LdConfig.SONAMES);
    PatchLayer layer = new PatchLayer(fs, Architecture.of("x86_64", ""), Files.createDirectories(tmp.resolve("st")),
        1_700_000_000L, Long.MAX_VALUE);
    byte[] newBundle = "-----BEGIN CERTIFICATE-----\n...\n".getBytes(StandardCharsets.US_ASCII);
    layer.file("etc/ssl/certs/ca-certificates.crt", 0644, 0, 0, 1_700_000_000L,
        layer.stage(new ByteArrayInputStream(newBundle)));
    assertTrue(effect.apply(layer, List.of(new PackageChange("ca-certificates-bundle", "x86_64", "20240226-r0",
        "20240705-r0", "requested"))));
    assertEquals(List.of("etc/ssl/certs/ca-certificates.crt"), List.copyOf(layer.builder().entries().keySet()));
    assertTrue(layer.notes().isEmpty());
    assertTrue(layer.scriptsNotRun().isEmpty());
  }

  @Test
  void certhashHookIsRecognised() {
    assertTrue(AlpineCaCertificates.isCerthash("#!/bin/sh\nexec /usr/bin/c_rehash /etc/ssl/certs\n"));
    assertTrue(AlpineCaCertificates.isCerthash("#!/bin/sh\n# hashes\nopenssl rehash /etc/ssl/certs\n"));
    assertFalse(AlpineCaCertificates.isCerthash("#!/bin/sh\nc_rehash /etc/ssl/certs\nkeytool -import\n"));
    assertFalse(AlpineCaCertificates.isCerthash("#!/usr/bin/python3\nc_rehash /etc/ssl/certs\n"));
  }

  // ---- the real program and openssl ----

  /** {@code update-ca-certificates} of the tree, in a user-namespace chroot, under qemu. */
  private static void runRealTool(Path tree) throws Exception {
    Path qemu = Path.of("/usr/bin/qemu-arm-static");
    if (!Files.isExecutable(qemu) || !Files.isExecutable(Path.of("/usr/bin/unshare"))) {
      unavailable("qemu-arm-static and unshare are needed to run Alpine's armhf update-ca-certificates");
    }
    Files.copy(qemu, tree.resolve("qemu"));
    Process p = new ProcessBuilder("unshare", "-r", "chroot", tree.toString(), "/qemu",
        "/usr/sbin/update-ca-certificates").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    // It ends by exec'ing run-parts, which the chroot lacks: exit 1, everything else done.
    if (!out.contains("run-parts")) {
      unavailable("update-ca-certificates did not run under qemu in a chroot: " + out);
    }
    Files.delete(tree.resolve("qemu"));
  }

  private static void unavailable(String why) {
    dev.imagepatch.testing.Judges.unavailable(why);
  }

  /** {@code openssl rehash} over the real result, its links made files (their targets are the image's). */
  private Map<String, String> rehashOf(Path certs, Path image) throws Exception {
    Path copy = Files.createDirectories(tmp.resolve("rehash"));
    try (Stream<Path> s = Files.list(certs)) {
      for (Path p : s.toList()) {
        Path target = p;
        if (Files.isSymbolicLink(p)) {
          String link = Files.readSymbolicLink(p).toString();
          target = link.startsWith("/") ? image.resolve(link.substring(1)) : p.resolveSibling(link);
        }
        if (Files.isRegularFile(target)) {
          Files.copy(target, copy.resolve(p.getFileName().toString()));
        }
      }
    }
    Commands.runText("openssl", "rehash", copy.toString());
    Map<String, String> out = state(copy);
    out.keySet().removeIf(n -> !HASH.matcher(n).matches());
    return out;
  }

  private static boolean sameFilesInSomeOrder(byte[] joined, List<byte[]> files) {
    List<byte[]> left = new ArrayList<>(files);
    int at = 0;
    while (!left.isEmpty()) {
      byte[] found = null;
      for (byte[] f : left) {
        if (at + f.length <= joined.length && Arrays.equals(Arrays.copyOfRange(joined, at, at + f.length), f)) {
          found = f;
          break;
        }
      }
      if (found == null) {
        return false;
      }
      left.remove(found);
      at += found.length;
    }
    return at == joined.length;
  }

  /** Every entry of a directory: "-> target" for a link, the content's hash for a file. */
  private static Map<String, String> state(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
            : Integer.toHexString(Arrays.hashCode(Files.readAllBytes(p))));
      }
    }
    return out;
  }

  /** The data entries of a v2 .apk (its three gzip members read as one run of tar entries) under {@code root}. */
  private static void extract(Path apk, Path root) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(apk)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = e.getName();
        if (name.startsWith(".") || name.contains("..")) {
          continue; // signature and control entries
        }
        Path out = root.resolve(name);
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else if (e.isSymbolicLink()) {
          Files.createDirectories(out.getParent());
          Files.deleteIfExists(out);
          Files.createSymbolicLink(out, Path.of(e.getLinkName()));
        } else if (e.isFile()) {
          Files.createDirectories(out.getParent());
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          tar.transferTo(b);
          Files.write(out, b.toByteArray());
          Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(
              (e.getMode() & 0111) != 0 ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    }
    assertTrue(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
  }
}
