package dev.imagepatch.pkg.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * Reading what an attacker may have written (layers, packages, indexes) in bounded memory, disk
 * and time: streams that fail past a size, copies charged to a {@link DiskBudget}, and every loop
 * checking {@link Thread#interrupted()} so a timed-out patch stops decompressing at once.
 */
public final class Bounded {
  /** The most a tar entry's headers (PAX extended header, GNU long name and link) may hold: 1 MiB. */
  public static final long TAR_HEADER_LIMIT = 1L << 20;
  private static final int BUFFER = 1 << 16;

  private Bounded() {}

  /** Throws {@link InterruptedIOException} (keeping the flag set) when the thread was interrupted. */
  public static void checkInterrupted(String what) throws InterruptedIOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while reading " + what);
    }
  }

  /**
   * A view of {@code in} that fails with {@code tooLarge}'s message once more than {@code limit}
   * bytes were read, and stops when the thread is interrupted. Closing it closes {@code in}.
   */
  public static InputStream limit(InputStream in, long limit, Supplier<String> tooLarge) {
    return new Guard(in, limit, tooLarge);
  }

  /**
   * {@code skip} for a filter stream whose {@code read} must see every byte (to hash or count it):
   * up to {@code n} bytes read through {@code in} and dropped; fewer only at its end.
   */
  public static long skipByReading(InputStream in, long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(n, 1))];
    long done = 0;
    while (done < n) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  /** All of {@code in}, when it holds at most {@code limit} bytes. */
  public static byte[] readAll(InputStream in, long limit, Supplier<String> tooLarge) throws IOException {
    return limit(new NonClosing(in), limit, tooLarge).readAllBytes();
  }

  /** Copies {@code in} to {@code out}, charging {@code budget}; returns the bytes copied. */
  public static long copy(InputStream in, OutputStream out, DiskBudget budget, String what) throws IOException {
    byte[] buf = new byte[BUFFER];
    long count = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      checkInterrupted(what);
      budget.charge(n, what);
      out.write(buf, 0, n);
      count += n;
    }
    return count;
  }

  /**
   * A stream for tar readers that counts what they read for headers: {@link #arm} before asking
   * for the next entry (after the current one's data was read), {@link #disarm} after, and a PAX
   * header or GNU long name larger than the limit fails instead of being read into memory.
   */
  public static final class HeaderGuard extends Counting {
    private long left = -1;
    private long limit;
    private String what;
    private boolean started;

    public HeaderGuard(InputStream in) {
      super(in);
    }

    public void arm(long limit, String what) {
      this.limit = limit;
      this.left = limit;
      this.what = what;
    }

    public void disarm() {
      left = -1;
    }

    /**
     * The next entry as {@code next} reads it, once the current entry's data ({@code current}, the
     * tar stream; none before the first call) was read to its end, with the header bytes read on the way counted against {@code limit}.
     */
    public <T> T next(InputStream current, long limit, String what, IoCall<T> next) throws IOException {
      if (started) {
        current.transferTo(OutputStream.nullOutputStream());
      }
      started = true;
      arm(limit, what);
      try {
        return next.call();
      } finally {
        disarm();
      }
    }

    @Override
    void count(long n) throws IOException {
      checkInterrupted(what == null ? "an archive" : what);
      if (left >= 0 && n > 0) {
        left -= n;
        if (left < 0) {
          throw new IOException(what + ": a tar header (PAX or GNU long name) larger than the " + limit
              + "-byte limit");
        }
      }
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(n);
      count(s);
      return s;
    }
  }

  /** An I/O step that returns a value. */
  @FunctionalInterface
  public interface IoCall<T> {
    T call() throws IOException;
  }

  /** A stream that hands the bytes each read returns to {@link #count}. */
  abstract static class Counting extends FilterInputStream {
    Counting(InputStream in) {
      super(in);
    }

    abstract void count(long n) throws IOException;

    @Override
    public int read() throws IOException {
      int b = in.read();
      count(b < 0 ? 0 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      count(Math.max(n, 0));
      return n;
    }
  }

  private static final class Guard extends Counting {
    private final long limit;
    private final Supplier<String> tooLarge;
    private long count;

    Guard(InputStream in, long limit, Supplier<String> tooLarge) {
      super(in);
      this.limit = limit;
      this.tooLarge = tooLarge;
    }

    @Override
    void count(long n) throws IOException {
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted: " + tooLarge.get());
      }
      count += n;
      if (count > limit) {
        throw new IOException(tooLarge.get());
      }
    }

    @Override
    public long skip(long n) throws IOException {
      // Read, not skipped: a skip over decompressed data must count as much as a read.
      return skipByReading(this, n);
    }
  }

  private static final class NonClosing extends FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
