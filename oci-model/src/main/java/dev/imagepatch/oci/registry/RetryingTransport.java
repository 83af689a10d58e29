package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Retries a call through the {@link RetryLoop} on transient I/O errors (stalls included), 5xx and
 * 429. A call whose body cannot be replayed is sent once: its caller decides whether to start
 * over. Out of retries, an I/O error becomes a {@link RegistryException} naming the registry and
 * operation, and an error status is returned for the endpoint to report with its body.
 */
record RetryingTransport(Transport inner, RetryLoop loop) implements Transport {
  @Override
  public HttpResponse<InputStream> send(Call call) throws IOException {
    return loop.run(call.operation, attempt -> attempt(call));
  }

  private RetryLoop.Outcome<HttpResponse<InputStream>> attempt(Call call) throws IOException {
    HttpResponse<InputStream> response;
    try {
      response = inner.send(call);
    } catch (RegistryException e) {
      throw e; // a verdict from below: the token endpoint refused us
    } catch (IOException e) {
      if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
        throw e; // the caller wants us to stop
      }
      Optional<DigestMismatchException> mismatch = Failures.mismatchIn(e);
      if (mismatch.isPresent()) {
        // Our own source was bad: not the registry's fault, and not worth a retry.
        throw mismatch.get();
      }
      return ioFailure(call, e);
    }
    if (!Failures.isRetryable(response.statusCode()) || !call.replayable) {
      return RetryLoop.Outcome.success(response);
    }
    return RetryLoop.Outcome.failure(new RetryLoop.Failure<>() {
      @Override
      public boolean retryable() {
        return true;
      }

      @Override
      public Optional<Duration> retryAfter() {
        return RetryAfter.of(response);
      }

      @Override
      public String release() {
        return "HTTP " + response.statusCode() + " " + Failures.readError(response);
      }

      @Override
      public HttpResponse<InputStream> giveUp(int attempts) {
        return response;
      }
    });
  }

  private RetryLoop.Outcome<HttpResponse<InputStream>> ioFailure(Call call, IOException e) {
    return RetryLoop.Outcome.failure(new RetryLoop.Failure<>() {
      @Override
      public boolean retryable() {
        return call.replayable && Failures.isTransient(e, call.uri);
      }

      @Override
      public String release() {
        return Failures.describe(e);
      }

      @Override
      public HttpResponse<InputStream> giveUp(int attempts) throws RegistryException {
        throw Failures.unreachable(loop.registry(), call, attempts, e);
      }
    });
  }
}
