package dev.imagepatch.pkg.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that hands every byte read to a sink (digests, counters, bounds): skipping reads, so
 * no byte passes unseen, and marks are not supported. Subclasses may override {@link #tapped}
 * instead of giving a sink.
 */
public class Tap extends FilterInputStream {
  /** Receives the bytes read. */
  @FunctionalInterface
  public interface Sink {
    void accept(byte[] b, int off, int len) throws IOException;
  }

  private final Sink sink;

  public Tap(InputStream in, Sink sink) {
    super(in);
    this.sink = sink;
  }

  /** For subclasses that override {@link #tapped}. */
  protected Tap(InputStream in) {
    this(in, null);
  }

  /** Called with each run of bytes read, before the reader sees them. */
  protected void tapped(byte[] b, int off, int len) throws IOException {
    sink.accept(b, off, len);
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
    if (n > 0) {
      tapped(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    return Bounded.skipByReading(this, n);
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
