package dev.imagepatch.patch;

import java.time.Duration;

/** The patch did not finish within its {@link PatchRequest.Builder#timeout timeout}. */
public final class PatchTimeoutException extends PatchException {
  private final Duration timeout;

  PatchTimeoutException(Duration timeout, String message, Throwable cause) {
    super(message, cause);
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }
}
