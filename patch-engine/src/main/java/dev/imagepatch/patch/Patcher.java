package dev.imagepatch.patch;

import dev.imagepatch.patch.debian.DebianBackend;

/**
 * Patches container images: {@code Patcher.create().patch(request)}. The default backend is the
 * native one, which needs no container runtime.
 */
public final class Patcher {
  private final PatchBackend backend;

  private Patcher(PatchBackend backend) {
    this.backend = backend;
  }

  /** A patcher with the native backend. */
  public static Patcher create() {
    return new Patcher(new DebianBackend());
  }

  /** A patcher with another backend. */
  public static Patcher with(PatchBackend backend) {
    return new Patcher(backend);
  }

  public PatchResult patch(PatchRequest request) throws PatchException {
    return backend.patch(request);
  }
}
