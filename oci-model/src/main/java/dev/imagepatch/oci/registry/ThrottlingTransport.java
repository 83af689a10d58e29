package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Holds every exchange to its host's share of the run's {@link RegistryLimits}: a place among the
 * host's requests in flight, taken until the answer's headers arrive, and the pause the host last
 * asked for with {@code Retry-After} waited out first. A 429 or 503 carrying Retry-After pauses
 * its host for every client sharing the limits. A pause longer than {@code maxWait} is not waited
 * for: the call fails at once with the status that asked for it, as the host would answer.
 */
record ThrottlingTransport(Transport inner, String registry, RegistryLimits limits, Duration maxWait)
    implements Transport {

  @Override
  public HttpResponse<InputStream> send(Call call) throws IOException {
    HostGate gate = limits.gate(call.uri.getAuthority());
    // A paused host is waited for before queueing for a place, and again once in it: the pause
    // may have begun while we queued.
    awaitPause(gate, call);
    HttpResponse<InputStream> response;
    try (HostGate.Permit permit = gate.enter()) {
      awaitPause(gate, call);
      response = inner.send(call);
    }
    int status = response.statusCode();
    if (status == 429 || status == 503) {
      RetryAfter.of(response).ifPresent(wait -> gate.pauseFor(wait, status));
    }
    return response;
  }

  private void awaitPause(HostGate gate, Call call) throws IOException {
    for (HostGate.Pause pause = gate.pause(); ; pause = gate.pause()) {
      Duration left = pause.left(System.nanoTime());
      if (left.isZero()) {
        return;
      }
      if (left.compareTo(maxWait) > 0) {
        throw new RegistryException(registry, call.repository, call.operation, pause.status(), null,
            gate.host() + " asked for no requests for another " + seconds(left) + " s (Retry-After),"
                + " longer than the " + seconds(maxWait) + " s this client waits", null);
      }
      try {
        Thread.sleep(left.toMillis(), (int) (left.toNanos() % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(call.operation + " on " + registry + " interrupted while "
            + gate.host() + " is paused");
      }
    }
  }

  private static long seconds(Duration d) {
    return (d.toMillis() + 999) / 1000;
  }
}
