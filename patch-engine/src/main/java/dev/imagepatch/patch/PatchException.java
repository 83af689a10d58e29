package dev.imagepatch.patch;

/** Patching failed; the message says what, for which package, registry or file. Nothing was pushed. */
public class PatchException extends Exception {
  public PatchException(String message) {
    super(message);
  }

  public PatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
