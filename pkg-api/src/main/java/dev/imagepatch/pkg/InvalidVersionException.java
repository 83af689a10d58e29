package dev.imagepatch.pkg;

/** A version string that its package manager would refuse; the message says which and why. */
public final class InvalidVersionException extends IllegalArgumentException {
  public InvalidVersionException(String message) {
    super(message);
  }

  /** {@code invalid dpkg version '1:': epoch in version is empty}: the manager, the version, and why. */
  public static InvalidVersionException of(String manager, String version, String why) {
    return new InvalidVersionException("invalid " + manager + " version '" + version + "': " + why);
  }
}
