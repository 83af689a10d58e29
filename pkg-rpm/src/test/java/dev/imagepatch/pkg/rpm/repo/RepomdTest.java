package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.junit.jupiter.api.Test;

/** repomd.xml of real repositories, and its detached signature as dnf's repo_gpgcheck checks it. */
class RepomdTest {
  static final String SIGNED = Vectors.MOCACINNO + "/repodata/repomd.xml";

  static PGPPublicKeyRingCollection mocacinnoKey() throws IOException {
    return RepomdSignature.keyring(List.of(SharedData.path(Vectors.MOCACINNO + "/mocacinno_pubkey.asc")));
  }

  @Test
  void appStreamRepomdParses() throws IOException {
    Repomd r = Vectors.repomd(Vectors.APPSTREAM);
    assertEquals("9-stream", r.revision());
    assertEquals(List.of("primary", "filelists", "other", "primary_db", "filelists_db", "other_db", "group",
        "group_xz", "modules"), r.data().stream().map(Repomd.Data::type).toList());
    Repomd.Data primary = r.data("primary").orElseThrow();
    assertEquals(new Checksum("sha256", "c03bb2ebc33bbee3046da091b45d90717273a43d3641a9d84e6eede05637bc8a"),
        primary.checksum());
    assertEquals("a1df0d610cd466c0ff1638782c5a1427b19a01bcde147105e9a07f87669f038a", primary.openChecksum().hex());
    assertEquals(3597627, primary.size());
    assertEquals(51840420, primary.openSize());
    assertEquals(1736761560, primary.timestamp());
    assertEquals("c03bb2ebc33bbee3046da091b45d90717273a43d3641a9d84e6eede05637bc8a-primary.xml.gz",
        primary.fileName());
    assertEquals(10, r.data("primary_db").orElseThrow().databaseVersion());
    Repomd.Data group = r.data("group").orElseThrow();
    assertNull(group.openChecksum());
    assertEquals(-1, group.openSize());
    assertTrue(Files.isRegularFile(Vectors.file(Vectors.APPSTREAM, primary)));
  }

  @Test
  void zchunkEntriesAreLeftOut() throws IOException {
    Repomd r = Repomd.parse(SharedData.bytes("vectors/rpm/repomd-repo_00-with-zck.xml"), "repo_00");
    assertEquals(List.of("primary", "filelists", "other"), r.data().stream().map(Repomd.Data::type).toList());
  }

  @Test
  void amazonLinuxRepomdOnlyFilesParse() throws IOException {
    Repomd vuln = Repomd.parse(SharedData.bytes(Vectors.REPODATA
        + "amazonlinux-repomd-only/repomd-vuln-list-update-amazon.xml"), "vuln-list");
    assertEquals("1569972356", vuln.revision());
    assertEquals("repodata/primary.sqlite.gz", vuln.data("primary_db").orElseThrow().location());
    assertEquals(34874486, vuln.data("primary_db").orElseThrow().size());
    Repomd alas = Repomd.parse(SharedData.bytes(Vectors.REPODATA + "amazonlinux-repomd-only/repomd-claircore-alas.xml"),
        "alas");
    assertEquals("1568754421", alas.revision());
    Repomd.Data updateinfo = alas.data("updateinfo").orElseThrow();
    assertEquals("repodata/updateinfo.xml.gz", updateinfo.location());
    assertEquals(6402617, updateinfo.openSize());
    assertFalse(alas.data("primary").isPresent());
  }

  @Test
  void unknownElementsAndNamespacesArePassedOver() throws IOException {
    String xml = """
        <?xml version="1.0"?>
        <repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:x="urn:other">
          <x:extension a="b"><x:deep>text</x:deep></x:extension>
          <revision>42</revision>
          <tags><content>binary-x86_64</content></tags>
          <data type="updateinfo">
            <x:unknown/>
            <checksum type="sha512">%s</checksum>
            <location xml:base="https://mirror.example/" href="repodata/u.xml"/>
            <timestamp>1700000000.5</timestamp>
          </data>
        </repomd>
        """.formatted("ab".repeat(64));
    Repomd r = Repomd.parse(xml.strip().getBytes(StandardCharsets.UTF_8), "t");
    Repomd.Data d = r.data("updateinfo").orElseThrow();
    assertEquals("42", r.revision());
    assertEquals("https://mirror.example/", d.locationBase());
    assertEquals(1700000000L, d.timestamp());
    assertEquals(-1, d.size());
  }

  @Test
  void aRepomdWithAnEntityDeclarationIsRefused() {
    String xml = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        + "<repomd><revision>&x;</revision></repomd>";
    assertThrows(IOException.class, () -> Repomd.parse(xml.getBytes(StandardCharsets.UTF_8), "evil"));
  }

