package dev.imagepatch.patch;

import dev.imagepatch.pkg.PackageManager;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** OpenVEX documents of patch results, checked against the OpenVEX JSON schema itself (from the shared schemas). */
class OpenVexTest {
  private static final Digest SOURCE = Digest.sha256(new byte[] {1});
  private static final Digest PATCHED = Digest.sha256(new byte[] {2});

  static Set<ValidationMessage> validate(JsonNode doc) throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.path("schemas/openvex/openvex_json_schema.json"))) {
      JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
      JsonSchema schema = factory.getSchema(in, com.networknt.schema.SchemaValidatorsConfig.builder()
          .formatAssertionsEnabled(true).build());
      return schema.validate(doc);
    }
  }

  private static PatchResult result(List<PatchResult.Fixed> fixed) {
    return new PatchResult(SOURCE, Optional.of(Descriptor.of(MediaTypes.OCI_MANIFEST, PATCHED, 10)), Optional.empty(),
        List.of(new PatchResult.PackageChange("libssl3", "amd64", "3.0.20-1~deb12u2", "3.0.22-1~deb12u2", "requested"),
            new PatchResult.PackageChange("openssl", "amd64", "3.0.20-1~deb12u2", "3.0.22-1~deb12u2", "requested")),
        fixed, List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0).patchedWith(PackageManager.DPKG);
  }

  @Test
  void aPatchResultBecomesAValidOpenVexDocument() throws Exception {
    PatchResult r = result(List.of(new PatchResult.Fixed("CVE-2025-9230", "libssl3", "3.0.22-1~deb12u2"),
        new PatchResult.Fixed("CVE-2025-9230", "openssl", "3.0.22-1~deb12u2"),
        new PatchResult.Fixed("CVE-2025-9231", "libssl3", "3.0.22-1~deb12u2")));
    ObjectNode doc = OpenVex.of(r, ImageReference.parse("registry.example:5000/team/app:1.0-patched"), "debian-12",
        "imagepatch", Instant.parse("2026-11-23T10:00:00Z"));
    Set<ValidationMessage> errors = validate(doc);
    assertTrue(errors.isEmpty(), errors.toString());
    assertEquals(OpenVex.CONTEXT, doc.get("@context").asText());
    assertTrue(doc.get("@id").asText().startsWith("https://openvex.dev/docs/public/vex-"));
    assertEquals(2, doc.get("statements").size(), "one statement per vulnerability");
    JsonNode first = doc.get("statements").get(0);
    assertEquals("CVE-2025-9230", first.at("/vulnerability/name").asText());
    assertEquals("fixed", first.get("status").asText());
    assertEquals("pkg:oci/app@sha256%3A" + PATCHED.hex() + "?repository_url=registry.example%3A5000%2Fteam%2Fapp",
        first.at("/products/0/@id").asText());
    assertEquals("pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64",
        first.at("/products/0/subcomponents/0/@id").asText());
    assertEquals(2, first.at("/products/0/subcomponents").size());
  }

  @Test
  void aDocumentTheSchemaRefusesIsRefused() throws Exception {
    ObjectNode bad = new ObjectMapper().createObjectNode().put("@context", OpenVex.CONTEXT);
    assertTrue(!validate(bad).isEmpty(), "the validator is not vacuous");
    assertNull(OpenVex.of(result(List.of()), ImageReference.parse("app:1"), null, "a", Instant.EPOCH),
        "nothing fixed, no document");
  }

  /**
   * The deb and apk subcomponents apply to the purls Trivy gives the packages (the real reports of
   * the shared vectors, {@code distro=debian-10.1}, {@code distro=3.10.2}) and syft (the os-release
   * {@code ID-VERSION_ID}), by go-vex's rule: no {@code distro} qualifier of ours to disagree.
   */
  @Test
  void debAndApkPurlsMatchTheScannersPurls() throws Exception {
    for (String[] c : new String[][] {
        {"trivy-debian-buster.json", "DPKG", "debian-10", "pkg:deb/debian/libidn2-0@2.0.5-1?arch=amd64&distro=debian-10"},
        {"trivy-alpine-310.json", "APK", "alpine-3", "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&upstream=openssl"
            + "&distro=alpine-3.10.2"}}) {
      JsonNode report = new ObjectMapper().readTree(SharedData.path("vectors/trivy/" + c[0]).toFile());
      for (JsonNode v : report.at("/Results/0/Vulnerabilities")) {
        String theirs = v.at("/PkgIdentifier/PURL").asText();
        String arch = theirs.replaceFirst(".*[?&]arch=([^&]*).*", "$1");
        String ours = OpenVex.purl(PackageManager.valueOf(c[1]), c[2], v.get("PkgName").asText(),
            v.get("InstalledVersion").asText(), arch);
        assertTrue(GoVexPurls.matches(ours, theirs), ours + " matches Trivy's " + theirs);
      }
      String syft = c[3];
      String name = syft.replaceFirst("^pkg:[a-z]+/[a-z]+/([^@]+)@.*", "$1");
      String version = syft.replaceFirst("^[^@]+@([^?]+)\\?.*", "$1");
      String arch = syft.replaceFirst(".*[?&]arch=([^&]*).*", "$1");
      assertTrue(GoVexPurls.matches(OpenVex.purl(PackageManager.valueOf(c[1]), c[2], name, version, arch), syft), syft);
    }
  }
}
