package dev.imagepatch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Test data written by others (version vectors, scanner reports, cosign vectors, schemas) is not
 * committed: tests read it in place from the shared directory every developer machine and CI have
 * beside the checkout, {@code ../shared}. The system property {@value #PROPERTY} names another one
 * (the parent pom passes {@code ${maven.multiModuleProjectDirectory}/../shared}, overridable with
 * {@code -Dimagepatch.shared=DIR}).
 *
 * <p>A test whose file is missing is skipped with the reason, except under {@code CI=true}, where
 * it fails naming the missing path and the property to set.
 */
public final class SharedData {
  /** The system property that names the shared directory. */
  public static final String PROPERTY = "imagepatch.shared";

  private SharedData() {}

  /** What to do about one file of the shared data. */
  enum Availability { PRESENT, SKIP, FAIL }

  /** The rule: present files are read; a missing one skips the test, or fails it under CI=true. */
  static Availability availability(boolean exists, String ciEnvironment) {
    if (exists) {
      return Availability.PRESENT;
    }
    return "true".equalsIgnoreCase(ciEnvironment == null ? "" : ciEnvironment.strip())
        ? Availability.FAIL : Availability.SKIP;
  }

  /**
   * The shared directory: the property when it is set, else {@code ../shared} beside the checkout
   * (the nearest directory at or above {@code workingDirectory} that holds {@code .mvn}).
   */
  static Path root(String property, Path workingDirectory) {
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    Path dir = workingDirectory.toAbsolutePath().normalize();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve(".mvn"))) {
        return d.resolveSibling("shared");
      }
    }
    return dir.resolveSibling("shared");
  }

  /** The shared directory this run reads. */
  public static Path root() {
    return root(System.getProperty(PROPERTY), Path.of(System.getProperty("user.dir")));
  }

  /** {@code relative} under {@code root}, checked with the rule for the given CI value. */
  static Path path(Path root, String relative, String ciEnvironment) {
    Path file = root.resolve(relative);
    Availability availability = availability(Files.exists(file), ciEnvironment);
    if (availability == Availability.PRESENT) {
      return file;
    }
    if (availability == Availability.SKIP) {
      return Assumptions.abort("shared test data missing: " + file + " (set -D" + PROPERTY
          + "=DIR to the shared directory; under CI=true this fails)");
    }
    return Assertions.fail("CI=true and the shared test data is missing: " + file + "; the tests read it from the"
        + " directory the system property " + PROPERTY + " names (default ../shared beside the checkout), e.g. -D"
        + PROPERTY + "=/path/to/shared");
  }

  /**
   * A file of the shared data, e.g. {@code path("vectors/dpkg-versions.tsv")}. Skips the calling
   * test when it is missing, or fails it under {@code CI=true}.
   */
  public static Path path(String relative) {
    return path(root(), relative, System.getenv("CI"));
  }

  /** The bytes of {@link #path(String)}. */
  public static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The UTF-8 text of {@link #path(String)}. */
  public static String text(String relative) {
    return new String(bytes(relative), StandardCharsets.UTF_8);
  }
}
