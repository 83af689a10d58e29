package dev.imagepatch.cli;

import static dev.imagepatch.patch.testing.DebBuilder.deb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code imagepatch patch --config}: the seed's list and a Copa PatchConfig, outputs and exit codes. */
class FleetCommandTest {
  static final DebBuilder HELLO_1 = deb("hello", "1.0-1", "amd64").file("/usr/bin/hello", "hello 1.0-1\n");
  static final DebBuilder HELLO_2 = deb("hello", "1.0-2", "amd64").file("/usr/bin/hello", "hello 1.0-2\n");

  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();
  @RegisterExtension
  static final FixtureAptRepository apt = FixtureAptRepository.start();
  @TempDir
  static Path work;

  @BeforeAll
  static void fleet() throws Exception {
    apt.publish("bookworm", HELLO_1, HELLO_2);
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    FixtureImages.debian("amd64", apt, "bookworm", HELLO_1).write(layout, "old");
    FixtureImages.debian("amd64", apt, "bookworm", HELLO_2).write(layout, "new");
    FixtureImages.debian("amd64", apt, "bookworm", HELLO_1).file("etc/apt/sources.list.d/fixture.sources",
        "Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: bookworm\nComponents: main\n"
            + "Signed-By: /etc/apt/keyrings/fixture.gpg\n").write(layout, "unreachable");
    RegistryClient client = registry.client();
    ImageCopier copier = ImageCopier.create(2, new ImageCopier.Listener() {});
    copier.copy(layout, "old", client.repository("team/api"), "1.4.2");
    copier.copy(layout, "new", client.repository("team/worker"), "2.1.0");
    copier.copy(layout, "unreachable", client.repository("team/broken"), "1.0");
    copier.copy(layout, "old", client.repository("team/web"), "3.0.1");
    copier.copy(layout, "old", client.repository("team/web"), "3.0.2");
  }

