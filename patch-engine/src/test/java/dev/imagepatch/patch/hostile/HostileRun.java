package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.LayerAudit;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One hostile case: an image with hello 1.0-1 whose repository suite serves a hostile hello 1.0-2.
 * The patch must be refused naming the culprit, with nothing written; when it is not refused, the
 * written layer is audited ({@link LayerAudit}) and its database shown, so the failure says what
 * the attacker got.
 */
final class HostileRun {
  static final DebBuilder HELLO_1 = DebBuilder.hello("1.0-1", "amd64");

  private HostileRun() {}

  /** Publishes {@code deb} alone in {@code suite}; the image has hello 1.0-1 and names that suite. */
  static FixtureImages.Spec serving(FixtureAptRepository repo, String suite, DebBuilder deb) throws Exception {
    repo.publish(suite, deb);
    return FixtureImages.debian("amd64", repo, suite, HELLO_1);
  }

  static Report report(String fixed) throws Exception {
    return FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", fixed));
  }

  static void assertRefused(Path work, FixtureImages.Spec image, Report report, String... expected) throws Exception {
    Path dir = Files.createTempDirectory(work, "case-");
    OciLayout source = OciLayout.openOrCreate(dir.resolve("source"));
    image.write(source, "12");
    OciLayout target = OciLayout.openOrCreate(dir.resolve("target"));
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchRequest request = PatchRequest.builder(source, "12", report).target(target, "12-patched")
        .cacheDirectory(dir.resolve("cache")).build();
    try {
      Patcher.create().patch(request);
    } catch (PatchException e) {
      for (String part : expected) {
        assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
      }
      assertEquals(before, FixtureImages.snapshot(target), "nothing written");
      return;
    }
    List<String> problems = LayerAudit.topLayer(target, "12-patched");
    byte[] status = FixtureImages.topLayer(target, "12-patched").get("var/lib/dpkg/status");
    fail("patched instead of refused; layer audit: " + problems + "; status:\n"
        + (status == null ? "(none)" : new String(status, StandardCharsets.UTF_8)));
  }
}
