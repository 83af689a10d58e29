package dev.imagepatch.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A content digest such as {@code sha256:2c26b4...}: an algorithm and the lowercase hex of the hash.
 * Only the algorithms the OCI image spec registers are accepted, and the hex length is checked.
 */
public final class Digest implements Comparable<Digest> {

  /** The registered digest algorithms. */
  public enum Algorithm {
    SHA256("sha256", "SHA-256", 64),
    SHA512("sha512", "SHA-512", 128);

    private final String id;
    private final String jcaName;
    private final int hexLength;

    Algorithm(String id, String jcaName, int hexLength) {
      this.id = id;
      this.jcaName = jcaName;
      this.hexLength = hexLength;
    }

    /** The name used in digest strings, e.g. {@code sha256}. */
    public String id() {
      return id;
    }

    /** A fresh hasher for this algorithm. */
    public MessageDigest newMessageDigest() {
      try {
        return MessageDigest.getInstance(jcaName);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JVM lacks " + jcaName, e);
      }
    }

    static Algorithm fromId(String id, String whole) {
      for (Algorithm a : values()) {
        if (a.id.equals(id)) {
          return a;
        }
      }
      throw new IllegalArgumentException(
          "unsupported digest algorithm '" + id + "' in '" + whole + "' (sha256 and sha512 are supported)");
    }
  }

  private final Algorithm algorithm;
  private final String hex;

  private Digest(Algorithm algorithm, String hex) {
    this.algorithm = algorithm;
    this.hex = hex;
  }

  /** Parses {@code algorithm:hex}; anything malformed is rejected with the offending text. */
  public static Digest parse(String value) {
    Objects.requireNonNull(value, "digest");
    int colon = value.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid digest '" + value + "': expected algorithm:hex");
    }
    Algorithm algorithm = Algorithm.fromId(value.substring(0, colon), value);
    String hex = value.substring(colon + 1);
    if (hex.length() != algorithm.hexLength) {
      throw new IllegalArgumentException("invalid digest '" + value + "': " + algorithm.id
          + " needs " + algorithm.hexLength + " hex characters, found " + hex.length());
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw new IllegalArgumentException(
            "invalid digest '" + value + "': '" + c + "' is not a lowercase hex digit");
      }
    }
    return new Digest(algorithm, hex);
  }

  /** True when {@code value} parses as a digest. */
  public static boolean isDigest(String value) {
    try {
      parse(value);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The digest of a finished hash. */
  public static Digest of(Algorithm algorithm, byte[] hash) {
    return new Digest(algorithm, HexFormat.of().formatHex(hash).toLowerCase(Locale.ROOT));
  }

  /** The sha256 digest of {@code content}, for small documents only. */
  public static Digest sha256(byte[] content) {
    return of(Algorithm.SHA256, Algorithm.SHA256.newMessageDigest().digest(content));
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  /** The lowercase hex part. */
  public String hex() {
    return hex;
  }

  /** The digest of {@code content} under this digest's algorithm. */
  public Digest recompute(byte[] content) {
    return of(algorithm, algorithm.newMessageDigest().digest(content));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && d.algorithm == algorithm && d.hex.equals(hex);
  }

  @Override
  public int hashCode() {
    return algorithm.hashCode() * 31 + hex.hashCode();
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return algorithm.id + ":" + hex;
  }
}