  @Test
  void twoShardsRecordTheirResultsInTheRegistryAndCollectMergesThem() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    ImageCopier copier = ImageCopier.create(2, new ImageCopier.Listener() {});
    String h = registry.host();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      copier.copy(layout, "old", registry.client().repository("sharded/app-" + i), "1.0");
      text.append(h).append("/sharded/app-").append(i).append(":1.0\n");
    }
    Path list = Files.writeString(work.resolve("sharded.txt"), text);
    String results = h + "/ops/imagepatch-results";
    int total = 0;
    for (int i = 0; i < 2; i++) {
      CliRun shard = CliRun.of("patch", "--config", list.toString(), "--push", "--cache", work.resolve("cache").toString(),
          "--shard", i + "/2", "--results", results);
      assertEquals(0, shard.code(), shard.out() + shard.err());
      total += (int) shard.out().lines().filter(l -> l.contains("sharded/app-")).count();
    }
    assertEquals(4, total, "each image on one shard");
    Path digests = work.resolve("sharded-digests.txt");
    CliRun collect = CliRun.of("patch", "--config", list.toString(), "--collect", "--shard", "2", "--results", results,
        "--digests-out", digests.toString());
    assertEquals(0, collect.code(), collect.out() + collect.err());
    assertEquals(4, Files.readAllLines(digests).size(), Files.readString(digests));
    CliRun wrong = CliRun.of("patch", "--config", list.toString(), "--collect", "--shard", "3", "--results", results);
    assertEquals(1, wrong.code(), "shard 2/3 never ran: " + wrong.out() + wrong.err());
    assertTrue(wrong.out().contains("shard 2/3"), wrong.out());
  }

  @Test
  void thePlainListIsPatchedAndAFailureIsExitCode1() throws Exception {
    String h = registry.host();
    Path list = Files.writeString(work.resolve("images.txt"), "# tracked images\n" + h + "/team/api:1.4.2\n"
        + h + "/team/worker:2.1.0\n" + h + "/team/broken:1.0\n");
    Path digests = work.resolve("digests.txt");
    Path metrics = work.resolve("metrics.prom");
    Path json = work.resolve("fleet.json");
    CliRun run = CliRun.of("patch", "--config", list.toString(), "--push", "--cache", work.resolve("cache").toString(),
        "--digests-out", digests.toString(), "--metrics-out", metrics.toString(), "--json", json.toString(),
        "--parallel", "2", "--per-registry", "2");
    assertEquals(1, run.code(), run.out() + run.err());
    String today = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);
    assertTrue(run.out().startsWith("NAME"), run.out());
    assertTrue(run.out().contains("1.4.2-patched-" + today), run.out());
    assertTrue(run.err().contains("failed: " + h + "/team/broken:1.0"), run.err());
    List<String> lines = Files.readAllLines(digests);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches(h.replace(".", "\\.") + "/team/api@sha256:[0-9a-f]{64} # patched from "
        + h.replace(".", "\\.") + "/team/api:1\\.4\\.2 on " + today), lines.get(0));
    assertTrue(Files.readString(metrics).contains("imagepatch_fleet_images{status=\"failed\"} 1\n"));
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertEquals(1, doc.get("exitCode").asInt());
    assertEquals("UP_TO_DATE", doc.get("images").get(1).get("status").asText());
  }

  @Test
  void aCopaConfigWithAVulnerabilityWithoutAFixIsExitCode3() throws Exception {
    Path config = Files.writeString(work.resolve("bulk.yaml"), """
        apiVersion: copa.sh/v1alpha1
        kind: PatchConfig
        images:
          - name: web
            image: HOST/team/web
            tags:
              strategy: pattern
              pattern: "^3\\\\.0\\\\.[0-9]+$"
              maxTags: 1
        """.replace("HOST", registry.host()));
    Path reports = Files.createDirectories(work.resolve("reports"));
    Files.writeString(reports.resolve("web.json"), """
        {"SchemaVersion": 2, "ArtifactName": "HOST/team/web:3.0.2", "ArtifactType": "container_image",
         "Metadata": {"OS": {"Family": "debian", "Name": "12.2"}, "ImageConfig": {"architecture": "amd64"}},
         "Results": [{"Target": "web (debian 12.2)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
           {"VulnerabilityID": "CVE-2024-1000", "PkgName": "hello", "InstalledVersion": "1.0-1", "FixedVersion": "1.0-2",
            "Status": "fixed", "Severity": "HIGH"},
           {"VulnerabilityID": "CVE-2024-9999", "PkgName": "hello", "InstalledVersion": "1.0-1",
            "Status": "affected", "Severity": "CRITICAL"},
           {"VulnerabilityID": "CVE-2024-5555", "PkgName": "hello", "InstalledVersion": "1.0-1",
            "Status": "affected", "Severity": "LOW"}]}]}
        """.replace("HOST", registry.host()));
    CliRun run = CliRun.of("patch", "--config", config.toString(), "--push", "-r", reports.toString(),
        "--severity", "CRITICAL,HIGH", "--cache", work.resolve("cache").toString());
    assertEquals(3, run.code(), run.out() + run.err());
    assertTrue(run.out().contains("3.0.2-patched") && !run.out().contains("3.0.1"), run.out());
    assertTrue(run.err().contains("without a fix: " + registry.host() + "/team/web:3.0.2 (CVE-2024-9999)"), run.err());

    // Accepted as an exception: exit code 0, and the second run skips what the first patched.
    Path exceptions = Files.writeString(work.resolve(".copa-exceptions.txt"), "CVE-2024-9999\n");
    CliRun again = CliRun.of("patch", "--config", config.toString(), "--push", "-r", reports.toString(),
        "--severity", "CRITICAL,HIGH", "--exceptions", exceptions.toString(), "--cache", work.resolve("cache").toString());
    assertEquals(0, again.code(), again.out() + again.err());
    assertTrue(again.out().contains("Skipped") && again.out().contains("3.0.2-patched "), again.out());
  }

  @Test
  void everyPatchedImageIsSignedAndAttestedWithOneKey() throws Exception {
    CliRun keys = SignCommandsTest.run("generate-key-pair", "--output-key-prefix", work.resolve("fleet").toString());
    assertEquals(0, keys.code(), keys.err());
    RegistryClient client = registry.client();
    OciLayout layout = OciLayout.open(work.resolve("layout"));
    ImageCopier copier = ImageCopier.create(2, new ImageCopier.Listener() {});
    copier.copy(layout, "old", client.repository("signed/a"), "1.0");
    copier.copy(layout, "old", client.repository("signed/b"), "1.0");
    String h = registry.host();
    Path list = Files.writeString(work.resolve("signed.txt"), h + "/signed/a:1.0\n" + h + "/signed/b:1.0\n");
    // Report-driven, so that each patch states fixes for its OpenVEX attestation.
    Path reports = Files.createDirectories(work.resolve("signed-reports"));
    for (String repo : List.of("signed/a", "signed/b")) {
      Files.writeString(reports.resolve(repo.replace('/', '-') + ".json"), """
          {"SchemaVersion": 2, "ArtifactName": "IMAGE", "ArtifactType": "container_image",
           "Metadata": {"OS": {"Family": "debian", "Name": "12.2"}, "ImageConfig": {"architecture": "amd64"}},
           "Results": [{"Target": "x (debian 12.2)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
             {"VulnerabilityID": "CVE-2024-1000", "PkgName": "hello", "InstalledVersion": "1.0-1",
              "FixedVersion": "1.0-2", "Status": "fixed", "Severity": "HIGH"}]}]}
          """.replace("IMAGE", h + "/" + repo + ":1.0"));
    }
    CliRun run = SignCommandsTest.run("patch", "--config", list.toString(), "--push", "-r", reports.toString(),
        "--sign-key", work.resolve("fleet.key").toString(), "--attest", "--cache", work.resolve("cache").toString());
    assertEquals(0, run.code(), run.out() + run.err());
    String today = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);
    for (String repo : List.of("signed/a", "signed/b")) {
      String image = h + "/" + repo + ":1.0-patched-" + today;
      CliRun verify = CliRun.of("verify", "--key", work.resolve("fleet.pub").toString(), image);
      assertEquals(0, verify.code(), verify.out() + verify.err());
      CliRun attested = CliRun.of("verify-attestation", "--key", work.resolve("fleet.pub").toString(), "--type",
          "openvex", image);
      assertEquals(0, attested.code(), attested.out() + attested.err());
    }
  }

  @Test
  void aConfigWithAnImageOrWithoutPushIsAWrongCommandLine() throws Exception {
    Path list = Files.writeString(work.resolve("one.txt"), registry.host() + "/team/api:1.4.2\n");
    CliRun noPush = CliRun.of("patch", "--config", list.toString());
    assertEquals(2, noPush.code());
    assertEquals(List.of("imagepatch: error: --config pushes every patched image: say --push (as copa patch --config)",
        "Try 'imagepatch patch --help' for more information."), noPush.err().lines().toList());
    assertEquals(2, CliRun.of("patch", "--config", list.toString(), "--push", "-i", "x/y:1").code());
    assertEquals(2, CliRun.of("patch", "--push").code());
  }
}
