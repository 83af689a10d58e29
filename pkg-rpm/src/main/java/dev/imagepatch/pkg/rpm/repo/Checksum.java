package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A checksum as repository metadata writes it: {@code <checksum type="sha256">hex</checksum>}.
 * The type is kept as written ({@code sha} is createrepo's old name for SHA-1); the value is
 * lower-case hex.
 */
public record Checksum(String type, String hex) {
  public Checksum {
    type = type.strip().toLowerCase(Locale.ROOT);
    hex = hex.strip().toLowerCase(Locale.ROOT);
  }

  /** The JCA algorithm of {@code type}: sha/sha1, sha224, sha256, sha384, sha512; MD5 and others refused. */
  public static String algorithm(String type, String source) throws IOException {
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "sha", "sha1" -> "SHA-1";
      case "sha224" -> "SHA-224";
      case "sha256" -> "SHA-256";
      case "sha384" -> "SHA-384";
      case "sha512" -> "SHA-512";
      default -> throw new IOException(source + ": checksum type '" + type + "' is not supported");
    };
  }

  /** A fresh digest of this checksum's algorithm. */
  public MessageDigest digest(String source) throws IOException {
    String algorithm = algorithm(type, source);
    if (!hex.matches("[0-9a-f]+") || hex.length() != digestLength(algorithm) * 2) {
      throw new IOException(source + ": malformed " + type + " checksum '" + hex + "'");
    }
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code digest} (finished) equals this checksum. */
  public boolean matches(byte[] digest) {
    return HexFormat.of().formatHex(digest).equals(hex);
  }

  private static int digestLength(String algorithm) {
    return switch (algorithm) {
      case "SHA-1" -> 20;
      case "SHA-224" -> 28;
      case "SHA-256" -> 32;
      case "SHA-384" -> 48;
      default -> 64;
    };
  }

  @Override
  public String toString() {
    return type + ":" + hex;
  }
}
