package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;

/**
 * What a failure means for retrying and how to say it: one place, so that a request and a whole
 * upload judge the same error the same way.
 */
final class Failures {
  private static final int ERROR_BODY_LIMIT = 8 * 1024;

  private Failures() {}

  static boolean isRetryable(int status) {
    return status == 0 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
  }

  /**
   * Whether an I/O error reaching {@code uri} may go away on its own. A refused connection to a
   * loopback host may not: nothing listens there, and waiting would only delay the error (a
   * refused remote load balancer, by contrast, may be between two back ends).
   */
  static boolean isTransient(IOException e, URI uri) {
    if (e instanceof UnknownHostException || e instanceof SSLHandshakeException) {
      return false;
    }
    return !(refused(e) && isLoopback(uri.getAuthority()));
  }

  /** Whether a failed upload is worth starting over: the same judgement as for one request. */
  static boolean isTransient(RegistryException e, URI registry) {
    if (e.statusCode() != 0) {
      return isRetryable(e.statusCode());
    }
    return !(e.getCause() instanceof IOException io) || isTransient(io, registry);
  }

  static boolean refused(Throwable e) {
    boolean refused = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HttpTimeoutException) {
        return false; // a connect timeout: something may be there, just slow
      }
      refused |= t instanceof ConnectException;
    }
    return refused;
  }

  /** Host and optional port ({@code localhost:5000}, {@code [::1]:5000}) naming this machine. */
  static boolean isLoopback(String registry) {
    if (registry == null) {
      return false;
    }
    String host = registry;
    if (host.startsWith("[")) {
      host = host.substring(1, host.indexOf(']'));
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.equals("localhost") || host.endsWith(".localhost")) {
      return true;
    }
    if (host.matches("[0-9.]+") || host.contains(":")) {
      try {
        // An address literal: no lookup happens.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  static RegistryException unreachable(String registry, Call call, int attempts, IOException e) {
    String notRetried = attempts == 1 && refused(e) && isLoopback(call.uri.getAuthority())
        ? "; nothing listens there, so it was not retried" : "";
    return new RegistryException(registry, call.repository, call.operation, 0, null,
        "cannot reach " + call.uri.getScheme() + "://" + call.uri.getAuthority() + " (" + describe(e) + ") after "
            + attempts + (attempts == 1 ? " attempt" : " attempts") + notRetried, e);
  }

  static String describe(IOException e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (message == null && t.getMessage() != null && !t.getMessage().isEmpty()) {
        message = t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return message != null ? message : e.getClass().getSimpleName();
  }

  static Optional<DigestMismatchException> mismatchIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DigestMismatchException d) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** The start of an error response's body, which the response no longer needs. */
  static String readError(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      return new String(in.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
