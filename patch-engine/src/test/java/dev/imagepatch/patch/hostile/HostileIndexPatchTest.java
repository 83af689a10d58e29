package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.testing.DebBuilder.hello;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Indexes that would multiply the work, and what --ignore-errors leaves out, which must be told. */
class HostileIndexPatchTest {
  static final DebBuilder HELLO_1 = hello("1.0-1", "amd64");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static Report report;

  @BeforeAll
  static void serve() throws Exception {
    repo.publish("bookworm", hello("1.0-2", "amd64"));
    report = HostileCase.report();
  }

  /** An index tagged "12" naming the one Debian child {@code times}, each entry annotated apart. */
  static Descriptor indexOfOneChild(OciLayout layout, int times) throws Exception {
    Descriptor child = FixtureImages.debian("amd64", repo, "bookworm", HELLO_1).write(layout, null);
    List<Descriptor> entries = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      entries.add(child.withAnnotation("org.example.copy", Integer.toString(i)));
    }
    FixtureImages.index(layout, "12", entries);
    return child;
  }

  @Test
  void aChildNamedManyTimesIsPatchedOnce() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(Files.createTempDirectory(work, "many-"));
    Descriptor child = indexOfOneChild(layout, 50);
    PatchResult r = Patcher.create().patch(PatchRequest.builder(layout, "12", report).target(layout, "12-patched")
        .cacheDirectory(work.resolve("cache")).build());
    assertEquals(1, r.platforms().size(), "one platform patched");
    Index patched = (Index) layout.fetchManifest("12-patched");
    assertEquals(50, patched.manifests().size());
    assertTrue(patched.manifests().stream().allMatch(e -> e.digest().equals(r.platforms().get(0).patched().get())
        && !e.digest().equals(child.digest())), "every entry names the patched child");
  }

  @Test
  void anIndexOfTenThousandEntriesIsRefused() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(Files.createTempDirectory(work, "huge-"));
    indexOfOneChild(layout, 10_000);
    PatchException e = HostileCase.assertRefused(layout, "12", layout, report, work.resolve("cache"), b -> b,
        "lists 10000 entries; at most 1000 are accepted");
    assertTrue(e.getMessage().contains(layout.describe()), e.getMessage());
  }

  @Test
  void entriesIgnoreErrorsSkippedAreListedInTheResult() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(Files.createTempDirectory(work, "skipped-"));
    FixtureImages.debian("amd64", repo, "bookworm", HELLO_1).write(layout, "12");
    Report unreadable = FixtureReports.debian("amd64", finding("CVE-2024-67890", "hello", "1.0-1", "1.0-2"),
        finding("CVE-2024-11111", "broken", "not a version!", "1.0-1"));
    PatchResult r = Patcher.create().patch(PatchRequest.builder(layout, "12", unreadable).ignoreErrors(true)
        .target(layout, "12-patched").cacheDirectory(work.resolve("cache")).build());
    assertTrue(r.patched().isPresent());
    assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("report entry broken skipped (ignore-errors): ")),
        r.notes().toString());
  }
}
