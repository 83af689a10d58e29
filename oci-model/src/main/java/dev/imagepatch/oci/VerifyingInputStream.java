package dev.imagepatch.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes a stream while it is read and fails at its end when the content does not match the
 * expected digest and size. Reading past the expected size fails at once, so a hostile source
 * cannot feed an endless stream. Whoever consumes the bytes must treat them as unverified until
 * end of stream has been reached without an exception.
 */
public final class VerifyingInputStream extends FilterInputStream {
  private final Digest expected;
  private final long expectedSize;
  private final String what;
  private final MessageDigest hasher;
  private long count;
  private boolean verified;

  /**
   * @param expectedSize the exact size, or -1 when unknown
   * @param what names the content in error messages (e.g. "blob sha256:... from host/repo")
   */
  public VerifyingInputStream(InputStream in, Digest expected, long expectedSize, String what) {
    super(in);
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
    this.hasher = expected.algorithm().newMessageDigest();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n < 0) {
      verify();
      return -1;
    }
    hasher.update(b, off, n);
    count += n;
    if (expectedSize >= 0 && count > expectedSize) {
      throw new DigestMismatchException(
          what + ": more than the expected " + expectedSize + " bytes");
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipping would bypass the hash; read and discard instead.
    byte[] buf = new byte[8192];
    long left = n;
    while (left > 0) {
      int r = read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        break;
      }
      left -= r;
    }
    return n - left;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Bytes read so far. */
  public long count() {
    return count;
  }

  private void verify() throws DigestMismatchException {
    if (verified) {
      return;
    }
    if (expectedSize >= 0 && count != expectedSize) {
      throw new DigestMismatchException(
          what + ": expected " + expectedSize + " bytes, got " + count);
    }
    Digest actual = Digest.of(expected.algorithm(), hasher.digest());
    if (!actual.equals(expected)) {
      throw new DigestMismatchException(what + ": content hashes to " + actual + ", expected " + expected);
    }
    verified = true;
  }
}
