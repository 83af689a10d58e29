package dev.imagepatch.patch.engine;

import static dev.imagepatch.patch.testing.DebBuilder.hello;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Inputs the engine must refuse with a message that names the culprit, writing nothing. */
class BadInputsTest {
  static final DebBuilder HELLO_1 = hello("1.0-1", "amd64");
  static final DebBuilder HELLO_2 = hello("1.0-2", "amd64");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static Report report;

  @BeforeAll
  static void serve() throws Exception {
    repo.publish("bookworm", HELLO_2);
    repo.publish("impostor", FixtureAptRepository.newKey(), HELLO_2);
    // Its own suite and version, so the good suite's .deb stays intact for the other tests.
    DebBuilder tampered = hello("1.0-2+tampered", "amd64");
    repo.publish("tampered", tampered);
    byte[] deb = repo.file(tampered.filename()).clone();
    deb[deb.length - 1] ^= 1;
    repo.replace(tampered.filename(), deb);
    repo.publish("forged", HELLO_2);
    String signed = new String(repo.file("dists/forged/InRelease"), StandardCharsets.UTF_8);
    repo.replace("dists/forged/InRelease", signed.replace("Suite: forged", "Suite: changed-by-a-mirror")
        .getBytes(StandardCharsets.UTF_8));
    report = FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", "1.0-2"));
  }

  /** Patches {@code image} with {@code report}; expects a refusal naming each of {@code expected}. */
  static void assertRefused(FixtureImages.Spec image, Report report, String... expected) throws Exception {
    assertRefused(image, report, b -> b, expected);
  }

  static void assertRefused(FixtureImages.Spec image, Report report, UnaryOperator<PatchRequest.Builder> options,
      String... expected) throws Exception {
    Path dir = Files.createTempDirectory(work, "case-");
    OciLayout source = OciLayout.openOrCreate(dir.resolve("source"));
    image.write(source, "12");
    OciLayout target = OciLayout.openOrCreate(dir.resolve("target"));
    Map<String, String> before = FixtureImages.snapshot(target);
    // A cache of its own: a verified .deb cached by another case would hide a tampered download.
    PatchRequest request = options.apply(PatchRequest.builder(source, "12", report).target(target, "12-patched")
        .cacheDirectory(dir.resolve("cache"))).build();

    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(request));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
    }
    assertEquals(before, FixtureImages.snapshot(target), "nothing written");
  }

  static FixtureImages.Spec image(String suite) {
    return FixtureImages.debian("amd64", repo, suite, HELLO_1);
  }

  @Test
  void aReleaseSignedByAnUnknownKeyNamesTheRepository() throws Exception {
    assertRefused(image("impostor"), report, repo.uri() + "dists/impostor/InRelease",
        "no signature by a trusted key");
  }

  @Test
  void aReleaseChangedAfterSigningIsABadSignature() throws Exception {
    assertRefused(image("forged"), report, repo.uri() + "dists/forged/InRelease: BAD signature by key ");
  }

  @Test
  void anExpiredReleaseIsRefused() throws Exception {
    assertRefused(image("bookworm"), report, b -> b.now(Instant.parse("2100-06-01T00:00:00Z")),
        "dists/bookworm/InRelease: expired: Valid-Until was ");
  }

  @Test
  void noCandidateReachingTheFixedVersionIsRefused() throws Exception {
    Report impossible = FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", "9.9-1"));
    assertRefused(image("bookworm"), impossible,
        "no candidate for hello reaches the fixed version 9.9-1 (CVE-2024-67890); candidates seen: 1.0-2");
  }

  @Test
  void aTamperedDebNamesThePackage() throws Exception {
    Report tampered = FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", "1.0-2+tampered"));
    assertRefused(image("tampered"), tampered, "hello_1.0-2+tampered_amd64.deb", "SHA256");
  }

  @Test
  void anImagesLocalSourceIsNeverReadFromThisMachine() throws Exception {
    // file:/etc names the image's /etc: reading this machine's would be reading the host.
    assertRefused(image("bookworm").file("etc/apt/sources.list.d/fixture.sources",
        "Types: deb\nURIs: file:/etc\nSuites: bookworm\nComponents: main\n"), report,
        "the image's APT sources are all local (", "file:/etc", "reads an image's sources only over http(s)");
  }

  @Test
  void aReportForAnotherOsIsRefused() throws Exception {
    Report alpine = FixtureReports.trivy("alpine", "3.19.1", "amd64", finding("CVE-2024-0727", "libcrypto3",
        "3.1.4-r2", "3.1.4-r5"));
    assertRefused(image("bookworm"), alpine, "the report is for alpine, which the ", "native Debian backend",
        "does not patch");
  }

  @Test
  void aDebianReportOnAnImageOfAnotherOsIsRefused() throws Exception {
    assertRefused(image("bookworm").osId("alpine"), report, "the report is for debian, but the image is alpine");
  }

  @Test
  void anImageWithoutADpkgDatabaseSaysWhatWasLookedFor() throws Exception {
    assertRefused(image("bookworm").withoutDpkgDatabase(), report, "no package backend recognizes the image",
        "/var/lib/dpkg/status", "/var/lib/dpkg/status.d");
  }

  @Test
  void noReportForTheImagesPlatformIsRefused() throws Exception {
    Report arm64 = FixtureReports.debian("arm64", finding("CVE-2024-67890", "hello", "1.0-1", "1.0-2"));
    assertRefused(image("bookworm"), arm64, "no report for the image's platform linux/amd64");
  }
}
