package dev.imagepatch.pkg.rpm.repo;

import com.github.luben.zstd.ZstdInputStream;
import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.Tap;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A metadata file repomd names, opened for streaming: the stored bytes hashed and counted against
 * {@code checksum}/{@code size}, decompressed (gzip, xz, zstd, bzip2 or none, told by their magic
 * bytes; zchunk refused), and the content hashed and counted against {@code open-checksum} /
 * {@code open-size}. Decompression stops once it passes the open-size (or, when repomd gives
 * none, a limit). At the end of the content, the rest of the stored file is read and both
 * checksums are compared; a mismatch fails the read naming the file. Readers of the content must
 * read it to its end and use nothing of it when that fails.
 */
public final class MetadataFile {
  /** The content limit when repomd gives no open-size: 64 times the stored size, at least 64 MiB. */
  public static final long RATIO = 64;
  /** The content limit when repomd gives neither size: 4 GiB. */
  public static final long DEFAULT_LIMIT = 4L << 30;
  /** xz decoder memory: 256 MiB, more than any real metadata's dictionary. */
  private static final int XZ_MEMORY_KIB = 256 << 10;

  private MetadataFile() {}

  /**
   * The verified, decompressed content of {@code data}, whose stored bytes {@code stored} reads.
   * {@code source} names the file in errors (a URL or path). Closing it closes {@code stored}.
   */
  public static InputStream open(Repomd.Data data, InputStream stored, String source) throws IOException {
    long limit = data.openSize() >= 0 ? data.openSize()
        : data.size() >= 0 ? Math.max(data.size() * RATIO, 64L << 20) : DEFAULT_LIMIT;
    return open(data, stored, limit, source);
  }

  /** As {@link #open(Repomd.Data, InputStream, String)}, with the content limit given. */
  public static InputStream open(Repomd.Data data, InputStream stored, long limit, String source)
      throws IOException {
    Hashing file = new Hashing(stored, data.checksum().digest(source), data.size(), source, "size");
    BufferedInputStream buffered = new BufferedInputStream(file, 1 << 16);
    InputStream decompressed = decompress(buffered, source);
    MessageDigest openDigest = data.openChecksum() == null ? null : data.openChecksum().digest(source);
    boolean compressed = decompressed != buffered;
    return new Content(decompressed, openDigest, compressed ? limit : data.size() >= 0 ? data.size() : limit,
        data, file, compressed, source);
  }

  private static InputStream decompress(BufferedInputStream in, String source) throws IOException {
    in.mark(8);
    byte[] magic = in.readNBytes(6);
    in.reset();
    if (starts(magic, 0x1f, 0x8b)) {
      return new GzipCompressorInputStream(in, true);
    }
    if (starts(magic, 0xfd, '7', 'z', 'X', 'Z', 0)) {
      return new XZInputStream(in, XZ_MEMORY_KIB);
    }
    if (starts(magic, 0x28, 0xb5, 0x2f, 0xfd)) {
      return new ZstdInputStream(in);
    }
    if (starts(magic, 'B', 'Z', 'h')) {
      return new BZip2CompressorInputStream(in, true);
    }
    if (starts(magic, 0, 'Z', 'C', 'K', '1')) {
      throw new IOException(source + ": zchunk metadata is not read; use the entry without _zck");
    }
    return in;
  }

  private static boolean starts(byte[] b, int... magic) {
    if (b.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if ((b[i] & 0xff) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /** Hashes and counts what is read; fails once more than {@code size} bytes (when known) were read. */
  private static class Hashing extends Tap {
    final MessageDigest digest;
    final long size;
    final String source;
    final String what;
    long count;

    Hashing(InputStream in, MessageDigest digest, long size, String source, String what) {
      super(in);
      this.digest = digest;
      this.size = size;
      this.source = source;
      this.what = what;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Bounded.checkInterrupted(source);
      return super.read(b, off, len);
    }

    @Override
    protected void tapped(byte[] b, int off, int n) throws IOException {
      if (digest != null) {
        digest.update(b, off, n);
      }
      count += n;
      if (size >= 0 && count > size) {
        throw new IOException(source + ": larger than the " + size + " bytes repomd.xml gives as its " + what);
      }
    }
  }

  /** The content: hashed, bounded, and both checksums compared at its end. */
  private static final class Content extends Hashing {
    private final Repomd.Data data;
    private final Hashing file;
    private final boolean compressed;
    private final long limit;
    private boolean checked;
    private IOException failure;

    Content(InputStream in, MessageDigest digest, long limit, Repomd.Data data, Hashing file, boolean compressed,
        String source) {
      super(in, digest, -1, source, "open-size");
      this.limit = limit;
      this.data = data;
      this.file = file;
      this.compressed = compressed;
    }

    @Override
    protected void tapped(byte[] b, int off, int n) throws IOException {
      super.tapped(b, off, n);
      if (count > limit) {
        throw new IOException(source + (data.openSize() >= 0 && compressed
            ? ": decompresses to more than the " + data.openSize() + " bytes repomd.xml gives as its open-size"
            : ": decompresses to more than " + limit + " bytes"));
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        throw undecodable(e);
      }
      if (n < 0) {
        check();
      }
      return n;
    }

    /**
     * A read of the content failed (a corrupt compressed stream, a bound): the error names the
     * file, and says the stored checksum does not match when that is the cause.
     */
    private IOException undecodable(IOException e) {
      if (failure != null) {
        return failure;
      }
      IOException error = e.getMessage() != null && e.getMessage().startsWith(source) ? e
          : new IOException(source + ": cannot be read: " + e.getMessage(), e);
      if (!(e instanceof java.io.InterruptedIOException)) {
        try {
          byte[] buf = new byte[8192];
          while (file.read(buf, 0, buf.length) >= 0) {
            // hashed and counted
          }
          if (!data.checksum().matches(file.digest.digest())) {
            error = new IOException(source + ": " + data.checksum().type() + " checksum does not match repomd.xml's "
                + data.checksum().hex() + ": the file is corrupt or was changed", e);
          }
        } catch (IOException more) {
          error.addSuppressed(more);
        }
      }
      failure = error;
      checked = true;
      return error;
    }

    private void check() throws IOException {
      if (failure != null) {
        throw failure;
      }
      if (checked) {
        return;
      }
      checked = true;
      try {
        compare();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    private void compare() throws IOException {
      // What the decompressor left unread (padding, a trailing member) is part of the stored file.
      byte[] buf = new byte[8192];
      while (file.read(buf, 0, buf.length) >= 0) {
        // hashed and counted by file
      }
      if (data.size() >= 0 && file.count != data.size()) {
        throw new IOException(source + ": " + file.count + " bytes, repomd.xml gives " + data.size());
      }
      if (!data.checksum().matches(file.digest.digest())) {
        throw new IOException(source + ": " + data.checksum().type() + " checksum does not match repomd.xml's "
            + data.checksum().hex() + ": the file is corrupt or was changed");
      }
      if (compressed && data.openSize() >= 0 && count != data.openSize()) {
        throw new IOException(source + ": decompresses to " + count + " bytes, repomd.xml gives an open-size of "
            + data.openSize());
      }
      if (compressed && digest != null && !data.openChecksum().matches(digest.digest())) {
        throw new IOException(source + ": the decompressed content's " + data.openChecksum().type()
            + " checksum does not match repomd.xml's open-checksum " + data.openChecksum().hex());
      }
    }

    @Override
    public void close() throws IOException {
      try {
        in.close();
      } finally {
        file.close();
      }
    }
  }
}
