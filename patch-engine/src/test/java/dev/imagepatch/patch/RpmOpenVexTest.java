package dev.imagepatch.patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.pkg.PackageManager;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OpenVEX documents of RPM patches: purls as the purl spec's rpm type writes them (epoch a
 * qualifier), matching the purls Trivy and syft give the patched packages by go-vex's rule, and
 * the document valid against the OpenVEX JSON schema (shared schemas).
 */
class RpmOpenVexTest {
  private static final Digest SOURCE = Digest.sha256(new byte[] {3});
  private static final Digest PATCHED = Digest.sha256(new byte[] {4});

  private static PatchResult result(List<PatchResult.PackageChange> changes, List<PatchResult.Fixed> fixed) {
    return new PatchResult(SOURCE, Optional.of(Descriptor.of(MediaTypes.OCI_MANIFEST, PATCHED, 10)), Optional.empty(),
        changes, fixed, List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0).patchedWith(PackageManager.RPM);
  }

  private static List<String> subcomponents(JsonNode statement) {
    return StreamSupport.stream(statement.at("/products/0/subcomponents").spliterator(), false)
        .map(s -> s.get("@id").asText()).toList();
  }

  @Test
  void rpmSubcomponentsCarryTheEpochAsAQualifierAndEachMultilibArch() throws Exception {
    PatchResult r = result(List.of(
            new PatchResult.PackageChange("openssl-libs", "x86_64", "1:1.1.1k-4.el8", "1:1.1.1k-5.el8_5", "requested"),
            new PatchResult.PackageChange("glibc", "x86_64", "2.28-211.el8", "2.28-225.el8", "requested"),
            new PatchResult.PackageChange("glibc", "i686", "2.28-211.el8", "2.28-225.el8", "multilib"),
            new PatchResult.PackageChange("tzdata", "noarch", "2023c-1.el8", "2024a-1.el8", "requested"),
            new PatchResult.PackageChange("libstdc++", "x86_64", "8.5.0-18.el8", "8.5.0-20.el8", "requested")),
        List.of(new PatchResult.Fixed("CVE-2021-3712", "openssl-libs", "1:1.1.1k-5.el8_5"),
            new PatchResult.Fixed("CVE-2023-4911", "glibc", "2.28-225.el8"),
            new PatchResult.Fixed("CVE-2024-0001", "tzdata", "0:2024a-1.el8"),
            new PatchResult.Fixed("CVE-2024-0002", "libstdc++", "8.5.0-20.el8")));
    ObjectNode doc = OpenVex.of(r, ImageReference.parse("registry.example/team/app:8-patched"), "rocky-8",
        "imagepatch", Instant.parse("2026-11-30T10:00:00Z"));
    Set<ValidationMessage> errors = OpenVexTest.validate(doc);
    assertTrue(errors.isEmpty(), errors.toString());
    JsonNode st = doc.get("statements");
    assertEquals(4, st.size());
    assertEquals(List.of("pkg:rpm/rocky/openssl-libs@1.1.1k-5.el8_5?arch=x86_64&epoch=1"), subcomponents(st.get(0)));
    assertEquals(List.of("pkg:rpm/rocky/glibc@2.28-225.el8?arch=x86_64", "pkg:rpm/rocky/glibc@2.28-225.el8?arch=i686"),
        subcomponents(st.get(1)));
    // An explicit epoch 0 is not written: Trivy leaves it out of its purls.
    assertEquals(List.of("pkg:rpm/rocky/tzdata@2024a-1.el8?arch=noarch"), subcomponents(st.get(2)));
    assertEquals(List.of("pkg:rpm/rocky/libstdc%2B%2B@8.5.0-20.el8?arch=x86_64"), subcomponents(st.get(3)));
    assertEquals("pkg:oci/app@sha256%3A" + PATCHED.hex() + "?repository_url=registry.example%2Fteam%2Fapp",
        st.get(0).at("/products/0/@id").asText());
  }

  /**
   * The vendor Trivy and syft write for each family, and the document's purls matching the purl
   * each scanner gives the patched package (the Trivy purl as in the real Rocky report; syft's as
   * {@code syft/pkg/cataloger/redhat/package.go} writes it).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "redhat-9      | pkg:rpm/redhat/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=redhat-9.3&epoch=1 | pkg:rpm/redhat/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm",
      "centos-7      | pkg:rpm/centos/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=centos-7.9.2009&epoch=1 | pkg:rpm/centos/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=centos-7&epoch=1",
      "rocky-8       | pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rocky-8.5&epoch=1 | pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rocky-8.5&epoch=1",
      "alma-9        | pkg:rpm/alma/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=alma-9.3&epoch=1 | pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=almalinux-9.3&epoch=1",
      "fedora-39     | pkg:rpm/fedora/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=fedora-39&epoch=1 | pkg:rpm/fedora/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=fedora-39&epoch=1",
      "amazon-2      | pkg:rpm/amazon/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=amazon-2%20%28Karoo%29&epoch=1 | pkg:rpm/amzn/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=amzn-2&epoch=1",
      "oracle-9      | pkg:rpm/oracle/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=oracle-9.3&epoch=1 | pkg:rpm/ol/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=ol-9.3&epoch=1",
      "cbl-mariner-2 | pkg:rpm/cbl-mariner/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=cbl-mariner-2.0&epoch=1 | pkg:rpm/mariner/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=mariner-2.0&epoch=1",
      "azurelinux-3  | pkg:rpm/azurelinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=azurelinux-3.0&epoch=1 | pkg:rpm/azurelinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=azurelinux-3.0&epoch=1"})
  void theDocumentMatchesTrivysAndSyftsPurlsOfEveryFamily(String distro, String trivy, String syft) throws Exception {
    PatchResult r = result(List.of(new PatchResult.PackageChange("openssl-libs", "x86_64", "1:3.0.7-24.el9",
        "1:3.0.7-25.el9_3", "requested")), List.of(new PatchResult.Fixed("CVE-2026-0001", "openssl-libs", "1:3.0.7-25.el9_3")));
    ObjectNode doc = OpenVex.of(r, ImageReference.parse("registry.example/app:1"), distro, "imagepatch", Instant.EPOCH);
    assertTrue(OpenVexTest.validate(doc).isEmpty());
    List<String> ours = subcomponents(doc.get("statements").get(0));
    assertTrue(ours.stream().anyMatch(p -> GoVexPurls.matches(p, trivy)), ours + " matches no Trivy purl " + trivy);
    assertTrue(ours.stream().anyMatch(p -> GoVexPurls.matches(p, syft)), ours + " matches no syft purl " + syft);
    // Not the other way round: a different version or epoch matches nothing.
    assertTrue(ours.stream().noneMatch(p -> GoVexPurls.matches(p, trivy.replace("25.el9_3", "24.el9"))));
    assertTrue(ours.stream().noneMatch(p -> GoVexPurls.matches(p, syft.replace("epoch=1", "epoch=2"))));
  }
}
