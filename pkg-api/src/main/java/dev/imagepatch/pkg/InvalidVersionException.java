package dev.imagepatch.pkg;

/** A version string that its package manager would refuse; the message says which and why. */
public final class InvalidVersionException extends IllegalArgumentException {
  public InvalidVersionException(String message) {
    super(message);
  }
}