  @Test
  void theThirdPartyEdDsaSignatureVerifies() throws IOException {
    byte[] xml = SharedData.bytes(SIGNED);
    byte[] asc = SharedData.bytes(SIGNED + ".asc");
    Repomd r = Repomd.verified(xml, Optional.of(asc), mocacinnoKey(), true, SIGNED);
    assertEquals(1, r.signedBy().size());
    assertEquals("1762517277", r.revision());
    assertEquals(12796, r.data("primary").orElseThrow().size());
  }

  @Test
  void aChangedRepomdIsRefused() throws IOException {
    byte[] xml = SharedData.bytes(SIGNED);
    byte[] asc = SharedData.bytes(SIGNED + ".asc");
    byte[] changed = new String(xml, StandardCharsets.UTF_8).replace("<revision>1762517277", "<revision>1762517278")
        .getBytes(StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class,
        () -> Repomd.verified(changed, Optional.of(asc), mocacinnoKey(), true, SIGNED));
    assertTrue(e.getMessage().contains("BAD signature"), e.getMessage());
    assertTrue(e.getMessage().contains(SIGNED), e.getMessage());
    // Checked even without repo_gpgcheck when keys are given: a bad signature is never accepted.
    assertThrows(IOException.class, () -> Repomd.verified(changed, Optional.of(asc), mocacinnoKey(), false, SIGNED));
  }

  @Test
  void aSignatureByAnotherKeyIsRefused() throws IOException {
    byte[] xml = SharedData.bytes(SIGNED);
    byte[] asc = SharedData.bytes(SIGNED + ".asc");
    PGPPublicKeyRingCollection centos = RepomdSignature.keyring(List.of(
        SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-CentOS-Official-SHA256")));
    IOException e = assertThrows(IOException.class, () -> Repomd.verified(xml, Optional.of(asc), centos, true, SIGNED));
    assertTrue(e.getMessage().contains("no signature by a trusted key"), e.getMessage());
  }

  @Test
  void repoGpgcheckWithoutAnAscIsRefused() throws IOException {
    Path repomd = Vectors.dir(Vectors.BASEOS).resolve("repodata/repomd.xml");
    byte[] xml = Files.readAllBytes(repomd);
    IOException e = assertThrows(IOException.class,
        () -> Repomd.verified(xml, Optional.empty(), mocacinnoKey(), true, repomd.toString()));
    assertTrue(e.getMessage().contains("no repomd.xml.asc"), e.getMessage());
    // Without repo_gpgcheck (CentOS does not sign repomd) it is read; its files' checksums are what protect it.
    assertEquals("1644263915", Repomd.verified(xml, Optional.empty(), null, false, "baseos").revision());
  }

  @Test
  void anRsaSignatureVerifiesAndSha1IsRefused() throws Exception {
    RSAKeyPairGenerator g = new RSAKeyPairGenerator();
    g.init(new RSAKeyGenerationParameters(BigInteger.valueOf(0x10001), new SecureRandom(), 2048, 80));
    PGPKeyPair kp = new BcPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, g.generateKeyPair(), new Date());
    PGPPublicKeyRingCollection keys = new PGPPublicKeyRingCollection(
        List.of(new PGPPublicKeyRing(List.of(kp.getPublicKey()))));
    byte[] xml = SharedData.bytes(Vectors.BASEOS + "/repodata/repomd.xml");
    assertEquals(1, Repomd.verified(xml, Optional.of(sign(kp, xml, HashAlgorithmTags.SHA256)), keys, true, "rsa")
        .signedBy().size());
    byte[] other = xml.clone();
    other[100] ^= 1;
    assertThrows(IOException.class, () -> Repomd.verified(other, Optional.of(sign(kp, xml, HashAlgorithmTags.SHA256)),
        keys, true, "rsa"));
    IOException e = assertThrows(IOException.class,
        () -> Repomd.verified(xml, Optional.of(sign(kp, xml, HashAlgorithmTags.SHA1)), keys, true, "rsa"));
    assertTrue(e.getMessage().contains("weak hash"), e.getMessage());
  }

  static byte[] sign(PGPKeyPair kp, byte[] data, int hash) throws Exception {
    PGPSignatureGenerator sg = new PGPSignatureGenerator(new BcPGPContentSignerBuilder(
        PublicKeyAlgorithmTags.RSA_GENERAL, hash));
    sg.init(PGPSignature.BINARY_DOCUMENT, kp.getPrivateKey());
    sg.update(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArmoredOutputStream a = new ArmoredOutputStream(out)) {
      sg.generate().encode(a);
    }
    return out.toByteArray();
  }
}
