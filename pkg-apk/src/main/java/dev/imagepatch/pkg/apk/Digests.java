package dev.imagepatch.pkg.apk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** Digests of a member's compressed bytes: SHA-1 (apk's Q1 identity), SHA-256 (Q2, datahash) and MD5 (old hex C:). */
final class Digests {
  private final MessageDigest sha1 = digest("SHA-1");
  private final MessageDigest sha256 = digest("SHA-256");
  private final MessageDigest md5 = digest("MD5");
  private byte[] sha1Value;
  private byte[] sha256Value;
  private byte[] md5Value;

  static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  GzipMembers.Tap tap() {
    return (b, off, len) -> {
      sha1.update(b, off, len);
      sha256.update(b, off, len);
      md5.update(b, off, len);
    };
  }

  private void finish() {
    if (sha1Value == null) {
      sha1Value = sha1.digest();
      sha256Value = sha256.digest();
      md5Value = md5.digest();
    }
  }

  /** "Q1" and the base64 SHA-1, as an APKINDEX {@code C:} gives it. */
  String q1() {
    finish();
    return "Q1" + Base64.getEncoder().encodeToString(sha1Value);
  }

  /** "Q2" and the base64 SHA-256. */
  String q2() {
    finish();
    return "Q2" + Base64.getEncoder().encodeToString(sha256Value);
  }

  String sha256Hex() {
    finish();
    return HexFormat.of().formatHex(sha256Value);
  }

  String md5Hex() {
    finish();
    return HexFormat.of().formatHex(md5Value);
  }

  /** True when {@code checksum} (Q1..., Q2... or 32 hex digits of MD5, the forms apk 2 reads) names these bytes. */
  boolean matches(String checksum) {
    String c = checksum.strip();
    if (c.startsWith("Q1")) {
      return c.equals(q1());
    }
    if (c.startsWith("Q2")) {
      return c.equals(q2());
    }
    return c.length() == 32 && c.equalsIgnoreCase(md5Hex());
  }
}
