package dev.imagepatch.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The tools we did not write that judge what we write (rpm, db5.3_verify, sqlite3, qemu, ...), under
 * the same rule as {@link SharedData}: a tool that is missing skips the test with the reason on a
 * developer's machine, and fails it under {@code CI=true}, where scripts/test installs every one.
 */
public final class Judges {
  private Judges() {}

  /** The tool's path on PATH; else the test is skipped, or failed under CI=true. */
  public static Path require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return Path.of(dir, tool);
      }
    }
    return unavailable(tool + " is not installed (scripts/test installs it)");
  }

  /** A judge that cannot run here: skips the test, or fails it under CI=true, saying why. */
  public static <T> T unavailable(String why) {
    if (SharedData.availability(false, System.getenv("CI")) == SharedData.Availability.FAIL) {
      return Assertions.fail("CI=true: " + why);
    }
    return Assumptions.abort(why);
  }
}
