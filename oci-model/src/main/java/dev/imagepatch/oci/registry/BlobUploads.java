package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.DigestMismatchException;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.VerifyingInputStream;
import dev.imagepatch.oci.internal.CountingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;
import org.apache.commons.io.input.BoundedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blob upload endpoints: a monolithic PUT up to the chunk threshold, PATCH chunks and a
 * closing PUT above it, and cross-repository mounts that fall back to an upload. Upload bodies
 * are read once from the caller's stream, so a failed upload is started over as a whole, with its
 * content reopened, through the same {@link RetryLoop} as every request.
 */
record BlobUploads(RegistryApi api, long chunkThreshold, int chunkSize) {
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

  boolean mount(String repository, Digest digest, String fromRepository) throws IOException {
    URI uri = api.uri("/v2/" + repository + "/blobs/uploads/?mount=" + RegistryApi.enc(digest.toString())
        + "&from=" + RegistryApi.enc(fromRepository));
    Call call = new Call("POST", uri, "mount blob " + digest + " from " + fromRepository, repository,
        Set.of(RegistryApi.pushScope(repository), RegistryApi.pullScope(fromRepository))).emptyBody(true);
    HttpResponse<InputStream> response;
    try {
      response = api.send(call);
    } catch (RegistryException e) {
      // Some registries answer a mount they dislike with 401 or 403; an upload still works.
      log.debug("mount refused, uploading instead: {}", e.getMessage());
      return false;
    }
    response.body().close();
    if (response.statusCode() == 201) {
      api.stats.blobsMounted.incrementAndGet();
      return true;
    }
    if (response.statusCode() == 202) {
      // The registry opened an upload session instead; drop it, the caller starts its own.
      response.headers().firstValue("Location").ifPresent(location -> cancel(repository, location));
    }
    return false;
  }

  void push(String repository, Descriptor descriptor, ImageTarget.BlobContent content) throws IOException {
    String op = "upload blob " + descriptor.digest();
    api.retry.<Void>run(op, attempt -> {
      try {
        uploadOnce(repository, descriptor, content, op);
        api.stats.blobsUploaded.incrementAndGet();
        return RetryLoop.Outcome.<Void>success(null);
      } catch (RegistryException e) {
        return RetryLoop.Outcome.failure(new StartOver(e));
      }
    });
  }

  /** A failed upload, judged as one request's failure would be. */
  private final class StartOver implements RetryLoop.Failure<Void> {
    private final RegistryException error;

    StartOver(RegistryException error) {
      this.error = error;
    }

    @Override
    public boolean retryable() {
      return Failures.isTransient(error, api.base);
    }

    @Override
    public String release() {
      return "the upload failed (" + error.getMessage() + "), starting over";
    }

    @Override
    public Void giveUp(int attempts) throws RegistryException {
      throw error;
    }
  }

  private void uploadOnce(String repository, Descriptor descriptor, ImageTarget.BlobContent content, String op)
      throws IOException {
    Call start = call("POST", api.uri("/v2/" + repository + "/blobs/uploads/"), op + " (start)", repository)
        .emptyBody(true);
    HttpResponse<InputStream> started = api.sendAndClose(start, 202);
    URI location = api.location(started, start);
    Digest digest = descriptor.digest();
    String what = "content for blob " + digest;
    try (InputStream source = new VerifyingInputStream(content.open(), digest, descriptor.size(), what)) {
      if (descriptor.size() <= chunkThreshold) {
        Call put = call("PUT", withDigest(location, digest), op, repository)
            .header("Content-Type", "application/octet-stream")
            .body(() -> counting(source), descriptor.size(), false);
        api.sendAndClose(put, 201);
        return;
      }
      for (long offset = 0; offset < descriptor.size(); ) {
        long length = Math.min(chunkSize, descriptor.size() - offset);
        Call patch = call("PATCH", location, op + " (chunk at " + offset + ")", repository)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", offset + "-" + (offset + length - 1))
            .body(() -> counting(bounded(source, length)), length, false);
        location = api.location(api.sendAndClose(patch, 202), patch);
        offset += length;
      }
      if (source.read() != -1) {
        throw new DigestMismatchException(what + ": longer than " + descriptor.size() + " bytes");
      }
      api.sendAndClose(call("PUT", withDigest(location, digest), op + " (finish)", repository).emptyBody(false), 201);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private void cancel(String repository, String location) {
    try {
      api.send(call("DELETE", api.uri(location), "cancel upload", repository)).body().close();
    } catch (IOException e) {
      log.debug("could not cancel an unused upload session: {}", e.getMessage());
    }
  }

  private static Call call(String method, URI uri, String operation, String repository) {
    return new Call(method, uri, operation, repository, RegistryApi.push(repository));
  }

  private InputStream counting(InputStream in) {
    return new CountingInputStream(in, api.stats.bytesUploaded);
  }

  /** The next {@code length} bytes of {@code in}; closing the view leaves {@code in} open. */
  private static InputStream bounded(InputStream in, long length) throws IOException {
    return BoundedInputStream.builder().setInputStream(in).setMaxCount(length).setPropagateClose(false).get();
  }

  private static URI withDigest(URI location, Digest digest) {
    String s = location.toString();
    return URI.create(s + (s.contains("?") ? "&" : "?") + "digest=" + RegistryApi.enc(digest.toString()));
  }
}
