package dev.imagepatch.patch.effects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.testing.Judges;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The effect through a patch layer over an image whose trust store is up to date (made by
 * {@link CaTrustExtract#extract}, judged against p11-kit in {@link CaTrustExtractTest}), with a
 * stale file left in {@code pem/directory-hash}: when the trigger fires, only the outputs that
 * change are written, at mode 0444, and the directory is left holding only what the tool writes;
 * when it does not fire, nothing is written.
 */
class CaTrustExtractLayerTest {
  private static final String MOZILLA = "/usr/share/ca-certificates/mozilla/";
  private static final String ANCHORS = "usr/share/pki/ca-trust-source/anchors/";
  private static final String SCRIPT = "#!/bin/sh\nDEST=/etc/pki/ca-trust/extracted\n"
      + "/usr/bin/trust extract --overwrite --format=openssl-bundle --filter=certificates --comment "
      + "$DEST/openssl/ca-bundle.trust.crt\n"
      + "/usr/bin/trust extract --overwrite --format=pem-bundle --filter=ca-anchors --comment --purpose server-auth "
      + "$DEST/pem/tls-ca-bundle.pem\n"
      + "/usr/bin/trust extract --overwrite --format=java-cacerts --filter=ca-anchors --purpose server-auth "
      + "$DEST/java/cacerts\n"
      + "/usr/bin/trust extract --overwrite --format=pem-directory-hash --filter=ca-anchors --purpose server-auth "
      + "$DEST/pem/directory-hash\n"
      + "/usr/bin/ln -s ../tls-ca-bundle.pem $DEST/pem/directory-hash/ca-bundle.crt\n";

  @TempDir
  Path tmp;

  @Test
  void writesWhatChangesOnly() throws Exception {
    Path root = image();
    CaTrustExtract effect = new CaTrustExtract();

    // A duplicate of an anchor, in DER: the outputs stay as they are; only the stale file goes.
    PatchLayer layer = layer(root, effect.needs());
    layer.file(ANCHORS + "again.der", 0644, 0, 0, 1_700_000_000L, layer.stage(new ByteArrayInputStream(
        TrustPem.parse(Files.readAllBytes(Path.of(MOZILLA, "ACCVRAIZ1.crt"))).get(0).der())));
    assertTrue(effect.apply(layer, List.of()));
    assertEquals(List.of("etc/pki/ca-trust/extracted/pem/directory-hash/.wh.stale.pem", ANCHORS + "again.der"),
        layer.builder().entries().keySet().stream().sorted().toList());

    // A new root: the bundles, the key store and its directory-hash entries are written.
    layer = layer(root, effect.needs());
    byte[] added = Files.readAllBytes(Path.of(MOZILLA, "Certigna.crt"));
    layer.file(ANCHORS + "Certigna.crt", 0644, 0, 0, 1_700_000_000L, layer.stage(new ByteArrayInputStream(added)));
    assertTrue(effect.apply(layer, List.of()));
    Map<String, FsEntry> entries = layer.builder().entries();
    Files.write(root.resolve(ANCHORS + "Certigna.crt"), added);
    CaTrustExtract.Extracted expected = CaTrustExtract.extract(new DirectoryTree(root), SCRIPT, 1_700_000_000L);
    FsEntry tls = entries.get("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
    assertEquals(0444, tls.mode());
    assertArrayEquals(expected.entries().get("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem").content(),
        layer.generated("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem").orElseThrow());
    assertTrue(entries.containsKey("etc/pki/ca-trust/extracted/java/cacerts"));
    assertTrue(entries.containsKey("etc/pki/ca-trust/extracted/pem/directory-hash/Certigna.pem"));
    assertEquals("Certigna.pem", entries.values().stream().filter(e -> e.type() == FsEntry.Type.SYMLINK
        && e.path().startsWith("etc/pki/ca-trust/extracted/pem/directory-hash/")).findFirst().orElseThrow()
        .linkTarget());
    assertFalse(entries.containsKey("etc/pki/ca-trust/extracted/pem/directory-hash/ACCVRAIZ1.pem"), "unchanged");
    assertFalse(entries.containsKey("etc/pki/ca-trust/extracted/pem/directory-hash/ca-bundle.crt"), "unchanged");
  }

  @Test
  void noTriggerNoScript() throws Exception {
    Path root = image();
    CaTrustExtract effect = new CaTrustExtract();
    PatchLayer layer = layer(root, effect.needs());
    layer.bytes("usr/share/doc/x", 0644, new byte[] {1});
    assertTrue(effect.apply(layer, List.of(new PackageChange("openssl-libs", "x86_64", "1", "2", "requested"))));
    assertEquals(List.of("usr/share/doc/x"), List.copyOf(layer.builder().entries().keySet()));

    Files.delete(root.resolve(CaTrustExtract.SCRIPT));
    layer = layer(root, effect.needs());
    assertFalse(effect.apply(layer, List.of(new PackageChange("ca-certificates", "noarch", "1", "2", "requested"))));
    assertTrue(layer.notes().get(0).contains("/usr/bin/update-ca-trust: not in the image"), layer.notes().toString());
  }

  /** RHEL 8's script: p11-kit extract, no directory-hash; $DEST quoted or not. */
  @Test
  void rhel8Script() throws Exception {
    String script = "#!/bin/sh\n#set -vx\nDEST=/etc/pki/ca-trust/extracted\nexport P11_KIT_NO_USER_CONFIG=1\n"
        + "/usr/bin/p11-kit extract --format=openssl-bundle --filter=certificates --overwrite --comment "
        + "$DEST/openssl/ca-bundle.trust.crt\n"
        + "/usr/bin/p11-kit extract --format=pem-bundle --filter=ca-anchors --overwrite --comment --purpose email "
        + "\"${DEST}/pem/email-ca-bundle.pem\"\n"
        + "/usr/bin/p11-kit extract --format=edk2-cacerts --filter=ca-anchors --overwrite --purpose=server-auth "
        + "$DEST/edk2/cacerts.bin\n";
    List<UpdateCaTrustScript.Step> steps = UpdateCaTrustScript.parse(script);
    assertEquals(List.of(new UpdateCaTrustScript.Step(new TrustExtract.Request("openssl-bundle", "certificates",
        List.of(), true), "/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt", null),
        new UpdateCaTrustScript.Step(new TrustExtract.Request("pem-bundle", "ca-anchors", List.of("1.3.6.1.5.5.7.3.4"),
            true), "/etc/pki/ca-trust/extracted/pem/email-ca-bundle.pem", null),
        new UpdateCaTrustScript.Step(new TrustExtract.Request("edk2-cacerts", "ca-anchors", List.of("1.3.6.1.5.5.7.3.1"),
            false), "/etc/pki/ca-trust/extracted/edk2/cacerts.bin", null)), steps);
    assertThrows(TrustExtract.Unsupported.class, () -> UpdateCaTrustScript.parse("echo nothing to extract\n"));
    Path root = image();
    assertThrows(TrustExtract.Unsupported.class, () -> CaTrustExtract.extract(new DirectoryTree(root),
        "trust extract --format=x509-directory --filter=ca-anchors /x\n", 0));
  }

  /** p11-kit before 0.24 reads blacklist/, as its trust module's strings show. */
  @Test
  void blocklistDirectoryOfTheImagesTrustModule() throws Exception {
    Path root = image();
    Files.createDirectories(root.resolve("usr/lib64/pkcs11"));
    Files.write(root.resolve("usr/lib64/pkcs11/p11-kit-trust.so"), "\0ELF...\0anchors\0blacklist\0"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals("blacklist", CaTrustExtract.blocklistName(new DirectoryTree(root)));
    Files.createDirectories(root.resolve("usr/share/pki/ca-trust-source/blacklist"));
    Files.copy(Path.of(MOZILLA, "ACCVRAIZ1.crt"), root.resolve("usr/share/pki/ca-trust-source/blacklist/x.crt"));
    CaTrustExtract.Extracted out = CaTrustExtract.extract(new DirectoryTree(root), SCRIPT, 0);
    String tls = new String(out.entries().get("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem").content(),
        java.nio.charset.StandardCharsets.US_ASCII);
    assertFalse(tls.contains("# ACCVRAIZ1\n"), tls);
    assertTrue(tls.contains("# Amazon Root CA 1\n"));
    assertEquals(List.of("etc/pki/ca-trust/source", "usr/share/pki/ca-trust-source"),
        CaTrustExtract.tokenPaths(new DirectoryTree(root)));
    Files.createDirectories(root.resolve("usr/share/p11-kit/modules"));
    Files.writeString(root.resolve("usr/share/p11-kit/modules/p11-kit-trust.module"),
        "module: p11-kit-trust.so\nx-init-reserved: paths=/etc/pki/ca-trust/source:/opt/trust\n");
    assertEquals(List.of("etc/pki/ca-trust/source", "opt/trust"), CaTrustExtract.tokenPaths(new DirectoryTree(root)));
  }

  /** ca-certificates' %post runs {@code ca-legacy install} first: the legacy bundle link, by ca-legacy.conf. */
  @Test
  void caLegacyInstall() throws Exception {
    Path root = image();
    Files.writeString(root.resolve(CaTrustExtract.CA_LEGACY), "#!/bin/sh\nLCFILE=/etc/pki/ca-trust/ca-legacy.conf\n"
        + "LLINK=/etc/pki/ca-trust/source/ca-bundle.legacy.crt\n"
        + "LDEFAULT=/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.default.crt\n"
        + "LDISABLE=/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.disable.crt\n");
    Path legacy = Files.createDirectories(root.resolve("usr/share/pki/ca-trust-legacy"));
    Files.copy(Path.of(MOZILLA, "Certigna.crt"), legacy.resolve("ca-bundle.legacy.default.crt"));
    Files.writeString(legacy.resolve("ca-bundle.legacy.disable.crt"), "");
    Files.createDirectories(root.resolve("etc/pki/ca-trust/source"));
    CaTrustExtract effect = new CaTrustExtract();
    List<PackageChange> upgrade = List.of(new PackageChange("ca-certificates", "noarch", "2023.2.60-1.0.el9",
        "2024.2.69_v8.0.303-91.4.el9_4", "requested"));

    PatchLayer layer = layer(root, effect.needs());
    assertTrue(effect.apply(layer, upgrade));
    assertEquals("/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.default.crt",
        layer.builder().entries().get("etc/pki/ca-trust/source/ca-bundle.legacy.crt").linkTarget());
    String openssl = new String(layer.generated("etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt")
        .orElseThrow(), java.nio.charset.StandardCharsets.US_ASCII);
    assertTrue(openssl.contains("# Certigna\n"), "the legacy bundle is read through the link");

    Files.writeString(root.resolve("etc/pki/ca-trust/ca-legacy.conf"), "# legacy CAs\nLegacy = disable\n");
    layer = layer(root, effect.needs());
    assertTrue(effect.apply(layer, upgrade));
    assertEquals("/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.disable.crt",
        layer.builder().entries().get("etc/pki/ca-trust/source/ca-bundle.legacy.crt").linkTarget());
  }

  @Test
  void scriptletsCovered() {
    assertTrue(CaTrustExtract.covers("#if [ $1 -gt 1 ] ; then\n#  # when upgrading\n#fi\n/usr/bin/ca-legacy install\n"
        + "/usr/bin/update-ca-trust\n"));
    assertTrue(CaTrustExtract.covers("if [ -x /usr/bin/ln ]; then\n/usr/bin/ca-legacy install\n/usr/bin/update-ca-trust\n"
        + "fi\n"));
    assertTrue(CaTrustExtract.covers("update-ca-trust extract >/dev/null 2>&1 || :\n"));
    assertFalse(CaTrustExtract.covers("/usr/bin/ca-legacy install\n"), "no extraction");
    assertFalse(CaTrustExtract.covers("update-ca-trust\nrm -f /etc/pki/tls/cert.pem\n"));
  }

  /** Sources of a few roots, the script, and the outputs as the script left them plus a stale file. */
  private Path image() throws Exception {
    if (!Files.isDirectory(Path.of(MOZILLA))) {
      Judges.unavailable(MOZILLA + " is missing (package ca-certificates)");
    }
    Path root = Files.createDirectories(tmp.resolve("root" + System.nanoTime()));
    Files.createDirectories(root.resolve(ANCHORS));
    for (String n : List.of("ACCVRAIZ1.crt", "Actalis_Authentication_Root_CA.crt", "Amazon_Root_CA_1.crt")) {
      Files.copy(Path.of(MOZILLA, n), root.resolve(ANCHORS + n));
    }
    Files.createDirectories(root.resolve("usr/bin"));
    Files.writeString(root.resolve(CaTrustExtract.SCRIPT), SCRIPT);
    CaTrustExtract.Extracted before = CaTrustExtract.extract(new DirectoryTree(root), SCRIPT, 1_600_000_000L);
    for (Map.Entry<String, TrustExtract.Entry> e : new TreeMap<>(before.entries()).entrySet()) {
      Path p = root.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      if (e.getValue().link() != null) {
        Files.createSymbolicLink(p, Path.of(e.getValue().link()));
      } else {
        Files.write(p, e.getValue().content());
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--r--r--"));
      }
    }
    Path hash = root.resolve("etc/pki/ca-trust/extracted/pem/directory-hash");
    Files.writeString(hash.resolve("stale.pem"), "gone\n");
    Files.setPosixFilePermissions(hash, PosixFilePermissions.fromString("r-xr-xr-x"));
    return root;
  }

  private PatchLayer layer(Path root, ImageNeeds needs) throws Exception {
    Path work = Files.createTempDirectory(tmp, "work");
    Path base = work.resolve("base.tar");
    DirectoryLayer.of(root).write(base, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), needs.keep(), needs.hash());
    return new PatchLayer(fs, Architecture.of("x86_64", ""), Files.createDirectories(work.resolve("staging")),
        1_600_000_000L, Long.MAX_VALUE);
  }
}
