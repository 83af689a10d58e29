package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.internal.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Optional;

/** The manifest endpoints: get, head and put, by tag or digest, with their exact bytes. */
final class Manifests {
  private static final String ACCEPT = String.join(", ", MediaTypes.MANIFEST_TYPES);

  private final RegistryApi api;

  Manifests(RegistryApi api) {
    this.api = api;
  }

  JsonDocument get(String repository, String reference) throws IOException {
    Call call = new Call("GET", uri(repository, reference), "get manifest " + reference, repository,
        RegistryApi.pull(repository)).header("Accept", ACCEPT);
    HttpResponse<InputStream> response = api.sendExpecting(call, 200);
    byte[] bytes;
    try (InputStream in = response.body()) {
      bytes = Json.readLimited(in, JsonDocument.MAX_MANIFEST_BYTES, api.where(repository, reference));
    }
    // By digest the bytes must hash to it; by tag, to the digest the registry reports.
    Digest expected = Digest.isDigest(reference) ? Digest.parse(reference) : null;
    if (expected == null) {
      Optional<String> header = response.headers().firstValue("Docker-Content-Digest");
      if (header.isPresent() && Digest.isDigest(header.get())) {
        expected = Digest.parse(header.get());
      }
    }
    String contentType = response.headers().firstValue("Content-Type").orElse(null);
    return JsonDocument.parseManifest(bytes, contentType, expected, api.where(repository, reference));
  }

  Optional<Descriptor> head(String repository, String reference) throws IOException {
    Call call = new Call("HEAD", uri(repository, reference), "check manifest " + reference, repository,
        RegistryApi.pull(repository)).header("Accept", ACCEPT);
    HttpResponse<InputStream> response = api.send(call);
    response.body().close();
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    api.expect(response, call, 200);
    String type = response.headers().firstValue("Content-Type").orElse(MediaTypes.OCI_MANIFEST).split(";")[0];
    Optional<String> digest = response.headers().firstValue("Docker-Content-Digest");
    long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (digest.isEmpty() || !Digest.isDigest(digest.get()) || size < 0) {
      // Without a digest header the only way to know is to fetch it.
      return Optional.of(get(repository, reference).descriptor());
    }
    return Optional.of(Descriptor.of(type, Digest.parse(digest.get()), size));
  }

  Digest put(String repository, String reference, JsonDocument document) throws IOException {
    if (Digest.isDigest(reference) && !Digest.parse(reference).equals(document.digest())) {
      throw new IllegalArgumentException("cannot put " + document.digest() + " under digest " + reference);
    }
    byte[] bytes = document.bytes();
    Call call = new Call("PUT", uri(repository, reference), "put manifest " + reference, repository,
        RegistryApi.push(repository))
        .header("Content-Type", document.mediaType())
        .body(() -> new ByteArrayInputStream(bytes), bytes.length, false);
    HttpResponse<InputStream> response = api.sendAndClose(call, 201, 200);
    Optional<String> confirmed = response.headers().firstValue("Docker-Content-Digest");
    if (confirmed.isPresent() && Digest.isDigest(confirmed.get())
        && !Digest.parse(confirmed.get()).equals(document.digest())) {
      throw api.failure(call, response.statusCode(), null,
          "the registry stored it as " + confirmed.get() + ", not " + document.digest());
    }
    return document.digest();
  }

  private URI uri(String repository, String reference) {
    return api.uri("/v2/" + repository + "/manifests/" + reference);
  }
}
