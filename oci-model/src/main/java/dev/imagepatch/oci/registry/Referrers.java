package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The referrers of a subject: from the referrers API when the registry offers it, otherwise from
 * the fallback tag {@code <alg>-<hex>} that OCI 1.1 clients maintain where the API is missing.
 */
final class Referrers {
  private final RegistryApi api;
  private final Manifests manifests;

  Referrers(RegistryApi api, Manifests manifests) {
    this.api = api;
    this.manifests = manifests;
  }

  Index list(String repository, Digest subject, String artifactType) throws IOException {
    String query = artifactType == null ? "" : "?artifactType=" + RegistryApi.enc(artifactType);
    Call call = new Call("GET", api.uri("/v2/" + repository + "/referrers/" + subject + query),
        "list referrers of " + subject, repository, RegistryApi.pull(repository)).header("Accept", MediaTypes.OCI_INDEX);
    HttpResponse<InputStream> response = api.send(call);
    Index index;
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    if (response.statusCode() == 200 && contentType.startsWith(MediaTypes.OCI_INDEX)) {
      byte[] body;
      try (InputStream in = response.body()) {
        body = Json.readLimited(in, JsonDocument.MAX_MANIFEST_BYTES, api.where(repository, "referrers"));
      }
      index = Index.parse(body, MediaTypes.OCI_INDEX);
      if (response.headers().firstValue("OCI-Filters-Applied").orElse("").contains("artifactType")) {
        return index;
      }
    } else {
      response.body().close();
      // 404, 400 and 405 are how registries without the API say so.
      int status = response.statusCode();
      if (status != 404 && status != 400 && status != 405) {
        api.expect(response, call, 200);
      }
      index = fallback(repository, subject);
    }
    return artifactType == null ? index : filtered(index, artifactType);
  }

  private Index fallback(String repository, Digest subject) throws IOException {
    try {
      JsonDocument doc = manifests.get(repository, subject.algorithm().id() + "-" + subject.hex());
      if (doc instanceof Index i) {
        return i;
      }
    } catch (RegistryException e) {
      if (e.statusCode() != 404) {
        throw e;
      }
    }
    return Index.create(MediaTypes.OCI_INDEX, List.of());
  }

  /** What a registry that did not filter by artifact type would have returned had it done so. */
  private static Index filtered(Index index, String artifactType) throws IOException {
    List<Descriptor> kept = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      if (d.artifactType().map(artifactType::equals).orElse(false)) {
        kept.add(d);
      }
    }
    return index.withManifests(kept);
  }
}
