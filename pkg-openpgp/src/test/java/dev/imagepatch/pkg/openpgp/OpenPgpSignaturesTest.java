package dev.imagepatch.pkg.openpgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpenPgpSignaturesTest {
  private static final byte[] DATA = "signed text\n".getBytes(StandardCharsets.UTF_8);
  private static final OpenPgpSignatures.Wording WORDING = new OpenPgpSignatures.Wording() {
    @Override
    public String weakHash(String keyId) {
      return "weak " + keyId;
    }

    @Override
    public String cannotCheck(String keyId, String detail) {
      return "unchecked " + keyId;
    }

    @Override
    public String bad(String keyId) {
      return "bad " + keyId;
    }

    @Override
    public String noTrustedKey(List<String> unknown) {
      return "untrusted " + unknown;
    }
  };

  private static PGPKeyPair signer;
  private static PGPKeyPair stranger;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    signer = new JcaPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, g.generateKeyPair(), new Date());
    stranger = new JcaPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, g.generateKeyPair(), new Date());
  }

  private static byte[] armoredSignature(PGPKeyPair key, int hash, byte[] data) throws Exception {
    PGPSignatureGenerator gen = new PGPSignatureGenerator(
        new JcaPGPContentSignerBuilder(key.getPublicKey().getAlgorithm(), hash));
    gen.init(PGPSignature.BINARY_DOCUMENT, key.getPrivateKey());
    gen.update(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArmoredOutputStream armor = new ArmoredOutputStream(out)) {
      gen.generate().encode(armor);
    }
    return out.toByteArray();
  }

  private static PGPPublicKeyRingCollection keyring(PGPKeyPair key) throws Exception {
    byte[] binary = new PGPPublicKeyRing(List.of(key.getPublicKey())).getEncoded();
    return OpenPgpKeys.fromBytes(Map.of("test.gpg", binary), "not a keyring");
  }

  private static String id(PGPKeyPair key) {
    return String.format(Locale.ROOT, "%016X", key.getKeyID());
  }

  @Test
  void goodSignatureByAGivenKey() throws Exception {
    byte[] asc = armoredSignature(signer, HashAlgorithmTags.SHA256, DATA);
    assertEquals(List.of(id(signer)),
        OpenPgpSignatures.verify(DATA, OpenPgpSignatures.read(asc, "s"), keyring(signer), WORDING));
  }

  @Test
  void changedDataIsBad() throws Exception {
    byte[] asc = armoredSignature(signer, HashAlgorithmTags.SHA256, DATA);
    IOException e = assertThrows(IOException.class, () -> OpenPgpSignatures.verify(
        "other".getBytes(StandardCharsets.UTF_8), OpenPgpSignatures.read(asc, "s"), keyring(signer), WORDING));
    assertEquals("bad " + id(signer), e.getMessage());
  }

  @Test
  void unknownKeysArePassedOverButOneGivenKeyIsNeeded() throws Exception {
    byte[] asc = armoredSignature(stranger, HashAlgorithmTags.SHA256, DATA);
    IOException e = assertThrows(IOException.class, () -> OpenPgpSignatures.verify(
        DATA, OpenPgpSignatures.read(asc, "s"), keyring(signer), WORDING));
    assertEquals("untrusted [" + id(stranger) + "]", e.getMessage());
  }

  @Test
  void weakHashesAreRefused() throws Exception {
    byte[] asc = armoredSignature(signer, HashAlgorithmTags.SHA1, DATA);
    IOException e = assertThrows(IOException.class, () -> OpenPgpSignatures.verify(
        DATA, OpenPgpSignatures.read(asc, "s"), keyring(signer), WORDING));
    assertEquals("weak " + id(signer), e.getMessage());
  }

  @Test
  void blocksWithoutSignaturesAndUnreadableKeysNameTheirSource() throws Exception {
    byte[] key = new PGPPublicKeyRing(List.of(signer.getPublicKey())).getEncoded();
    IOException s = assertThrows(IOException.class, () -> OpenPgpSignatures.read(key, "x.asc"));
    assertEquals("x.asc: no OpenPGP signature found", s.getMessage());
    byte[] junk = "hello".getBytes(StandardCharsets.UTF_8);
    IOException k = assertThrows(IOException.class,
        () -> OpenPgpKeys.fromBytes(Map.of("k.gpg", junk), "not an OpenPGP keyring"));
    assertTrue(k.getMessage().startsWith("k.gpg: not an OpenPGP keyring: "), k.getMessage());
  }
}
