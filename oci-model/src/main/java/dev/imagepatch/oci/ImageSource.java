package dev.imagepatch.oci;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** Somewhere images are read from: a registry repository, an OCI layout, a {@code docker save} tar. */
public interface ImageSource extends Closeable {

  /** The manifest or index that a tag or digest names here. */
  JsonDocument fetchManifest(String reference) throws IOException;

  /**
   * Opens a blob as a stream. The stream fails at its end, with {@link DigestMismatchException},
   * when the content does not match the descriptor's digest and size.
   */
  InputStream openBlob(Descriptor descriptor) throws IOException;

  /** The registry repository blobs can be mounted from, when this source is one. */
  default Optional<ImageReference> repository() {
    return Optional.empty();
  }

  /** A name for messages, e.g. {@code oci:/tmp/layout} or {@code localhost:5000/app}. */
  String describe();
}
