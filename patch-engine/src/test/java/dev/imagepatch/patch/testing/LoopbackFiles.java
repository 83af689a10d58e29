package dev.imagepatch.patch.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** The fixture repositories' loopback HTTP: GETs answered from files held in memory, 404 for the rest. */
final class LoopbackFiles {
  private LoopbackFiles() {}

  /** Threads for {@code server}, named {@code name}: platforms of an index fetch concurrently. */
  static ExecutorService threads(String name) {
    return Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Serves {@code files} (by the request path less {@code prefix}) on {@code server}, and starts it. */
  static void serve(HttpServer server, ExecutorService threads, String prefix, Function<String, byte[]> files) {
    server.createContext("/", exchange -> {
      byte[] body = files.apply(exchange.getRequestURI().getPath().replaceFirst("^" + prefix, ""));
      exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        if (body != null) {
          out.write(body);
        }
      }
    });
    server.setExecutor(threads);
    server.start();
  }
}
