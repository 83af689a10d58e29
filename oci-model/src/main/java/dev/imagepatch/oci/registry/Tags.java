package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The tag list endpoint, followed page by page through the registry's {@code Link} headers. */
final class Tags {
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final long MAX_PAGE_BYTES = 64L << 20;

  private final RegistryApi api;

  Tags(RegistryApi api) {
    this.api = api;
  }

  List<String> list(String repository) throws IOException {
    List<String> tags = new ArrayList<>();
    URI next = api.uri("/v2/" + repository + "/tags/list?n=1000");
    while (next != null) {
      Call call = new Call("GET", next, "list tags", repository, RegistryApi.pull(repository));
      HttpResponse<InputStream> response = api.sendExpecting(call, 200);
      byte[] body;
      try (InputStream in = response.body()) {
        body = Json.readLimited(in, MAX_PAGE_BYTES, api.where(repository, "tags"));
      }
      Json.readObject(body, api.where(repository, "tags list")).path("tags").forEach(t -> tags.add(t.asText()));
      next = response.headers().firstValue("Link").map(link -> {
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? api.base.resolve(m.group(1)) : null;
      }).orElse(null);
    }
    return tags;
  }
}
