package dev.imagepatch.oci.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A loopback HTTP proxy in front of a real registry that injects faults on request: answer the
 * next N matching requests with a status (500, 429 with Retry-After, ...), hold matching requests
 * for a while, refuse cross-repository mounts, flip a byte in blob bodies, or serve other content
 * for a blob. Everything else is forwarded as it is, streaming both ways. It counts the requests in
 * flight, from arrival until their answer starts: a client cannot have seen the answer before the
 * count drops, so the most counted at once is never more than the client really had in flight.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Set<String> HOP_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive");

  private record Fault(String method, Pattern path, AtomicInteger left, int status, Map<String, String> headers) {}

  private record Delay(String method, Pattern path, long millis) {}

  private record Arrival(String request, long nanos) {}

  private final String upstream;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).build();
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final List<Arrival> seen = new CopyOnWriteArrayList<>();
  private final List<Delay> delays = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile boolean corruptBlobs;
  private volatile boolean refuseMounts;
  private final Map<String, byte[]> substitutes = new java.util.concurrent.ConcurrentHashMap<>();

  private FaultProxy(String upstream) throws IOException {
    this.upstream = upstream;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** A proxy for the registry at {@code upstreamHost} ({@code 127.0.0.1:port}). */
  public static FaultProxy start(String upstreamHost) throws IOException {
    return new FaultProxy(upstreamHost);
  }

  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next {@code times} requests matching method and path answer {@code status} with {@code headers}. */
  public void fail(String method, String pathRegex, int times, int status, Map<String, String> headers) {
    faults.add(new Fault(method, Pattern.compile(pathRegex), new AtomicInteger(times), status, headers));
  }

  /** Matching requests are held {@code delay} before they are answered (counted in flight meanwhile). */
  public void delay(String method, String pathRegex, java.time.Duration delay) {
    delays.add(new Delay(method, Pattern.compile(pathRegex), delay.toMillis()));
  }

  /** Cross-repository mount requests answer 404 from now on, so clients upload instead. */
  public void refuseMounts(boolean refuse) {
    this.refuseMounts = refuse;
  }

  /** The most requests that were in flight at once. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** When the requests matching method and path arrived, in {@link System#nanoTime()}, in order. */
  public List<Long> arrivals(String method, String pathRegex) {
    Pattern p = Pattern.compile(pathRegex);
    return seen.stream().filter(a -> matches(a.request, method, p)).map(Arrival::nanos).sorted().toList();
  }

  /** Flip the first byte of every blob body served from now on. */
  public void corruptBlobs(boolean corrupt) {
    this.corruptBlobs = corrupt;
  }

  /** Every GET of the blob {@code digest} answers {@code body} instead, as a hostile registry would. */
  public void replaceBlob(String digest, byte[] body) {
    substitutes.put(digest, body);
  }

  /** How many requests matching method and path have arrived. */
  public long count(String method, String pathRegex) {
    Pattern p = Pattern.compile(pathRegex);
    return seen.stream().filter(a -> matches(a.request, method, p)).count();
  }

  private static boolean matches(String request, String method, Pattern path) {
    return request.startsWith(method + " ") && path.matcher(request.substring(method.length() + 1)).matches();
  }

  private void handle(HttpExchange exchange) throws IOException {
    java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();
    // Leaves the in-flight count before the answer starts, and only once.
    Runnable answering = () -> {
      if (left.compareAndSet(false, true)) {
        inFlight.decrementAndGet();
      }
    };
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      seen.add(new Arrival(method + " " + path, System.nanoTime()));
      for (Delay d : delays) {
        if (d.method.equals(method) && d.path.matcher(path).matches()) {
          Thread.sleep(d.millis);
        }
      }
      String query = exchange.getRequestURI().getRawQuery();
      if (refuseMounts && method.equals("POST") && query != null && query.contains("mount=")) {
        exchange.getRequestBody().readAllBytes();
        answering.run();
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      for (Fault f : faults) {
        if (f.method.equals(method) && f.path.matcher(path).matches() && f.left.getAndDecrement() > 0) {
          exchange.getRequestBody().readAllBytes();
          f.headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
          byte[] body = ("{\"errors\":[{\"code\":\"INJECTED\",\"message\":\"fault injected by test proxy\"}]}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
          answering.run();
          exchange.sendResponseHeaders(f.status, body.length);
          exchange.getResponseBody().write(body);
          return;
        }
      }
      byte[] substitute = method.equals("GET") && path.contains("/blobs/")
          ? substitutes.get(path.substring(path.lastIndexOf('/') + 1)) : null;
      if (substitute != null) {
        answering.run();
        exchange.sendResponseHeaders(200, substitute.length);
        exchange.getResponseBody().write(substitute);
        return;
      }
      forward(exchange, method, path, answering);
    } catch (Exception e) {
      throw new IOException(e);
    } finally {
      answering.run();
    }
  }

  private void forward(HttpExchange exchange, String method, String path, Runnable answering) throws Exception {
    URI target = URI.create("http://" + upstream + exchange.getRequestURI().toString());
    HttpRequest.Builder request = HttpRequest.newBuilder(target);
    exchange.getRequestHeaders().forEach((name, values) -> {
      if (!HOP_HEADERS.contains(name.toLowerCase())) {
        values.forEach(v -> request.header(name, v));
      }
    });
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    long contentLength = length == null ? 0 : Long.parseLong(length);
    InputStream requestBody = exchange.getRequestBody();
    request.method(method, contentLength == 0 ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> requestBody), contentLength));
    HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    response.headers().map().forEach((name, values) -> {
      if (HOP_HEADERS.contains(name.toLowerCase()) || name.startsWith(":")) {
        return;
      }
      for (String v : values) {
        exchange.getResponseHeaders().add(name,
            name.equalsIgnoreCase("Location") ? v.replace(upstream, host()) : v);
      }
    });
    long responseLength = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    boolean noBody = method.equals("HEAD") || response.statusCode() == 204 || responseLength == 0;
    answering.run();
    exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : Math.max(responseLength, 0));
    try (InputStream in = response.body(); OutputStream out = exchange.getResponseBody()) {
      if (noBody) {
        return;
      }
      boolean corrupt = corruptBlobs && method.equals("GET") && path.contains("/blobs/") && response.statusCode() == 200;
      byte[] buf = new byte[64 * 1024];
      int n;
      boolean first = true;
      while ((n = in.read(buf)) >= 0) {
        if (corrupt && first && n > 0) {
          buf[0] ^= 0x01;
        }
        first = false;
        out.write(buf, 0, n);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
