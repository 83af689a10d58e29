package dev.imagepatch.signer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * cosign's key files: ECDSA P-256 pairs; private keys as PEM {@code ENCRYPTED SIGSTORE PRIVATE KEY}
 * (also reads the older {@code ENCRYPTED COSIGN PRIVATE KEY}): JSON with scrypt parameters and a
 * NaCl secretbox holding the PKCS#8 key; plain PKCS#8 {@code PRIVATE KEY}; public keys as PKIX
 * {@code PUBLIC KEY}.
 */
public final class CosignKeys {
  private CosignKeys() {}

  private static final String SIGSTORE = "ENCRYPTED SIGSTORE PRIVATE KEY";
  private static final String COSIGN = "ENCRYPTED COSIGN PRIVATE KEY";
  /** The scrypt parameters cosign accepts, (N, r, p); written with N = 65536 as current cosign does. */
  private static final List<int[]> ACCEPTED = List.of(new int[] {32768, 8, 1}, new int[] {65536, 8, 1},
      new int[] {131072, 8, 1});
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new ECDSA P-256 key pair, the only kind cosign generates. */
  public static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM cannot make P-256 keys", e);
    }
  }

  /** The private key as cosign writes it, encrypted with {@code password} (which may be empty). */
  public static String encrypt(PrivateKey key, char[] password) {
    byte[] salt = new byte[32];
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(nonce);
    byte[] box = SecretBox.seal(scrypt(password, salt, 65536, 8, 1), nonce, key.getEncoded());
    ObjectNode doc = Json.MAPPER.createObjectNode();
    ObjectNode kdf = doc.putObject("kdf");
    kdf.put("name", "scrypt");
    ObjectNode params = kdf.putObject("params");
    params.put("N", 65536);
    params.put("r", 8);
    params.put("p", 1);
    kdf.put("salt", b64(salt));
    ObjectNode cipher = doc.putObject("cipher");
    cipher.put("name", "nacl/secretbox");
    cipher.put("nonce", b64(nonce));
    doc.put("ciphertext", b64(box));
    return pem(SIGSTORE, Json.write(doc));
  }

  /**
   * Reads a private key: cosign's encrypted PEM (with {@code password}) or a plain PKCS#8 PEM. Only
   * ECDSA P-256 keys are accepted for signing. Errors name {@code source} and say why.
   */
  public static PrivateKey readPrivate(String pemText, char[] password, String source) throws IOException {
    Pem pem = Pem.parse(pemText, source);
    byte[] pkcs8;
    switch (pem.label()) {
      case SIGSTORE, COSIGN -> pkcs8 = decrypt(pem.body(), password, source);
      case "PRIVATE KEY" -> pkcs8 = pem.body();
      case "EC PRIVATE KEY", "RSA PRIVATE KEY" -> throw new IOException(source + ": " + pem.label()
          + " is not PKCS#8; convert it with 'openssl pkcs8 -topk8' (cosign accepts only PKCS#8 keys)");
      default -> throw new IOException(source + ": not a private key (PEM " + pem.label() + ")");
    }
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new IOException(source + ": the decrypted key is not a PKCS#8 ECDSA key (cosign accepts only PKCS#8;"
          + " found " + describe(pkcs8) + ")", e);
    }
    if (!(key instanceof ECPrivateKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      throw new IOException(source + ": unsupported key type: imagepatch signs with ECDSA P-256 keys");
    }
    return key;
  }

  private static String describe(byte[] der) {
    return der.length > 0 && der[0] == 0x30 ? "a " + der.length + "-byte structure that is not PKCS#8 (SEC1 or RSA?)"
        : "no DER structure";
  }

  static byte[] decrypt(byte[] json, char[] password, String source) throws IOException {
    JsonNode doc = Json.readObject(json, source);
    JsonNode kdf = doc.path("kdf");
    JsonNode params = kdf.path("params");
    if (!kdf.path("name").asText().equals("scrypt") || !doc.path("cipher").path("name").asText().equals("nacl/secretbox")) {
      throw new IOException(source + ": unsupported encryption (" + kdf.path("name").asText() + ", "
          + doc.path("cipher").path("name").asText() + "); cosign keys use scrypt and nacl/secretbox");
    }
    int n = params.path("N").asInt();
    int r = params.path("r").asInt();
    int p = params.path("p").asInt();
    if (ACCEPTED.stream().noneMatch(a -> a[0] == n && a[1] == r && a[2] == p)) {
      throw new IOException(source + ": unsupported scrypt parameters N=" + n + " r=" + r + " p=" + p);
    }
    byte[] key = scrypt(password, unb64(kdf.path("salt").asText(), source), n, r, p);
    try {
      return SecretBox.open(key, unb64(doc.path("cipher").path("nonce").asText(), source),
          unb64(doc.path("ciphertext").asText(), source));
    } catch (GeneralSecurityException e) {
      throw new IOException(source + ": wrong password, or the key file is damaged (decryption failed)");
    }
  }

  /** Reads a PKIX {@code PUBLIC KEY} PEM. */
  public static PublicKey readPublic(String pemText, String source) throws IOException {
    Pem pem = Pem.parse(pemText, source);
    if (!pem.label().equals("PUBLIC KEY")) {
      throw new IOException(source + ": expected a PUBLIC KEY PEM, found " + pem.label());
    }
    try {
      PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(pem.body()));
      if (!(key instanceof ECPublicKey)) {
        throw new IOException(source + ": unsupported key type");
      }
      return key;
    } catch (GeneralSecurityException e) {
      throw new IOException(source + ": not an ECDSA public key (imagepatch verifies ECDSA P-256 signatures)", e);
    }
  }

  /** The public key as cosign writes it. */
  public static String publicPem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  static byte[] scrypt(char[] password, byte[] salt, int n, int r, int p) {
    byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
    return SCrypt.generate(pw, salt, n, r, p, 32);
  }

  static String pem(String label, byte[] der) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder("-----BEGIN ").append(label).append("-----\n");
    for (int i = 0; i < b64.length(); i += 64) {
      sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    return sb.append("-----END ").append(label).append("-----\n").toString();
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] unb64(String s, String source) throws IOException {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": damaged key file (bad base64)");
    }
  }

  /** One PEM block: its label and decoded body. */
  record Pem(String label, byte[] body) {
    static Pem parse(String text, String source) throws IOException {
      int begin = text.indexOf("-----BEGIN ");
      if (begin < 0) {
        throw new IOException(source + ": not a PEM file");
      }
      int labelEnd = text.indexOf("-----", begin + 11);
      String label = text.substring(begin + 11, labelEnd);
      String end = "-----END " + label + "-----";
      int endAt = text.indexOf(end, labelEnd);
      if (endAt < 0) {
        throw new IOException(source + ": PEM block " + label + " has no end line");
      }
      String body = text.substring(labelEnd + 5, endAt).replaceAll("\\s", "");
      try {
        return new Pem(label, Base64.getDecoder().decode(body));
      } catch (IllegalArgumentException e) {
        throw new IOException(source + ": PEM block " + label + " is not base64");
      }
    }
  }
}
