package dev.imagepatch.patch.apk;

import static dev.imagepatch.patch.testing.ApkBuilder.apk;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.testing.ApkBuilder;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** apk inputs the engine must refuse with a message naming the culprit, writing nothing to the target. */
class ApkBadInputsTest {
  static final ApkBuilder HELLO_1 = apk("hello", "1.0-r0", "x86_64").file("usr/bin/hello", "hello 1.0-r0\n");
  static final ApkBuilder HELLO_2 = apk("hello", "1.0-r1", "x86_64").file("usr/bin/hello", "hello 1.0-r1\n");
  static final ApkBuilder ESCAPING = apk("hello", "1.0-r1", "x86_64").file("usr/bin/hello", "hello 1.0-r1\n")
      .rawFile("../../etc/evil", "written outside the root\n");
  static final String CVE = "CVE-2024-67890";

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureApkRepository repo = FixtureApkRepository.start();
  @RegisterExtension
  static final FixtureAptRepository apt = FixtureAptRepository.start();
  static Report report;

  @BeforeAll
  static void serve() throws Exception {
    repo.publish("good", HELLO_1, HELLO_2);
    repo.publish("impostor", FixtureApkRepository.newKey(), "impostor-1.rsa.pub", HELLO_2);
    repo.publish("unsigned", (java.security.KeyPair) null, null, HELLO_2);
    repo.publish("escaping", ESCAPING);
    // The index names another control checksum than the package's (signed anew, so only C: differs).
    repo.publish("checksum", HELLO_2);
    ApkBuilder.Built b = repo.built("checksum", HELLO_2);
    String forged = b.stanza().replace(b.checksum(), ApkBuilder.q1("another control member".getBytes(
        StandardCharsets.UTF_8)));
    repo.replace("checksum/x86_64/APKINDEX.tar.gz", FixtureApkRepository.index(forged + "\n", "checksum", repo.key(),
        repo.keyName()));
    repo.publish("v3", HELLO_2);
    repo.replace("v3/x86_64/APKINDEX.tar.gz", "ADBd\u0001\u0000\u0000\u0000fake".getBytes(StandardCharsets.ISO_8859_1));
    apt.publish("bookworm", DebBuilder.hello("1.0-2", "amd64"));
    report = FixtureReports.trivy("alpine", "3.20.3", "amd64", finding(CVE, "hello", "1.0-r0", "1.0-r1"));
  }

  static FixtureApkImages.Spec image(String repoPath) {
    return FixtureApkImages.alpine("amd64", repo, repoPath, HELLO_1);
  }

  interface Writer {
    void write(OciLayout layout) throws Exception;
  }

  /** Patches the image {@code writer} writes with {@code report}; expects a refusal naming each of {@code expected}. */
  static void assertRefused(Writer writer, Report report, UnaryOperator<PatchRequest.Builder> options,
      String... expected) throws Exception {
    Path dir = Files.createTempDirectory(work, "case-");
    OciLayout source = OciLayout.openOrCreate(dir.resolve("source"));
    writer.write(source);
    OciLayout target = OciLayout.openOrCreate(dir.resolve("target"));
    Map<String, String> before = FixtureImages.snapshot(target);
    // A cache of its own: a package verified by another case must not hide a bad download.
    PatchRequest request = options.apply(PatchRequest.builder(source, "img", report).target(target, "patched")
        .cacheDirectory(dir.resolve("cache"))).build();
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(request));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
    }
    assertEquals(before, FixtureImages.snapshot(target), "nothing written");
  }

  static void assertRefused(String repoPath, String... expected) throws Exception {
    assertRefused(l -> image(repoPath).write(l, "img"), report, b -> b, expected);
  }

  @Test
  void anIndexSignedByAnUnknownKeyNamesTheIndexAndTheKey() throws Exception {
    assertRefused("impostor", repo.url("impostor") + "/x86_64/APKINDEX.tar.gz", "no signature verifies",
        ".SIGN.RSA.impostor-1.rsa.pub", "key not trusted", repo.keyName());
  }

  @Test
  void anUnsignedIndexIsRefusedUnlessInsecureModeIsAskedFor() throws Exception {
    assertRefused("unsigned", repo.url("unsigned") + "/x86_64/APKINDEX.tar.gz", "not signed");

    OciLayout source = OciLayout.openOrCreate(work.resolve("unsigned-source"));
    image("unsigned").write(source, "img");
    OciLayout target = OciLayout.openOrCreate(work.resolve("unsigned-target"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "img", report).target(target, "patched")
        .cacheDirectory(work.resolve("unsigned-cache"))
        .repositories(RepositoryOptions.builder().allowUnsigned(true).build()).build());
    assertEquals(List.of(CVE), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    assertEquals("hello 1.0-r1\n", FixtureApkImages.topLayer(target, "patched").get("usr/bin/hello").text());
  }

  @Test
  void aPackageWhoseControlChecksumIsNotTheIndexsIsRefused() throws Exception {
    assertRefused("checksum", "hello-1.0-r1", "control checksum is " + repo.built("checksum", HELLO_2).checksum(),
        "the index says");
  }

  @Test
  void aPackageWithAPathOutOfTheRootIsRefused() throws Exception {
    assertRefused("escaping", "hello-1.0-r1", "../../etc/evil", "leaves the root");
  }

  @Test
  void anApkV3IndexIsRefusedSayingSo() throws Exception {
    assertRefused("v3", repo.url("v3") + "/x86_64/APKINDEX.tar.gz", "APKv3");
  }

  @Test
  void anAlpineReportForADebianImageIsRefused() throws Exception {
    assertRefused(l -> FixtureImages.debian("amd64", apt, "bookworm", DebBuilder.hello("1.0-1", "amd64"))
        .write(l, "img"), report, b -> b, "the report is for alpine, which the ", "native Debian backend",
        "does not patch");
  }

  @Test
  void aDebianReportForAnAlpineImageIsRefused() throws Exception {
    Report debian = FixtureReports.debian("amd64", finding(CVE, "hello", "1.0-1", "1.0-2"));
    assertRefused(l -> image("good").write(l, "img"), debian, b -> b, "the report is for debian, which the ",
        "native apk backend", "does not patch");
  }
}
