package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What the hostile cases share. Each class keeps its own repository and report: a static extension
 * in a shared superclass would be one instance, stopped by the first class that finishes.
 */
final class HostileCase {
  private HostileCase() {}

  /** A report asking for hello 1.0-2 (CVE-2024-67890) on a Debian 12 amd64 image with hello 1.0-1. */
  static Report report() throws IOException {
    return FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", "1.0-2"));
  }

  /** Patches {@code tag} of {@code source}; expects a refusal naming each of {@code expected}, nothing written. */
  static PatchException assertRefused(ImageSource source, String tag, OciLayout target, Report report, Path cache,
      UnaryOperator<PatchRequest.Builder> options, String... expected) throws Exception {
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchRequest request = options.apply(PatchRequest.builder(source, tag, report).target(target, "12-patched")
        .cacheDirectory(cache)).build();
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(request));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
    }
    assertEquals(before, FixtureImages.snapshot(target), "nothing written");
    return e;
  }
}
