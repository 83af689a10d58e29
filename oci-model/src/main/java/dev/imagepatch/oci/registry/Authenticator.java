package dev.imagepatch.oci.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.internal.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * Answers a registry's challenges: HTTP Basic with the registry's credential, or a bearer token
 * from the realm the registry names (Docker's token protocol: GET with Basic credentials, or the
 * OAuth2 refresh-token POST for identity tokens). Tokens are cached per set of scopes until
 * shortly before they expire. Once the scheme is known, requests carry authorization up front,
 * so a large upload body is never sent only to be refused.
 */
final class Authenticator {
  private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);
  private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
  private static final String CLIENT_ID = "imagepatch";

  private record Token(String value, Instant expires) {}

  private final String registry;
  private final CredentialProvider credentials;
  private final Transport tokenTransport;
  private final Map<String, Token> tokens = new HashMap<>();
  private Challenge bearer;
  private boolean basic;
  private Optional<Credential> credential;

  /** {@code tokenTransport} sends to the token endpoint: retried, but without registry authorization. */
  Authenticator(String registry, CredentialProvider credentials, Transport tokenTransport) {
    this.registry = registry;
    this.credentials = credentials;
    this.tokenTransport = tokenTransport;
  }

  /** The Authorization header to send for a request needing {@code scopes}, if any is known. */
  synchronized Optional<String> authorization(Set<String> scopes) throws IOException {
    if (basic) {
      return credential().map(Authenticator::basicHeader);
    }
    if (bearer == null) {
      return Optional.empty();
    }
    Token token = tokens.get(key(scopes));
    if (token == null || Instant.now().plus(EXPIRY_MARGIN).isAfter(token.expires)) {
      token = fetchToken(scopes);
    }
    return Optional.of("Bearer " + token.value);
  }

  /**
   * Takes a 401's challenge. Returns true when a retry now carries new authorization, false when
   * there is nothing new to try (the caller then reports the 401). Callers retry once per request:
   * a fresh token refused again lacks the rights, and another one would not help.
   */
  synchronized boolean onUnauthorized(String wwwAuthenticate, Set<String> scopes, boolean sentBasic)
      throws IOException {
    Optional<Challenge> parsed = Challenge.parse(wwwAuthenticate);
    if (parsed.isEmpty()) {
      return false;
    }
    Challenge c = parsed.get();
    if (c.scheme().equals("basic")) {
      // Another thread may have learnt the scheme first: what matters is what this request sent.
      if (sentBasic || credential().isEmpty()) {
        return false;
      }
      basic = true;
      return true;
    }
    if (c.scheme().equals("bearer") && c.param("realm") != null) {
      Set<String> wanted = new TreeSet<>(scopes);
      if (wanted.isEmpty() && c.param("scope") != null) {
        wanted.add(c.param("scope"));
      }
      bearer = c;
      fetchToken(wanted);
      return true;
    }
    return false;
  }

  /** Describes the credential in use, for messages (never the secret). */
  synchronized String describeCredential() {
    try {
      return credential().map(Credential::toString).orElse("no credentials (anonymous)");
    } catch (IOException e) {
      return "credentials that could not be read (" + e.getMessage() + ")";
    }
  }

  private Optional<Credential> credential() throws IOException {
    if (credential == null) {
      credential = credentials.credentialFor(registry);
    }
    return credential;
  }

  private Token fetchToken(Set<String> scopes) throws IOException {
    String realm = bearer.param("realm");
    String service = bearer.param("service");
    Optional<Credential> cred = credential();
    String operation = "authenticate at token endpoint " + realm;
    Call call;
    if (cred.isPresent() && cred.get().isIdentityToken()) {
      StringJoiner form = new StringJoiner("&");
      form.add("grant_type=refresh_token");
      form.add("refresh_token=" + enc(cred.get().secret()));
      form.add("client_id=" + CLIENT_ID);
      if (service != null) {
        form.add("service=" + enc(service));
      }
      if (!scopes.isEmpty()) {
        form.add("scope=" + enc(String.join(" ", scopes)));
      }
      byte[] bytes = form.toString().getBytes(StandardCharsets.UTF_8);
      call = new Call("POST", URI.create(realm), operation, null, Set.of())
          .header("Content-Type", "application/x-www-form-urlencoded")
          .body(() -> new ByteArrayInputStream(bytes), bytes.length, true);
    } else {
      StringJoiner query = new StringJoiner("&");
      if (service != null) {
        query.add("service=" + enc(service));
      }
      scopes.forEach(s -> query.add("scope=" + enc(s)));
      cred.flatMap(Credential::username).ifPresent(u -> query.add("account=" + enc(u)));
      String q = query.toString();
      call = new Call("GET", URI.create(realm + (q.isEmpty() ? "" : (realm.contains("?") ? "&" : "?") + q)),
          operation, null, Set.of());
      if (cred.isPresent()) {
        call.header("Authorization", basicHeader(cred.get()));
      }
    }
    HttpResponse<InputStream> response = tokenTransport.send(call);
    byte[] body;
    try (InputStream in = response.body()) {
      body = Json.readLimited(in, 1 << 20, "token response from " + realm);
    }
    if (response.statusCode() != 200) {
      throw new RegistryException(registry, null, operation, response.statusCode(),
          new String(body, StandardCharsets.UTF_8), "the token endpoint refused " + describeCredential(), null);
    }
    ObjectNode json;
    try {
      json = Json.readObject(body, "token response from " + realm);
    } catch (InvalidDocumentException e) {
      throw new RegistryException(registry, null, operation, 200, null, e.getMessage(), e);
    }
    String value = json.path("token").asText(json.path("access_token").asText(""));
    if (value.isEmpty()) {
      throw new RegistryException(registry, null, operation, 200, null, "the answer holds no token", null);
    }
    long lifetime = json.path("expires_in").asLong(DEFAULT_TOKEN_LIFETIME.toSeconds());
    Token token = new Token(value, Instant.now().plusSeconds(Math.max(lifetime, 0)));
    tokens.put(key(scopes), token);
    return token;
  }

  private static String key(Set<String> scopes) {
    return String.join(" ", new TreeSet<>(scopes));
  }

  private static String basicHeader(Credential c) {
    String pair = c.username().orElse("") + ":" + c.secret();
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
