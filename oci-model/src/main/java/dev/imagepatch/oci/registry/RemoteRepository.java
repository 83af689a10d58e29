package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.JsonDocument;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * One repository of a registry as an {@link ImageSource} and {@link ImageTarget}. Blobs already
 * present are not sent again, and a blob held by another repository of the same registry is
 * mounted rather than uploaded.
 */
public final class RemoteRepository implements ImageSource, ImageTarget {
  private final RegistryClient client;
  private final String repository;

  RemoteRepository(RegistryClient client, String repository) {
    this.client = client;
    this.repository = repository;
  }

  public RegistryClient client() {
    return client;
  }

  public String name() {
    return repository;
  }

  @Override
  public JsonDocument fetchManifest(String reference) throws IOException {
    return client.getManifest(repository, reference);
  }

  @Override
  public InputStream openBlob(Descriptor descriptor) throws IOException {
    return client.openBlob(repository, descriptor);
  }

  @Override
  public Optional<ImageReference> repository() {
    return Optional.of(ImageReference.of(client.registry(), repository, "latest"));
  }

  @Override
  public boolean hasBlob(Descriptor descriptor) throws IOException {
    return client.headBlob(repository, descriptor.digest()).isPresent();
  }

  @Override
  public BlobOutcome putBlob(Descriptor descriptor, BlobContent content) throws IOException {
    if (hasBlob(descriptor)) {
      return BlobOutcome.EXISTED;
    }
    Optional<ImageReference> from = content.mountFrom();
    if (from.isPresent() && from.get().registry().equals(client.registry())
        && !from.get().repository().equals(repository)
        && client.mountBlob(repository, descriptor.digest(), from.get().repository())) {
      return BlobOutcome.MOUNTED;
    }
    client.pushBlob(repository, descriptor, content);
    return BlobOutcome.WRITTEN;
  }

  @Override
  public void putManifest(JsonDocument document, String tag) throws IOException {
    client.putManifest(repository, tag != null ? tag : document.digest().toString(), document);
  }

  @Override
  public void close() {
    // The client is shared and holds no per-repository resources.
  }

  @Override
  public String describe() {
    return client.registry() + "/" + repository;
  }
}
