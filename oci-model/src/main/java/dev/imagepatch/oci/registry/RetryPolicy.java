package dev.imagepatch.oci.registry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to keep trying a registry: exponential backoff with full jitter between attempts, a
 * cap on attempts and on the total time. Applies to connection errors, HTTP 5xx and 429, whose
 * Retry-After is honoured up to {@link #maxRetryAfter()}: a registry asking for longer gets its
 * answer reported at once rather than waited for.
 */
public final class RetryPolicy {
  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final Duration totalTime;
  private final Duration maxRetryAfter;

  private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration totalTime,
      Duration maxRetryAfter) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException("maxRetryAfter must not be negative: " + maxRetryAfter);
    }
    this.maxAttempts = maxAttempts;
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
    this.totalTime = totalTime;
    this.maxRetryAfter = maxRetryAfter;
  }

  private static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofMinutes(1);

  /**
   * Six attempts, 200 ms doubling up to 10 s between them, two minutes in all; a Retry-After of up
   * to one minute waited for.
   */
  public static RetryPolicy defaults() {
    return of(6, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(2));
  }

  /** One attempt only. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }

  /** A policy waiting for a Retry-After of up to one minute, or the total time if shorter. */
  public static RetryPolicy of(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration totalTime) {
    return new RetryPolicy(maxAttempts, initialDelay, maxDelay, totalTime,
        min(DEFAULT_MAX_RETRY_AFTER, totalTime));
  }

  /** This policy waiting for a Retry-After of at most {@code max} (never beyond the total time). */
  public RetryPolicy withMaxRetryAfter(Duration max) {
    return new RetryPolicy(maxAttempts, initialDelay, maxDelay, totalTime, min(max, totalTime));
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration totalTime() {
    return totalTime;
  }

  /**
   * The longest {@code Retry-After} waited for, by the request that got it and by the later
   * requests to the same host (see {@link RegistryLimits}).
   */
  public Duration maxRetryAfter() {
    return maxRetryAfter;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
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
