package dev.imagepatch.patch.family;

import static dev.imagepatch.patch.family.FixtureOs.pkg;
import static dev.imagepatch.patch.family.FixtureOs.text;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An index of amd64 and arm64 fixtureos images: each child patched from its own architecture's index. */
class FixtureFamilyMultiArchTest {
  static final List<String> ARCHES = List.of("amd64", "arm64");

  @TempDir
  static Path work;
  static OciLayout source;
  static Index index;

  @BeforeAll
  static void build() throws Exception {
    Path repo = work.resolve("repo");
    source = OciLayout.openOrCreate(work.resolve("source"));
    List<Descriptor> children = new ArrayList<>();
    for (String arch : ARCHES) {
      FixtureOs.publish(repo, arch, pkg("hello", "1.1", arch));
      children.add(FixtureOs.image(source, null, arch, repo, pkg("hello", "1.0", arch)));
    }
    index = FixtureImages.index(source, "1", children);
  }

  @Test
  void bothChildrenArePatchedAndTheIndexKeepsItsOrderAndMediaType() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("target"));
    PatchRequest.Builder request = PatchRequest.builder(source, "1").target(target, "1-patched");
    for (String arch : ARCHES) {
      request.report(FixtureOs.report(arch, finding("CVE-2024-22222", "hello", "1.0", "1.1")));
    }
    PatchResult result = Patcher.create().patch(request.build());

    Index patched = (Index) target.fetchManifest("1-patched");
    assertEquals(index.mediaType(), patched.mediaType());
    assertEquals(index.annotations(), patched.annotations());
    assertEquals(ARCHES.size(), patched.manifests().size());
    for (int i = 0; i < ARCHES.size(); i++) {
      Descriptor was = index.manifests().get(i);
      Descriptor now = patched.manifests().get(i);
      assertNotEquals(was.digest(), now.digest(), ARCHES.get(i) + " patched");
      assertEquals(was.platform(), now.platform(), "in its place");
      assertEquals("hello 1.1 for " + ARCHES.get(i),
          text(FixtureImages.topLayer(target, now.digest().toString()).get("usr/lib/fixture/hello")));
      assertEquals(List.of("CVE-2024-22222"), result.platforms().get(i).fixed().stream()
          .map(PatchResult.Fixed::vulnerability).toList());
    }
  }

  @Test
  void withoutAReportEachChildUpdatesWhatItsIndexHasNewer() throws Exception {
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "1").dryRun(true).build());

    assertEquals(ARCHES, result.platforms().stream().map(p -> p.platform().orElseThrow()).toList());
    result.platforms().forEach(p -> assertEquals(List.of(new PatchResult.PackageChange("hello",
        FixtureOs.arch(p.platform().get()), "1.0", "1.1", "requested")), p.changes()));
  }
}
