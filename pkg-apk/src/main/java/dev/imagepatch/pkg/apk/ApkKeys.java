package dev.imagepatch.pkg.apk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * RSA public keys apk trusts, by file name (as in {@code /etc/apk/keys}): a signature entry
 * {@code .SIGN.RSA.<name>} or {@code .SIGN.RSA256.<name>} is checked with the key of that name.
 */
public final class ApkKeys {
  /** The largest key file read: 64 KiB (a 16384-bit RSA key is under 3 KiB of PEM). */
  static final int MAX_KEY_FILE = 64 << 10;
  private static final String BEGIN = "-----BEGIN PUBLIC KEY-----";
  private static final String END = "-----END PUBLIC KEY-----";
  private static final ApkKeys NONE = new ApkKeys(new TreeMap<>());

  private final Map<String, RSAPublicKey> keys;

  private ApkKeys(TreeMap<String, RSAPublicKey> keys) {
    this.keys = Collections.unmodifiableMap(keys);
  }

  /**
   * Keys from PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo) files by file name; a file that is not
   * one RSA public key, or a name that is not a plain file name, fails naming the file.
   */
  public static ApkKeys of(Map<String, byte[]> pemByFileName) throws IOException {
    TreeMap<String, RSAPublicKey> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : pemByFileName.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
          || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IOException("apk key file name " + Names.quote(name) + " is not a plain file name");
      }
      out.put(name, parse(name, e.getValue()));
    }
    return new ApkKeys(out);
  }

  /** No keys: only an explicitly allowed unsigned read succeeds. */
  public static ApkKeys none() {
    return NONE;
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /** The key file names, sorted. */
  public Set<String> names() {
    return keys.keySet();
  }

  /** The key of a file name, or null. */
  RSAPublicKey key(String name) {
    return keys.get(name);
  }

  private static RSAPublicKey parse(String name, byte[] pem) throws IOException {
    if (pem == null || pem.length > MAX_KEY_FILE) {
      throw new IOException("apk key " + name + ": " + (pem == null ? "no content" : "larger than " + MAX_KEY_FILE
          + " bytes"));
    }
    String text = new String(pem, StandardCharsets.US_ASCII);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    if (begin < 0 || end < begin) {
      throw new IOException("apk key " + name + ": not a PEM PUBLIC KEY (SubjectPublicKeyInfo) file");
    }
    if (text.indexOf(BEGIN, begin + 1) >= 0) {
      throw new IOException("apk key " + name + ": holds more than one key");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN.length(), end).strip());
    } catch (IllegalArgumentException e) {
      throw new IOException("apk key " + name + ": bad base64: " + e.getMessage(), e);
    }
    PublicKey key;
    try {
      key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException("apk key " + name + ": not an RSA public key: " + e.getMessage(), e);
    }
    if (!(key instanceof RSAPublicKey rsa)) {
      throw new IOException("apk key " + name + ": not an RSA public key");
    }
    return rsa;
  }
}
