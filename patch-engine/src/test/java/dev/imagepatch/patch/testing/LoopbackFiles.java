package dev.imagepatch.patch.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The fixture repositories' loopback HTTP server: GETs under a prefix answered from files held in
 * memory, 404 for the rest, on a free port.
 */
final class LoopbackFiles implements AutoCloseable {
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService threads;
  private final String prefix;

  private LoopbackFiles(HttpServer server, ExecutorService threads, String prefix) {
    this.server = server;
    this.threads = threads;
    this.prefix = prefix;
  }

  /** Serves {@code /prefix/...} from {@link #files()}, with threads named {@code name}. */
  static LoopbackFiles start(String name, String prefix) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Platforms of an index are patched concurrently; one thread would serialize their downloads.
    ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    LoopbackFiles served = new LoopbackFiles(server, threads, prefix);
    server.createContext("/", exchange -> {
      byte[] body = served.files.get(exchange.getRequestURI().getPath().replaceFirst("^" + prefix, ""));
      exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        if (body != null) {
          out.write(body);
        }
      }
    });
    server.setExecutor(threads);
    server.start();
    return served;
  }

  /** The files served, by path below the prefix. */
  Map<String, byte[]> files() {
    return files;
  }

  /** {@code http://127.0.0.1:PORT/prefix/}. */
  String base() {
    return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + prefix;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
