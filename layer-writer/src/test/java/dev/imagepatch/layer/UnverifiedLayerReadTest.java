package dev.imagepatch.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.imagepatch.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A layer blob is checked only at its end, after the tar's end marker and the gzip trailer: the
 * merged filesystem must read each blob to its end and fail as a whole when the check fails.
 */
class UnverifiedLayerReadTest {
  /** A gzip'd tar of one file, followed by {@code trailing} bytes a decompressor never asks for. */
  private static byte[] layer(int trailing) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(gz))) {
      byte[] status = "Package: injected\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("var/lib/dpkg/status");
      e.setSize(status.length);
      tar.putArchiveEntry(e);
      tar.write(status);
      tar.closeArchiveEntry();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(gz.toByteArray());
    out.write(new byte[trailing]);
    return out.toByteArray();
  }

  /** Stands for a verifying blob stream whose content does not match: it fails at its end. */
  private static InputStream failingAtEnd(byte[] blob) {
    return new FilterInputStream(new ByteArrayInputStream(blob)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
          throw new IOException("content hashes to something else");
        }
        return n;
      }
    };
  }

  @Test
  void aLayerWhoseBlobFailsAtItsEndFailsTheWholeRead() throws Exception {
    byte[] blob = layer(1 << 20);
    IOException e = assertThrows(IOException.class, () -> MergedFilesystem.read(List.of(
        MergedFilesystem.LayerStream.named("(sha256:1234) of oci:/x",
            () -> Layers.uncompressed(failingAtEnd(blob), MediaTypes.OCI_LAYER_TAR_GZIP))), p -> true, p -> false));
    assertEquals("layer 1 of 1 (sha256:1234) of oci:/x: content hashes to something else", e.getMessage());
  }

  @Test
  void aLayerReadToItsEndIsRead() throws Exception {
    byte[] blob = layer(1 << 20);
    MergedFilesystem fs = MergedFilesystem.read(List.of(
        () -> Layers.uncompressed(new ByteArrayInputStream(blob), MediaTypes.OCI_LAYER_TAR_GZIP)), p -> true,
        p -> false);
    assertEquals("Package: injected\n", new String(fs.content("var/lib/dpkg/status").orElseThrow(),
        StandardCharsets.UTF_8));
  }
}
