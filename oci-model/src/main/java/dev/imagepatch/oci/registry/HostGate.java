package dev.imagepatch.oci.registry;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's share of {@link RegistryLimits}: its permits (none when unlimited) and the end of
 * the pause its last {@code Retry-After} asked for. Times are {@link System#nanoTime()}, so a
 * wall clock step changes nothing.
 */
final class HostGate {
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

  /** Requests to the host wait until {@code until}; {@code status} is the answer that asked. */
  record Pause(long until, int status) {
    Duration left(long now) {
      return until - now > 0 ? Duration.ofNanos(until - now) : Duration.ZERO;
    }
  }

  /** A place among the host's requests in flight, given back on close. */
  interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  private final String host;
  private final Semaphore permits;
  private final AtomicReference<Pause> pause;

  HostGate(String host, int limit) {
    this.host = host;
    // Fair, so a request queued behind a long pause is not overtaken for ever.
    this.permits = limit > 0 ? new Semaphore(limit, true) : null;
    this.pause = new AtomicReference<>(new Pause(System.nanoTime(), 0));
  }

  String host() {
    return host;
  }

  /** Waits for a place; interruption ends the wait. */
  Permit enter() throws InterruptedIOException {
    if (permits == null) {
      return () -> {};
    }
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a request slot on " + host);
    }
    return new Permit() {
      private boolean closed;

      @Override
      public synchronized void close() {
        if (!closed) {
          closed = true;
          permits.release();
        }
      }
    };
  }

  /** Later requests wait {@code wait} from now; a longer pause already asked for stays. */
  void pauseFor(Duration wait, int status) {
    long now = System.nanoTime();
    Pause asked = new Pause(now + wait.toNanos(), status);
    Pause current = pause.accumulateAndGet(asked, (a, b) -> b.until - a.until > 0 ? b : a);
    if (current == asked) {
      log.info("{} answered HTTP {} with Retry-After: requests to it paused for {} ms", host, status,
          wait.toMillis());
    }
  }

  /** The pause asked for, as of now. */
  Pause pause() {
    return pause.get();
  }
}
