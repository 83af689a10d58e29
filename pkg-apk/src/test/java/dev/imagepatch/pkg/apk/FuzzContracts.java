package dev.imagepatch.pkg.apk;

/** What the apk fuzz targets require of an expected exception: a message saying what failed. */
final class FuzzContracts {
  private FuzzContracts() {}

  /** {@code e} itself when it has a message; else an AssertionError, which Jazzer reports as a finding. */
  static <T extends Exception> T requireMessage(T e) {
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError("an exception without a message: " + e, e);
    }
    return e;
  }
}
