package dev.imagepatch.oci;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Somewhere images are written to. Callers write blobs before the manifests that name them and
 * child manifests before their index, so a reader never sees a manifest whose content is missing.
 */
public interface ImageTarget extends Closeable {

  /** How a blob came to be in the target. */
  enum BlobOutcome { EXISTED, MOUNTED, WRITTEN }

  /** The content of a blob to write, reopenable for a retry, and where it can be mounted from. */
  interface BlobContent {
    InputStream open() throws IOException;

    /** The registry repository holding the blob already, for a cross-repository mount. */
    default Optional<ImageReference> mountFrom() {
      return Optional.empty();
    }

    /** A blob of {@code source}: read from it, or mounted from its repository when it is a registry's. */
    static BlobContent of(ImageSource source, Descriptor descriptor) {
      return new BlobContent() {
        @Override
        public InputStream open() throws IOException {
          return source.openBlob(descriptor);
        }

        @Override
        public Optional<ImageReference> mountFrom() {
          return source.repository();
        }
      };
    }
  }

  boolean hasBlob(Descriptor descriptor) throws IOException;

  /**
   * Writes a blob unless it is there already. The content is verified against the descriptor
   * while it is written; on a mismatch nothing is stored and {@link DigestMismatchException} is thrown.
   */
  BlobOutcome putBlob(Descriptor descriptor, BlobContent content) throws IOException;

  /** Stores a manifest or index by digest and, when {@code tag} is not null, under that tag. */
  void putManifest(JsonDocument document, String tag) throws IOException;

  /** A name for messages. */
  String describe();
}
