package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * What every endpoint group shares (jib-core's endpoint caller): the registry's base URI, the
 * assembled transport, the scopes a call needs, and one way of turning an unexpected answer into
 * a {@link RegistryException}.
 */
final class RegistryApi {
  final String registry;
  final URI base;
  final RetryLoop retry;
  final TransferStats stats;
  private final Authenticator auth;
  private final Transport transport;

  RegistryApi(String registry, URI base, HttpClient http, String userAgent, StallTimer stall, RetryPolicy policy,
      RegistryLimits limits, CredentialProvider credentials, TransferStats stats) {
    this.registry = registry;
    this.base = base;
    this.stats = stats;
    this.retry = new RetryLoop(registry, policy);
    // Every attempt, to the registry, its token endpoint or a storage host, takes its place with
    // that host; the stall timer starts only once it is sent.
    Transport exchange = new ThrottlingTransport(new StallGuardedExchange(registry, http, userAgent, stall),
        registry, limits, policy.maxRetryAfter());
    // The token endpoint gets retries but neither registry credentials nor redirects.
    this.auth = new Authenticator(registry, credentials, new RetryingTransport(exchange, retry));
    this.transport = new RedirectingTransport(
        new RetryingTransport(new AuthenticatingTransport(exchange, auth), retry));
  }

  HttpResponse<InputStream> send(Call call) throws IOException {
    return transport.send(call);
  }

  /** Sends {@code call} and, when the answer is one of {@code ok}, returns it; else throws with the body. */
  HttpResponse<InputStream> sendExpecting(Call call, int... ok) throws IOException {
    HttpResponse<InputStream> response = send(call);
    expect(response, call, ok);
    return response;
  }

  /** Sends {@code call}, expects one of {@code ok}, and drops the (empty or unneeded) body. */
  HttpResponse<InputStream> sendAndClose(Call call, int... ok) throws IOException {
    HttpResponse<InputStream> response = sendExpecting(call, ok);
    response.body().close();
    return response;
  }

  void expect(HttpResponse<InputStream> response, Call call, int... ok) throws IOException {
    for (int code : ok) {
      if (response.statusCode() == code) {
        return;
      }
    }
    String body = Failures.readError(response);
    String detail = switch (response.statusCode()) {
      case 401 -> "unauthorized with " + auth.describeCredential();
      case 403 -> "forbidden for " + auth.describeCredential();
      case 404 -> "not found";
      case 429 -> "too many requests, still refused after " + retry.policy();
      default -> response.statusCode() >= 500 ? "server error, still failing after " + retry.policy() : "";
    };
    throw failure(call, response.statusCode(), body, detail);
  }

  RegistryException failure(Call call, int status, String body, String detail) {
    return new RegistryException(registry, call.repository, call.operation, status, body, detail, null);
  }

  /** The upload session a response points to. */
  URI location(HttpResponse<?> response, Call call) throws RegistryException {
    String location = response.headers().firstValue("Location")
        .orElseThrow(() -> failure(call, response.statusCode(), null, "no Location header"));
    return call.uri.resolve(location);
  }

  URI uri(String path) {
    return base.resolve(path);
  }

  /** {@code registry/repository:reference}, naming a document in parse errors. */
  String where(String repository, String reference) {
    return registry + "/" + repository + ":" + reference;
  }

  static Set<String> pull(String repository) {
    return Set.of(pullScope(repository));
  }

  static Set<String> push(String repository) {
    return Set.of(pushScope(repository));
  }

  static String pullScope(String repository) {
    return "repository:" + repository + ":pull";
  }

  static String pushScope(String repository) {
    return "repository:" + repository + ":pull,push";
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
