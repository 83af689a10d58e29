package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's only retry loop: attempts within the {@link RetryPolicy}'s count and total time,
 * paused by its jittered backoff or by the registry's Retry-After. Requests
 * ({@link RetryingTransport}) and whole uploads ({@link BlobUploads}) both go through it; each
 * says per attempt whether its failure is worth another try and what giving up means.
 */
record RetryLoop(String registry, RetryPolicy policy) {
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

  /** One try; {@code attempt} counts from 1. */
  @FunctionalInterface
  interface Attempt<T> {
    Outcome<T> run(int attempt) throws IOException;
  }

  /** A failed attempt, as its caller judges it. */
  interface Failure<T> {
    /** Whether another attempt could go differently. */
    boolean retryable();

    /** The pause the registry asked for, if it did. */
    default Optional<Duration> retryAfter() {
      return Optional.empty();
    }

    /** Lets go of what the attempt holds (a response body) and says what went wrong, for the log. */
    String release();

    /** The end when no retry is left: an answer to return, or an exception. */
    T giveUp(int attempts) throws IOException;
  }

  /** A result, or a failure. */
  record Outcome<T>(T result, Failure<T> failure) {
    static <T> Outcome<T> success(T result) {
      return new Outcome<>(result, null);
    }

    static <T> Outcome<T> failure(Failure<T> failure) {
      return new Outcome<>(null, failure);
    }
  }

  <T> T run(String operation, Attempt<T> attempt) throws IOException {
    long deadline = System.nanoTime() + policy.totalTime().toNanos();
    for (int n = 1; ; n++) {
      Outcome<T> outcome = attempt.run(n);
      Failure<T> failure = outcome.failure();
      if (failure == null) {
        return outcome.result();
      }
      Optional<Duration> asked = failure.retryAfter();
      Duration pause = asked.isPresent() ? asked.get() : policy.backoff(n);
      // A Retry-After beyond the bound or the total time is not waited for: the caller gets the
      // answer now.
      boolean tooLong = asked.isPresent() && asked.get().compareTo(policy.maxRetryAfter()) > 0;
      if (!failure.retryable() || n >= policy.maxAttempts() || tooLong
          || System.nanoTime() + pause.toNanos() - deadline > 0) {
        return failure.giveUp(n);
      }
      log.warn("{} on {}: {}; retrying in {} ms", operation, registry, failure.release(), pause.toMillis());
      sleep(pause);
    }
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
