package dev.imagepatch.patch;

/**
 * Something that turns a patch request into a patched image. The native backend does the work
 * in-process; a BuildKit backend (running the image's package manager in a container, as Copa
 * does) can sit behind the same interface.
 */
public interface PatchBackend {
  /** A short name for messages, e.g. "native". */
  String name();

  PatchResult patch(PatchRequest request) throws PatchException;
}
