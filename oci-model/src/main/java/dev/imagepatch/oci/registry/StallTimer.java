package dev.imagepatch.oci.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ends exchanges whose peer has sent or taken nothing for a time. The JDK client has a connect
 * timeout and a timeout for a whole response, but a limit on the whole would cut off a slow,
 * healthy multi-GB transfer, and without one a connection that stops mid-way blocks forever (a
 * CronJob that never ends). Time counts only while we wait on the peer: a caller that is slow to
 * read, or a slow source of an upload, is not a stall.
 */
final class StallTimer {
  private static final ScheduledExecutorService TIMER = timer();
  private static final long BUSY = Long.MIN_VALUE;

  private final long limitNanos;

  StallTimer(Duration limit) {
    this.limitNanos = limit.toNanos();
  }

  Duration limit() {
    return Duration.ofNanos(limitNanos);
  }

  /** A watch of {@code what} (named in the error), not yet counting. */
  Watch watch(String what) {
    return new Watch(what);
  }

  /** One exchange, or one response body, timed. */
  final class Watch implements AutoCloseable {
    private final String what;
    private volatile long waitingSince = BUSY;
    private volatile Runnable onStall = () -> { };
    private volatile boolean fired;
    private boolean armed;
    private boolean closed;

    private Watch(String what) {
      this.what = what;
    }

    /** What to do when the peer stalls: cancel the exchange, close the stream. */
    void onStall(Runnable action) {
      this.onStall = action;
      if (fired) {
        action.run();
      }
    }

    /** From now on, time counts: we wait for the peer. */
    synchronized void waiting() {
      waitingSince = System.nanoTime();
      if (!armed && !closed) {
        armed = true;
        TIMER.schedule(this::check, limitNanos, TimeUnit.NANOSECONDS);
      }
    }

    /** Our side is working (reading the upload's source, or not reading at all). */
    void busy() {
      waitingSince = BUSY;
    }

    boolean fired() {
      return fired;
    }

    /** The error a stalled exchange ends with; retryable like any I/O error. */
    HttpTimeoutException exception() {
      long millis = limit().toMillis();
      String limitText = millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
      return new HttpTimeoutException("no data for " + limitText + " while " + what + " (the stall timeout)");
    }

    private void check() {
      Runnable action;
      synchronized (this) {
        armed = false;
        long since = waitingSince;
        if (closed || since == BUSY) {
          return; // the next waiting() arms again
        }
        long waited = System.nanoTime() - since;
        if (waited < limitNanos) {
          armed = true;
          TIMER.schedule(this::check, limitNanos - waited, TimeUnit.NANOSECONDS);
          return;
        }
        fired = true;
        closed = true;
        action = onStall;
      }
      action.run();
    }

    @Override
    public synchronized void close() {
      closed = true;
      waitingSince = BUSY;
    }

    /** {@code in}, read under this watch: each read waits on the peer; closing it ends the watch. */
    InputStream guard(InputStream in) {
      onStall(() -> {
        try {
          in.close(); // wakes the reader
        } catch (IOException ignored) {
          // the reader gets the stall error either way
        }
      });
      return new BulkReads(in) {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          waiting();
          int n;
          try {
            n = in.read(b, off, len);
          } catch (IOException e) {
            if (fired) {
              throw (HttpTimeoutException) exception().initCause(e);
            }
            throw e;
          } finally {
            busy();
          }
          if (fired) {
            throw exception();
          }
          if (n < 0) {
            Watch.this.close();
          }
          return n;
        }

        @Override
        public void close() throws IOException {
          Watch.this.close();
          in.close();
        }
      };
    }

    /** An upload's source: reading it is our work, the pauses between reads are the peer's. */
    InputStream source(InputStream in) {
      return new BulkReads(in) {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          busy();
          try {
            return in.read(b, off, len);
          } finally {
            waiting();
          }
        }
      };
    }
  }

  /** A filter whose single-byte read goes through its bulk read, where the timing is. */
  private abstract static class BulkReads extends FilterInputStream {
    BulkReads(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
  }

  private static ScheduledExecutorService timer() {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "imagepatch-stall-timer");
      thread.setDaemon(true);
      return thread;
    });
  }
}
