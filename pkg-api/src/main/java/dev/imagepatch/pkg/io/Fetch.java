package dev.imagepatch.pkg.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Repository downloads, for every family: {@code http(s):} through the run's client with a few
 * retries, {@code file:} read in place. What is fetched is verified by the caller.
 */
public final class Fetch {
  private static final int ATTEMPTS = 3;

  private Fetch() {}

  /** GET with a few retries on connection errors and 5xx; empty on 404/410 (or a missing file). */
  public static Optional<InputStream> get(HttpClient http, URI uri) throws IOException {
    if (uri.getScheme().equals("file")) {
      Path p = Path.of(uri);
      return Files.isRegularFile(p) ? Optional.of(Files.newInputStream(p)) : Optional.empty();
    }
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      HttpResponse<InputStream> r;
      try {
        r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
            .header("User-Agent", "imagepatch").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted fetching " + uri);
      } catch (IOException e) {
        last = new IOException(uri + ": " + e, e);
        pause(attempt, uri);
        continue;
      }
      int status = r.statusCode();
      if (status == 200) {
        return Optional.of(r.body());
      }
      r.body().close();
      if (status == 404 || status == 410) {
        return Optional.empty();
      }
      last = new IOException(uri + ": HTTP " + status);
      if (status < 500 && status != 429) {
        throw last;
      }
      pause(attempt, uri);
    }
    throw last;
  }

  private static void pause(int attempt, URI uri) throws InterruptedIOException {
    try {
      Thread.sleep(200L * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted fetching " + uri);
    }
  }
}
