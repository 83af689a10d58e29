package dev.imagepatch.oci.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.IndexLimits;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.RandomImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Indexes built to exhaust a copy: nested thousands deep, or naming one child thousands of times.
 * Run in the small heap: a bound that held only with memory to spare would be no bound.
 */
@Tag("small-heap")
class HostileIndexTest {
  @TempDir
  Path work;

  /** Nests the image in {@code levels} indexes, the outermost tagged "v1". */
  private static Index nested(OciLayout layout, Manifest image, int levels) throws IOException {
    Descriptor inner = image.descriptor().withPlatform(Platform.of("linux", "amd64"));
    Index index = null;
    for (int i = 0; i < levels; i++) {
      index = Index.create(MediaTypes.OCI_INDEX, List.of(inner));
      layout.putManifest(index, i == levels - 1 ? "v1" : null);
      inner = index.descriptor();
    }
    return index;
  }

  private OciLayout source() throws IOException {
    return OciLayout.openOrCreate(work.resolve("source"));
  }

  private OciLayout target() throws IOException {
    return OciLayout.openOrCreate(work.resolve("target"));
  }

  @Test
  void anIndexNestedThousandsDeepIsRefusedWithoutExhaustingTheStack() throws Exception {
    OciLayout source = source();
    nested(source, new RandomImages(1).image(source, null, false, Platform.of("linux", "amd64"), 1), 3_000);
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
        () -> ImageCopier.create(2, new ImageCopier.Listener() {}).copy(source, "v1", target(), "v1"));
    assertTrue(e.getMessage().contains("is nested 9 levels deep; at most 8 are followed"), e.getMessage());
    assertTrue(e.getMessage().contains(source.describe()), e.getMessage());
  }

  @Test
  void theDefaultDepthIsCopied() throws Exception {
    OciLayout source = source();
    Index root = nested(source, new RandomImages(2).image(source, null, false, Platform.of("linux", "amd64"), 1),
        IndexLimits.DEFAULT.maxDepth());
    assertEquals(root.digest(), ImageCopier.create(2, new ImageCopier.Listener() {})
        .copy(source, "v1", target(), "v1").digest());
  }

  @Test
  void anIndexOfTenThousandEntriesIsRefused() throws Exception {
    OciLayout source = source();
    Manifest image = new RandomImages(3).image(source, null, false, Platform.of("linux", "amd64"), 1);
    Index index = Index.create(MediaTypes.OCI_INDEX, Collections.nCopies(10_000,
        image.descriptor().withPlatform(Platform.of("linux", "amd64"))));
    source.putManifest(index, "v1");
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
        () -> ImageCopier.create(2, new ImageCopier.Listener() {}).copy(source, "v1", target(), "v1"));
    assertTrue(e.getMessage().contains("index " + index.digest() + " lists 10000 entries; at most 1000 are accepted"),
        e.getMessage());
  }

  @Test
  void aChildNamedManyTimesIsCopiedOnce() throws Exception {
    OciLayout source = source();
    Manifest image = new RandomImages(4).image(source, null, false, Platform.of("linux", "amd64"), 1);
    Index index = Index.create(MediaTypes.OCI_INDEX, Collections.nCopies(IndexLimits.DEFAULT.maxEntries(),
        image.descriptor().withPlatform(Platform.of("linux", "amd64"))));
    source.putManifest(index, "v1");
    AtomicInteger written = new AtomicInteger();
    ImageCopier.create(2, new ImageCopier.Listener() {
      @Override
      public void manifestWritten(JsonDocument document, String tag) {
        written.incrementAndGet();
      }
    }).copy(source, "v1", target(), "v1");
    assertEquals(2, written.get(), "the child once, then the index");
  }

  @Test
  void limitsAreTheCallersToChoose() throws Exception {
    OciLayout source = source();
    nested(source, new RandomImages(5).image(source, null, false, Platform.of("linux", "amd64"), 1), 3);
    IOException e = assertThrows(InvalidDocumentException.class, () -> ImageCopier.create(1,
        new ImageCopier.Listener() {}).withLimits(new IndexLimits(2, 10)).copy(source, "v1", target(), "v1"));
    assertTrue(e.getMessage().contains("nested 3 levels deep; at most 2"), e.getMessage());
  }
}
