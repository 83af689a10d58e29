package dev.imagepatch.pkg.rpm;

/** What every fuzz target of this module asks of an exception it accepts. */
public final class FuzzContracts {
  private FuzzContracts() {}

  /** {@code e} itself when it has a message; else an AssertionError, which Jazzer reports as a finding. */
  public static <T extends Exception> T requireMessage(T e) {
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError("an exception without a message: " + e, e);
    }
    return e;
  }
}
