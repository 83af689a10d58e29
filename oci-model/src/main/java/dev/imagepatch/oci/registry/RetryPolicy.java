package dev.imagepatch.oci.registry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to keep trying a registry: exponential backoff with full jitter between attempts, a
 * cap on attempts and on the total time. Applies to connection errors, HTTP 5xx and 429 (whose
 * Retry-After is honoured when it fits within the total time).
 */
public final class RetryPolicy {
  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final Duration totalTime;

  private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration totalTime) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    this.maxAttempts = maxAttempts;
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
    this.totalTime = totalTime;
  }

  /** Six attempts, 200 ms doubling up to 10 s between them, two minutes in all. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(6, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(2));
  }

  /** One attempt only. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }

  public static RetryPolicy of(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration totalTime) {
    return new RetryPolicy(maxAttempts, initialDelay, maxDelay, totalTime);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration totalTime() {
    return totalTime;
  }

  /** The pause before attempt {@code attempt + 1} (attempt counts from 1): random in [0, cap]. */
  Duration backoff(int attempt) {
    long cap = initialDelay.toMillis() << Math.min(attempt - 1, 20);
    cap = Math.min(Math.max(cap, 0), maxDelay.toMillis());
    return Duration.ofMillis(cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1));
  }

  @Override
  public String toString() {
    return maxAttempts + " attempts within " + totalTime.toMillis() + " ms";
  }
}
