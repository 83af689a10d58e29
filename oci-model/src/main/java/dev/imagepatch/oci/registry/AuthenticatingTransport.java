package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Optional;

/**
 * Authorizes calls with what the {@link Authenticator} knows, and answers a 401's challenge once
 * per attempt: a fresh token refused again lacks the rights, and another would not help.
 */
record AuthenticatingTransport(Transport inner, Authenticator auth) implements Transport {

  @Override
  public HttpResponse<InputStream> send(Call call) throws IOException {
    if (!call.withCredentials) {
      return inner.send(call);
    }
    Optional<String> authorization = auth.authorization(call.scopes);
    HttpResponse<InputStream> response = inner.send(authorized(call, authorization));
    if (response.statusCode() != 401) {
      return response;
    }
    String challenge = response.headers().firstValue("WWW-Authenticate").orElse(null);
    boolean sentBasic = authorization.map(a -> a.startsWith("Basic ")).orElse(false);
    // Learnt even when this call cannot be sent again, so the next one carries it up front.
    if (auth.onUnauthorized(challenge, call.scopes, sentBasic) && call.replayable) {
      response.body().close();
      return inner.send(authorized(call, auth.authorization(call.scopes)));
    }
    return response;
  }

  private static Call authorized(Call call, Optional<String> authorization) {
    return authorization.map(call::authorizedAs).orElse(call);
  }
}
