package dev.imagepatch.signer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * cosign's, sigstore's and securesystemslib's own test data, read in place from the shared vectors
 * ({@code vectors/cosign/}) and checked by our code.
 */
class CosignVectorsTest {
  static byte[] bytes(String name) throws IOException {
    return Files.readAllBytes(SharedData.path("vectors/cosign/" + name));
  }

  static String text(String name) throws IOException {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @CsvSource({"pemsigstorekey, hello", "pemcosignkey, hello", "cosign_generated_encrypted_empty_private, ''"})
  void encryptedKeysDecryptWithTheirPasswordToTheirPublicKey(String name, String password) throws Exception {
    PrivateKey key = CosignKeys.readPrivate(text("encrypted-keys/" + name + ".key"), password.toCharArray(), name);
    PublicKey expected = CosignKeys.readPublic(text("encrypted-keys/" + name + ".derived.pub"), name + ".pub");
    // The private key signs what the derived public key verifies.
    byte[] data = "imagepatch".getBytes(StandardCharsets.UTF_8);
    assertTrue(Payloads.verify(expected, data, Signer.withKey(key, expected).sign(data)));
    assertEquals(256, ((ECPublicKey) expected).getParams().getCurve().getField().getFieldSize());
  }

  @Test
  void aWrongPasswordAndANonPkcs8KeyAreRefusedClearly() throws Exception {
    IOException wrong = assertThrows(IOException.class,
        () -> CosignKeys.readPrivate(text("encrypted-keys/pemsigstorekey.key"), "wrong".toCharArray(), "k.key"));
    assertEquals("k.key: wrong password, or the key file is damaged (decryption failed)", wrong.getMessage());
    IOException sec1 = assertThrows(IOException.class,
        () -> CosignKeys.readPrivate(text("encrypted-keys/pemcosigneckey.key"), "hello".toCharArray(), "ec.key"));
    assertTrue(sec1.getMessage().startsWith("ec.key: the decrypted key is not a PKCS#8 ECDSA key (cosign accepts only"
        + " PKCS#8"), sec1.getMessage());
    IOException notPem = assertThrows(IOException.class, () -> CosignKeys.readPublic("hello", "x.pub"));
    assertEquals("x.pub: not a PEM file", notPem.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"decrypt-N32768.json", "kdf-legacy-N32768.json", "kdf-standard-N65536.json",
      "kdf-owasp-N131072.json"})
  void scryptAndSecretboxAsSecuresystemslibDoesThem(String name) throws Exception {
    byte[] plain = CosignKeys.decrypt(bytes("securesystemslib-encrypted/" + name), "supersecret".toCharArray(), name);
    String text = new String(plain, StandardCharsets.UTF_8);
    assertTrue(text.equals("reallyimportant") || text.equals("\"cmVhbGx5aW1wb3J0YW50\""), text);
    IOException bad = assertThrows(IOException.class, () -> CosignKeys.decrypt(
        bytes("securesystemslib-encrypted/unsupported-params-N99-r99-p99.json"), "supersecret".toCharArray(), "u"));
    assertEquals("u: unsupported scrypt parameters N=99 r=99 p=99", bad.getMessage());
  }

  @Test
  void keysWeWriteReadBack() throws Exception {
    KeyPair pair = CosignKeys.generate();
    String pem = CosignKeys.encrypt(pair.getPrivate(), "p4ss".toCharArray());
    assertTrue(pem.startsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    JsonNode doc = Json.readObject(Base64.getMimeDecoder().decode(pem.lines().filter(l -> !l.startsWith("-----"))
        .reduce("", String::concat)), "key");
    assertTrue(new String(Json.write(doc.get("kdf")), StandardCharsets.UTF_8)
        .startsWith("{\"name\":\"scrypt\",\"params\":{\"N\":65536,\"r\":8,\"p\":1},\"salt\":"));
    assertEquals("nacl/secretbox", doc.at("/cipher/name").asText());
    PrivateKey back = CosignKeys.readPrivate(pem, "p4ss".toCharArray(), "new.key");
    assertArrayEquals(pair.getPrivate().getEncoded(), back.getEncoded());
    PublicKey pub = CosignKeys.readPublic(CosignKeys.publicPem(pair.getPublic()), "new.pub");
    assertArrayEquals(pair.getPublic().getEncoded(), pub.getEncoded());
  }

  @Test
  void dsseEnvelopesOfCosignVerifyAndTheirSubjectsAreChecked() throws Exception {
    PublicKey key = CosignKeys.readPublic(text("dsse-verify-blob-attestation/cosign.pub"), "cosign.pub");
    Digest blob = Digest.sha256(bytes("dsse-verify-blob-attestation/blob-some-payload.txt"));
    Digest other = Digest.sha256(bytes("dsse-verify-blob-attestation/other-blob-another-blob.txt"));
    String dir = "dsse-verify-blob-attestation/";
    assertNull(check("blobSLSAProvenanceSignature", key, blob, "https://slsa.dev/provenance/v0.2").problem());
    assertNull(check("dssePredicateMultipleSubjects", key, blob, null).problem());
    assertEquals("no subject of the statement names " + other,
        check("blobSLSAProvenanceSignature", key, other, null).problem());
    assertTrue(check("blobSLSAProvenanceSignature", key, blob, "https://cosign.sigstore.dev/attestation/v1")
        .problem().startsWith("predicateType is https://slsa.dev/provenance/v0.2"));
    for (String name : new String[] {"dssePredicateEmptySubject", "dssePredicateMissingSha256",
        "dssePredicateMultipleSubjectsInvalid"}) {
      assertEquals("no subject of the statement names " + blob, check(name, key, blob, null).problem(), name);
    }
    PublicKey stranger = CosignKeys.generate().getPublic();
    assertEquals("no signature of the envelope verifies with the given key",
        check("blobSLSAProvenanceSignature", stranger, blob, null).problem());
    assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
        new String(Payloads.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8)),
            StandardCharsets.UTF_8), "the PAE of go-securesystemslib's own test");
    assertTrue(bytes(dir + "cosign.pub").length > 0);
  }

  private static SignatureStore.EnvelopeCheck check(String name, PublicKey key, Digest digest, String type)
      throws IOException {
    return SignatureStore.checkEnvelope(bytes("dsse-verify-blob-attestation/" + name + ".dsse.json"), key, digest, type);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cosign-sign-real_rekor-payload.json", "sigstore-payload-test_no-claims.json",
      "sigstore-payload-test_standard-atomic-signature.json", "sigstore-payload-test_arbitrary-claims.json",
      "sigstore-payload-test_custom-identity.json", "cosign-obsolete-test_docker-hub.json"})
  void payloadsAreWrittenByteForByteAsCosignWritesThem(String name) throws Exception {
    byte[] expected = bytes("simplesigning-payloads/" + name);
    JsonNode parsed = Json.readObject(expected, name);
    byte[] ours = Payloads.simpleSigning(parsed.at("/critical/identity/docker-reference").asText(),
        Digest.parse(parsed.at("/critical/image/docker-manifest-digest").asText()),
        parsed.get("optional").isNull() ? null : parsed.get("optional"));
    assertEquals(new String(expected, StandardCharsets.UTF_8), new String(ours, StandardCharsets.UTF_8));
    byte[] withAnnotations = Payloads.simpleSigning("r", Digest.sha256(new byte[0]),
        Payloads.annotations(Map.of("z", "1", "a", "<&>")));
    assertTrue(new String(withAnnotations, StandardCharsets.UTF_8).endsWith(
        "\"optional\":{\"a\":\"\\u003c\\u0026\\u003e\",\"z\":\"1\"}}"), new String(withAnnotations));
  }

  @Test
  void ecdsaSignaturesInDerAndP1363Verify() throws Exception {
    PublicKey key = CosignKeys.readPublic(text("sigstore-ecdsa-der-p1363/ecdsa-p256.pub"), "ecdsa.pub");
    byte[] message = bytes("sigstore-ecdsa-der-p1363/message.txt");
    byte[] der = Base64.getDecoder().decode(text("sigstore-ecdsa-der-p1363/sig-der.b64").strip());
    byte[] p1363 = Base64.getDecoder().decode(text("sigstore-ecdsa-der-p1363/sig-p1363.b64").strip());
    assertTrue(Payloads.verify(key, message, der));
    assertTrue(Payloads.verify(key, message, p1363));
    assertFalse(Payloads.verify(key, "sign you".getBytes(StandardCharsets.UTF_8), der));
    PrivateKey priv = CosignKeys.readPrivate(text("sigstore-ecdsa-der-p1363/ecdsa-p256.pkcs8.key"), new char[0], "k");
    assertTrue(Payloads.verify(key, message, Signer.withKey(priv, key).sign(message)));
    assertEquals(32, HexFormat.of().parseHex(Digest.sha256(message).hex()).length);
  }
}
