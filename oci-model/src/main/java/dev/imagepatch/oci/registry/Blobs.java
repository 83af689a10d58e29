package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.VerifyingInputStream;
import dev.imagepatch.oci.internal.CountingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Optional;

/** The blob read endpoints: head and a streamed, verified get, both following redirects to storage. */
final class Blobs {
  private final RegistryApi api;

  Blobs(RegistryApi api) {
    this.api = api;
  }

  Optional<Long> head(String repository, Digest digest) throws IOException {
    Call call = call("HEAD", repository, digest, "check blob " + digest);
    HttpResponse<InputStream> response = api.send(call);
    response.body().close();
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    api.expect(response, call, 200);
    return Optional.of(response.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  InputStream open(String repository, Descriptor descriptor) throws IOException {
    Call call = call("GET", repository, descriptor.digest(), "get blob " + descriptor.digest());
    HttpResponse<InputStream> response = api.sendExpecting(call, 200);
    InputStream counted = new CountingInputStream(response.body(), api.stats.bytesDownloaded);
    return new VerifyingInputStream(counted, descriptor.digest(), descriptor.size(),
        "blob " + descriptor.digest() + " from " + api.registry + "/" + repository);
  }

  private Call call(String method, String repository, Digest digest, String operation) {
    Call call = new Call(method, api.uri("/v2/" + repository + "/blobs/" + digest), operation, repository,
        RegistryApi.pull(repository));
    call.followRedirects = true;
    return call;
  }
}
