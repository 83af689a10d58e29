package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLSession;

/**
 * The bottom of the transport: one HTTP exchange under the {@link StallTimer}, the request and
 * its body until the response's headers, then the body as the caller reads it. A stall cancels
 * the exchange and ends in an {@link java.net.http.HttpTimeoutException}, which the retry layer
 * treats as any I/O error.
 */
record StallGuardedExchange(String registry, HttpClient http, String userAgent, StallTimer stall)
    implements Transport {

  @Override
  public HttpResponse<InputStream> send(Call call) throws IOException {
    if (Thread.interrupted()) {
      // Interrupted (a patch's timeout): no new request, not even one to be cancelled at once.
      Thread.currentThread().interrupt();
      throw interrupted(call);
    }
    StallTimer.Watch watch = stall.watch(call.operation + " on " + registry);
    HttpRequest.Builder request = HttpRequest.newBuilder(call.uri).header("User-Agent", userAgent);
    call.headers.forEach(h -> request.header(h[0], h[1]));
    request.method(call.method, publisher(call, watch));
    HttpResponse<InputStream> response;
    watch.waiting();
    CompletableFuture<HttpResponse<InputStream>> pending =
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    watch.onStall(() -> pending.cancel(true));
    try {
      response = pending.get();
    } catch (CancellationException e) {
      throw watch.exception();
    } catch (ExecutionException e) {
      if (watch.fired()) {
        throw (IOException) watch.exception().initCause(e.getCause());
      }
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      throw interrupted(call);
    } finally {
      watch.close();
    }
    InputStream body = stall.watch("reading the response to " + call.operation + " from " + registry)
        .guard(response.body());
    return new Guarded(response, body);
  }

  private InterruptedIOException interrupted(Call call) {
    return new InterruptedIOException(call.operation + " on " + registry + " interrupted");
  }

  private static HttpRequest.BodyPublisher publisher(Call call, StallTimer.Watch watch) {
    if (call.body == null || call.bodyLength == 0) {
      return HttpRequest.BodyPublishers.noBody();
    }
    HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(() -> {
      try {
        return watch.source(call.body.open());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return HttpRequest.BodyPublishers.fromPublisher(stream, call.bodyLength);
  }

  /** A response whose body is read under the stall timer. */
  private record Guarded(HttpResponse<InputStream> response, InputStream body) implements HttpResponse<InputStream> {
    @Override
    public int statusCode() {
      return response.statusCode();
    }

    @Override
    public HttpRequest request() {
      return response.request();
    }

    @Override
    public Optional<HttpResponse<InputStream>> previousResponse() {
      return response.previousResponse();
    }

    @Override
    public HttpHeaders headers() {
      return response.headers();
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return response.sslSession();
    }

    @Override
    public URI uri() {
      return response.uri();
    }

    @Override
    public HttpClient.Version version() {
      return response.version();
    }
  }
}
