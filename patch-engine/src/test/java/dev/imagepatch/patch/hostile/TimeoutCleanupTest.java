package dev.imagepatch.patch.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchTimeoutException;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.testing.SyntheticTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A timed-out patch of a decompression bomb stops within seconds and leaves nothing behind. Run
 * in its own JVM ({@code small-heap}) whose {@code java.io.tmpdir} is its own, so what is left in
 * it is this test's.
 */
@Tag("small-heap")
class TimeoutCleanupTest {
  private static final long SLICE = 64L << 20;

  @TempDir
  Path layoutDir;

  @BeforeAll
  static void ownTemporaryDirectory() throws IOException {
    // The small-heap execution points java.io.tmpdir at a directory of its own, made here.
    Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
  }

  @Test
  void aTimedOutPatchOfABombUnderEtcStopsWithinSecondsAndRemovesItsTemporaryDirectory() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(layoutDir);
    bombImage(layout, "bomb", 7L << 30);
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long start = System.nanoTime();
    PatchTimeoutException e = assertThrows(PatchTimeoutException.class, () -> Patcher.create()
        .patch(PatchRequest.builder(layout, "bomb").dryRun(true).timeout(Duration.ofSeconds(1)).build()));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(Duration.ofSeconds(6)) < 0, "stopped after " + took + ": " + e.getMessage());
    assertEquals(List.of(), leftIn(tmp));
    Thread.sleep(500);
    assertEquals(List.of(), leftIn(tmp), "written after the patch returned");
    assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("imagepatch-patch")),
        "a patch thread still runs");
  }

  /** An index: its platforms run on threads of their own, which the timed-out caller must wait for. */
  @Test
  void aTimedOutPatchOfAnIndexWaitsForItsPlatformsAndRemovesItsTemporaryDirectory() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(layoutDir);
    bombImage(layout, "a", 7L << 30);
    bombImage(layout, "b", (7L << 30) + 512);
    FixtureImages.index(layout, "both", List.of(
        ((Manifest) layout.fetchManifest("a")).descriptor().withPlatform(Platform.parse("linux/amd64")),
        ((Manifest) layout.fetchManifest("b")).descriptor().withPlatform(Platform.parse("linux/arm64"))));
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long start = System.nanoTime();
    assertThrows(PatchTimeoutException.class, () -> Patcher.create()
        .patch(PatchRequest.builder(layout, "both").dryRun(true).timeout(Duration.ofSeconds(1)).build()));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(Duration.ofSeconds(6)) < 0, "stopped after " + took);
    assertEquals(List.of(), leftIn(tmp));
    Thread.sleep(500);
    assertEquals(List.of(), leftIn(tmp), "written after the patch returned");
  }

  private static List<String> leftIn(Path tmp) throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("imagepatch-")).sorted().toList();
    }
  }

  /**
   * An image whose one layer holds {@code etc/bomb}, {@code size} zero bytes (spooled to disk as
   * /etc is): gzip members of 64 MiB each, concatenated, a few MB for gigabytes.
   */
  static void bombImage(OciLayout layout, String tag, long size) throws IOException {
    byte[] header = gzip(new SyntheticTar().file("etc/bomb", size, (byte) 0).open(), 512);
    byte[] slice = gzip(SyntheticTar.repeat((byte) 0, SLICE), SLICE);
    byte[] tail = gzip(SyntheticTar.repeat((byte) 0, 1024 + (512 - size % 512) % 512), Long.MAX_VALUE);
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    blob.write(header);
    for (long left = size; left > 0; left -= SLICE) {
      blob.write(left >= SLICE ? slice : gzip(SyntheticTar.repeat((byte) 0, left), left));
    }
    blob.write(tail);
    byte[] layer = blob.toByteArray();
    Descriptor layerDescriptor = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, Digest.sha256(layer), layer.length);
    layout.putBlob(layerDescriptor, () -> new ByteArrayInputStream(layer));
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = json.createObjectNode().put("architecture", "amd64").put("os", "linux");
    // The diff_id is not the tar's (hashing gigabytes of zeros would take the test's time): the patch is
    // stopped long before the end of the layer.
    config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(Digest.sha256(layer).toString());
    byte[] configBytes = json.writeValueAsBytes(config);
    Descriptor configDescriptor = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
    layout.putBlob(configDescriptor, () -> new ByteArrayInputStream(configBytes));
    layout.putManifest(Manifest.create(MediaTypes.OCI_MANIFEST, configDescriptor, List.of(layerDescriptor)), tag);
  }

  /** A gzip member of the first {@code limit} bytes of {@code in}. */
  private static byte[] gzip(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream s = in; OutputStream z = new GZIPOutputStream(out, 1 << 16)) {
      byte[] buf = new byte[1 << 16];
      long left = limit;
      int n;
      while (left > 0 && (n = s.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        z.write(buf, 0, n);
        left -= n;
      }
    }
    return out.toByteArray();
  }
}
