package dev.imagepatch.patch;

/** Hears what a patch is doing, for progress output. Called from the patching thread. */
@FunctionalInterface
public interface PatchListener {
  /** A step began or finished, e.g. "reading 3 layers (28.1 MiB)". */
  void step(String message);

  static PatchListener silent() {
    return message -> { };
  }
}
