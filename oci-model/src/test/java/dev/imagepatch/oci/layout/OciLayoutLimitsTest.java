package dev.imagepatch.oci.layout;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.InvalidDocumentException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A layout's own files are read with the manifest limit: a 600 MB index.json is refused, not read whole. */
@Tag("small-heap")
class OciLayoutLimitsTest {
  @TempDir
  Path dir;

  @Test
  void aHugeIndexJsonIsRefusedNamingTheFileAndTheLimit() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(dir);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("index.json").toFile(), "rw")) {
      f.setLength(600L << 20); // sparse: no disk used, 600 MiB to read
    }
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, layout::index);
    assertTrue(e.getMessage().contains("index.json: larger than the 4194304-byte limit"), e.getMessage());
  }

  @Test
  void aHugeOciLayoutMarkerIsRefused() throws Exception {
    OciLayout.openOrCreate(dir);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("oci-layout").toFile(), "rw")) {
      f.setLength(600L << 20);
    }
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> OciLayout.open(dir));
    assertTrue(e.getMessage().contains("oci-layout: larger than"), e.getMessage());
  }
}
