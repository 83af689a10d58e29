package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.InputStream;
import java.security.MessageDigest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A 1 GiB blob goes to a real registry and comes back in a JVM whose heap is 128 MiB (the
 * small-heap surefire execution), so nothing on the way may hold it whole.
 */
@Tag("small-heap")
class LargeBlobTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  private static final long SIZE = 1L << 30;

  @Test
  void oneGibibytePushedAndPulledInASmallHeap() throws Exception {
    long maxHeap = Runtime.getRuntime().maxMemory();
    assertTrue(maxHeap <= 160L << 20, "this test must run with -Xmx128m, heap is " + (maxHeap >> 20) + " MiB");

    MessageDigest sha = Digest.Algorithm.SHA256.newMessageDigest();
    try (InputStream in = new PseudoRandomStream(SIZE, 7)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        sha.update(buf, 0, n);
      }
    }
    Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.of(Digest.Algorithm.SHA256, sha.digest()), SIZE);

    RegistryClient client = registry.client();
    client.pushBlob("large/blob", blob, () -> new PseudoRandomStream(SIZE, 7));
    assertEquals(SIZE, client.stats().bytesUploaded());
    assertEquals(SIZE, client.headBlob("large/blob", blob.digest()).orElseThrow());

    long read = 0;
    try (InputStream in = client.openBlob("large/blob", blob)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        read += n;
      }
    }
    assertEquals(SIZE, read);
    assertEquals(SIZE, client.stats().bytesDownloaded());
  }

  /** A reproducible stream of pseudo-random bytes (xorshift64), generated as it is read. */
  static final class PseudoRandomStream extends InputStream {
    private long left;
    private long state;

    PseudoRandomStream(long size, long seed) {
      this.left = size;
      this.state = seed * 0x9E3779B97F4A7C15L + 1;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        if ((i & 7) == 0) {
          state ^= state << 13;
          state ^= state >>> 7;
          state ^= state << 17;
        }
        b[off + i] = (byte) (state >>> ((i & 7) * 8));
      }
      left -= n;
      return n;
    }
  }
}
