package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Optional;

/**
 * Follows the redirects of blob reads (registries send them to storage back ends), up to five,
 * without registry credentials once off the registry's host. It sits above the retries, so each
 * hop is retried against its own host and a failure names the host that failed.
 */
record RedirectingTransport(Transport inner) implements Transport {
  private static final int MAX_REDIRECTS = 5;

  @Override
  public HttpResponse<InputStream> send(Call call) throws IOException {
    HttpResponse<InputStream> response = inner.send(call);
    Call hop = call;
    for (int redirects = 0; hop.followRedirects && isRedirect(response.statusCode()) && redirects < MAX_REDIRECTS;
        redirects++) {
      Optional<String> location = response.headers().firstValue("Location");
      if (location.isEmpty()) {
        break;
      }
      response.body().close();
      URI next = hop.uri.resolve(location.get());
      hop = hop.redirectedTo(next);
      response = inner.send(hop);
    }
    return response;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }
}
