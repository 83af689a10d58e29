package dev.imagepatch.oci.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.DigestMismatchException;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageLocation;
import dev.imagepatch.oci.testing.RandomImages;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {
  @TempDir
  Path dir;

  @Test
  void tagsAreRefNamesAndATagMovesToItsNewManifest() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(dir);
    RandomImages random = new RandomImages(61);
    Manifest first = random.image(layout, "v1", false, Platform.parse("linux/amd64"), 1);
    Manifest second = random.image(layout, "v2", false, Platform.parse("linux/amd64"), 1);
    Manifest moved = random.image(layout, "v1", false, Platform.parse("linux/arm64"), 1);

    assertEquals(2, layout.index().manifests().size());
    assertArrayEquals(moved.bytes(), layout.fetchManifest("v1").bytes());
    assertArrayEquals(second.bytes(), layout.fetchManifest("v2").bytes());
    assertArrayEquals(first.bytes(), layout.fetchManifest(first.digest().toString()).bytes(), "still there by digest");
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(dir.resolve("oci-layout")));

    InvalidDocumentException ambiguous = assertThrows(InvalidDocumentException.class, () -> layout.fetchManifest(null));
    assertTrue(ambiguous.getMessage().contains("has 2 entries"), ambiguous.getMessage());
    NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> layout.fetchManifest("v3"));
    assertTrue(missing.getReason().contains("no image tagged 'v3'"), missing.getReason());
  }

  @Test
  void aWrongBlobIsNotStored() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(dir);
    byte[] content = "content".getBytes(StandardCharsets.UTF_8);
    Descriptor claimed = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256("other".getBytes(StandardCharsets.UTF_8)), 7);
    assertThrows(DigestMismatchException.class, () -> layout.putBlob(claimed, () -> new ByteArrayInputStream(content)));
    try (Stream<Path> files = Files.walk(dir.resolve("blobs"))) {
      assertEquals(0, files.filter(Files::isRegularFile).count());
    }
  }

  @Test
  void aBlobChangedOnDiskFailsWhenRead() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(dir);
    Manifest m = new RandomImages(62).image(layout, "v1", false, Platform.parse("linux/amd64"), 1);
    Path blob = layout.blobPath(m.layers().get(0).digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(blob, bytes);
    try (InputStream in = layout.openBlob(m.layers().get(0))) {
      assertThrows(DigestMismatchException.class, in::readAllBytes);
    }
  }

  @Test
  void aDirectoryThatIsNoLayoutIsNamed() {
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> OciLayout.open(dir));
    assertEquals(dir + " is not an OCI image layout (no oci-layout file)", e.getMessage());
  }

  @Test
  void locationsParseAsOnTheCommandLine() {
    ImageLocation oci = ImageLocation.parse("oci:/tmp/layout:v1");
    assertEquals(ImageLocation.Kind.OCI_LAYOUT, oci.kind());
    assertEquals(Path.of("/tmp/layout"), oci.path());
    assertEquals("v1", oci.reference());
    assertEquals(null, ImageLocation.parse("oci:relative/dir").reference());
    ImageLocation archive = ImageLocation.parse("docker-archive:/tmp/x.tar:app:1.0");
    assertEquals(Path.of("/tmp/x.tar"), archive.path());
    assertEquals("app:1.0", archive.reference());
    ImageLocation remote = ImageLocation.parse("docker://localhost:5000/app");
    assertEquals("localhost:5000/app:latest", remote.image().toString());
    assertEquals("docker.io/library/nginx:latest", ImageLocation.parse("nginx").toString());
    assertThrows(IllegalArgumentException.class, () -> ImageLocation.parse("oci::v1"));
  }
}
