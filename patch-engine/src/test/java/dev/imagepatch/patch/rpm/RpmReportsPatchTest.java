package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.rpm.ArchRepositories.pkg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.OpenVex;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmJudges;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scanner reports driving the patch of a RHEL (UBI 9) image, whose os-release says {@code rhel}
 * where Trivy says {@code redhat}: Grype's epoch convention (a fixed version without the epoch the
 * installed one has), and a multilib pair (glibc x86_64 and i686) upgraded together as
 * {@code dnf upgrade glibc} does, with an OpenVEX statement naming both architectures.
 */
class RpmReportsPatchTest {
  static final String UBI_9 = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.3 (Plow)\"\nID=\"rhel\"\n"
      + "ID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.3 (Plow)\"\n";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static OciLayout source;

  static RpmSpec glibc(String release, String arch) {
    // Each architecture's file at its own path, as multilib packages must not conflict.
    return RpmSpec.rpm("glibc", "2.34", release).arch(arch).file(arch.equals("i686") ? "/usr/lib/glibc.txt"
        : "/usr/lib64/glibc.txt", "glibc 2.34-" + release + " " + arch + "\n");
  }

  @BeforeAll
  static void build() throws Exception {
    FixtureRpmRepository.requireTools();
    ArchRepositories.publish(repo, "baseos", pkg("openssl-libs", "1:3.0.7-25.el9_3", "x86_64"),
        glibc("83.el9_3.7", "x86_64"), glibc("83.el9_3.7", "i686"));
    source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureRpmImages.rocky(repo, null, pkg("openssl-libs", "1:3.0.7-24.el9", "x86_64"), glibc("83.el9", "x86_64"),
        glibc("83.el9", "i686")).osRelease(UBI_9).repoFile(ArchRepositories.repoFile(repo, "baseos")).write(source, "9.3");
  }

  @Test
  void grypesFixWithoutTheEpochTakesTheInstalledOnesAndIsFixed() throws Exception {
    ObjectNode doc = JSON.createObjectNode();
    ObjectNode match = doc.putArray("matches").addObject();
    match.putObject("vulnerability").put("id", "CVE-2023-5678").put("severity", "Medium").putObject("fix")
        .put("state", "fixed").putArray("versions").add("3.0.7-25.el9_3");
    match.putObject("artifact").put("name", "openssl-libs").put("version", "1:3.0.7-24.el9").put("type", "rpm")
        .put("purl", "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rhel-9.3")
        .put("metadataType", "RpmMetadata").putObject("metadata").put("epoch", 1);
    doc.putObject("source").put("type", "image").putObject("target").put("userInput", "ubi9:9.3")
        .put("architecture", "amd64");
    doc.putObject("distro").put("name", "redhat").put("version", "9.3");
    Report grype = Reports.read(new ByteArrayInputStream(JSON.writeValueAsBytes(doc)), "grype-ubi9.json");

    OciLayout target = OciLayout.openOrCreate(work.resolve("grype"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9.3", grype).target(target, "9.3-patched")
        .cacheDirectory(work.resolve("cache")).build());

    // Read as rpm compares, 3.0.7-25.el9_3 (epoch 0) is below the installed 1:3.0.7-24.el9 and the
    // finding would pass as already fixed; read as Grype meant it, the fix is 1:3.0.7-25.el9_3.
    assertEquals(List.of(new PackageChange("openssl-libs", "x86_64", "1:3.0.7-24.el9", "1:3.0.7-25.el9_3", "requested")),
        result.changes());
    assertEquals(List.of(new PatchResult.Fixed("CVE-2023-5678", "openssl-libs", "1:3.0.7-25.el9_3")), result.fixed());
    JsonNode vex = OpenVex.of(result, ImageReference.parse("registry.example/ubi9:9.3-patched"), "redhat-9", "imagepatch",
        Instant.EPOCH);
    assertEquals("pkg:rpm/redhat/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1",
        vex.at("/statements/0/products/0/subcomponents/0/@id").asText());
  }

  @Test
  void aMultilibPairIsUpgradedTogetherAsDnfUpgradeDoes() throws Exception {
    ObjectNode doc = JSON.createObjectNode().put("SchemaVersion", 2).put("ArtifactName", "ubi9:9.3")
        .put("ArtifactType", "container_image");
    ObjectNode md = doc.putObject("Metadata");
    md.putObject("OS").put("Family", "redhat").put("Name", "9.3");
    md.putObject("ImageConfig").put("architecture", "amd64");
    ArrayNode vulns = doc.putArray("Results").addObject().put("Target", "ubi9:9.3 (redhat 9.3)").put("Class", "os-pkgs")
        .put("Type", "redhat").putArray("Vulnerabilities");
    for (String arch : List.of("x86_64", "i686")) {
      ObjectNode v = vulns.addObject().put("VulnerabilityID", "CVE-2023-4911").put("PkgID", "glibc@2.34-83.el9." + arch)
          .put("PkgName", "glibc").put("InstalledVersion", "2.34-83.el9").put("FixedVersion", "2.34-83.el9_3.7")
          .put("Status", "fixed").put("Severity", "HIGH");
      v.putObject("PkgIdentifier").put("PURL", "pkg:rpm/redhat/glibc@2.34-83.el9?arch=" + arch + "&distro=redhat-9.3");
    }
    Report trivy = Reports.read(new ByteArrayInputStream(JSON.writeValueAsBytes(doc)), "trivy-ubi9.json");

    OciLayout target = OciLayout.openOrCreate(work.resolve("multilib"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9.3", trivy).target(target, "9.3-patched")
        .cacheDirectory(work.resolve("cache")).build());

    // The report names both; the resolver, as dnf, upgrades the i686 one because the x86_64 one moves.
    assertEquals(List.of(new PackageChange("glibc", "i686", "2.34-83.el9", "2.34-83.el9_3.7", "multilib"),
        new PackageChange("glibc", "x86_64", "2.34-83.el9", "2.34-83.el9_3.7", "requested")),
        result.changes().stream().sorted(Comparator.comparing(PackageChange::architecture)).toList());
    Map<String, byte[]> layer = FixtureImages.topLayer(target, "9.3-patched");
    assertEquals(RpmJudges.dnfUpgrade(FixtureImages.topLayer(source, "9.3"), "9", "glibc"), RpmJudges.rpmQueryAll(layer),
        "our database lists what dnf upgrade glibc leaves");
    assertEquals("glibc 2.34-83.el9_3.7 i686\n", new String(layer.get("usr/lib/glibc.txt"), java.nio.charset.StandardCharsets.UTF_8));
    JsonNode vex = OpenVex.of(result, ImageReference.parse("registry.example/ubi9:9.3-patched"), "redhat-9", "imagepatch",
        Instant.EPOCH);
    List<String> purls = StreamSupport.stream(vex.at("/statements/0/products/0/subcomponents").spliterator(), false)
        .map(s -> s.get("@id").asText()).sorted().toList();
    assertEquals(List.of("pkg:rpm/redhat/glibc@2.34-83.el9_3.7?arch=i686", "pkg:rpm/redhat/glibc@2.34-83.el9_3.7?arch=x86_64"),
        purls);
    assertTrue(result.stillVulnerable().isEmpty(), result.stillVulnerable().toString());
  }
}
