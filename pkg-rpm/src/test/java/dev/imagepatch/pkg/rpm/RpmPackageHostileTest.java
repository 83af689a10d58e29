package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Packages a later backend would write into a layer, made hostile from our own tiny package
 * (RpmPackageFuzzTestInputs/open/tiny-uncompressed.rpm, built by rpmbuild): file paths that could
 * leave the image's root, and payload compressors asking for gigabytes of dictionary.
 */
class RpmPackageHostileTest {
  @TempDir
  Path temp;

  private static RpmPackage seed() throws IOException {
    Path seed = Path.of(System.getProperty("java.io.tmpdir")).resolve("imagepatch-hostile-seed-" + ProcessHandle
        .current().pid() + ".rpm");
    try (InputStream in = RpmPackageHostileTest.class.getResourceAsStream(
        "RpmPackageFuzzTestInputs/open/tiny-uncompressed.rpm")) {
      Files.write(seed, in.readAllBytes());
    }
    seed.toFile().deleteOnExit();
    return RpmPackage.open(seed);
  }

  /** The seed's lead, a signature header with no digests, the seed's header with {@code changes}, then {@code payload}. */
  private Path rebuilt(String name, List<Header.Value> changes, byte[] payload) throws IOException {
    RpmPackage seed = seed();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(seed.lead());
    ByteBuffer sig = ByteBuffer.allocate(8 + 8 + 16 + 4 + 4);
    sig.put(new byte[] {(byte) 0x8e, (byte) 0xad, (byte) 0xe8, 0x01, 0, 0, 0, 0});
    sig.putInt(1).putInt(4).putInt(Tags.SIG_SIZE).putInt(Tags.INT32).putInt(0).putInt(1).putInt(0);
    out.writeBytes(sig.array()); // its 4 data bytes padded to 8
    out.writeBytes(seed.header().with(changes).withMagic());
    out.writeBytes(payload);
    Path file = temp.resolve(name);
    Files.write(file, out.toByteArray());
    return file;
  }

  private Path withFirstBasename(String name, String basename) throws IOException {
    List<String> basenames = new ArrayList<>(seed().header().strings(Tags.BASENAMES));
    basenames.set(0, basename);
    return rebuilt(name, List.of(new Header.Value(Tags.BASENAMES, Tags.STRING_ARRAY, basenames)), new byte[0]);
  }

  @Test
  void aPathWithADotDotComponentIsRefused() throws Exception {
    Path evil = withFirstBasename("dotdot-1.0-1.noarch.rpm", "../../../etc/shadow");
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(evil));
    assertTrue(e.getMessage().startsWith(evil + ": file path '/etc/../../../etc/shadow' has a '..' component"),
        e.getMessage());
  }

  @Test
  void aPathWithANewlineIsRefused() throws Exception {
    Path evil = withFirstBasename("newline-1.0-1.noarch.rpm", "tiny.conf\n/etc/passwd");
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(evil));
    assertTrue(e.getMessage().startsWith(evil + ": file path '/etc/tiny.conf\\x0a/etc/passwd' holds a NUL, newline"),
        e.getMessage());
  }

  @Test
  void aRelativePathInABinaryPackageIsRefused() throws Exception {
    List<String> dirnames = new ArrayList<>(seed().header().strings(Tags.DIRNAMES));
    dirnames.set(0, "etc/");
    Path evil = rebuilt("relative-1.0-1.noarch.rpm",
        List.of(new Header.Value(Tags.DIRNAMES, Tags.STRING_ARRAY, dirnames)), new byte[0]);
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(evil));
    assertTrue(e.getMessage().startsWith(evil + ": file path 'etc/"), e.getMessage());
    assertTrue(e.getMessage().contains("is not absolute"), e.getMessage());
  }

  @Test
  void anXzPayloadAskingForAHugeDictionaryIsAnIOException() throws Exception {
    ByteArrayOutputStream xz = new ByteArrayOutputStream();
    try (XZOutputStream z = new XZOutputStream(xz, new LZMA2Options(0))) {
      z.write("070701".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    byte[] b = xz.toByteArray();
    // The block header after the 12-byte stream header: size 12, flags 0 (one filter), LZMA2 (0x21),
    // one property byte (the dictionary size), padding, CRC32.
    assertEquals(2, b[12]);
    assertEquals(0x21, b[14]);
    b[16] = 37; // 1.5 GiB: what the decoder would allocate before reading a byte
    CRC32 crc = new CRC32();
    crc.update(b, 12, 8);
    ByteBuffer.wrap(b, 20, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
    Path evil = rebuilt("xzdict-1.0-1.noarch.rpm",
        List.of(new Header.Value(Tags.PAYLOADCOMPRESSOR, Tags.STRING, "xz")), b);
    RpmPackage p = RpmPackage.open(evil);
    IOException e = assertThrows(IOException.class, p::verify);
    assertTrue(e.getMessage().startsWith(evil.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("memory"), e.getMessage());
  }

  @Test
  void anLzmaPayloadAskingForAHugeDictionaryIsAnIOException() throws Exception {
    // The .lzma header: properties 0x5d, a 1.5 GiB dictionary (little-endian), unknown size.
    byte[] lzma = {0x5d, 0, 0, 0, 0x60, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0};
    Path evil = rebuilt("lzmadict-1.0-1.noarch.rpm",
        List.of(new Header.Value(Tags.PAYLOADCOMPRESSOR, Tags.STRING, "lzma")), lzma);
    RpmPackage p = RpmPackage.open(evil);
    IOException e = assertThrows(IOException.class, p::verify);
    assertTrue(e.getMessage().startsWith(evil.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("memory"), e.getMessage());
  }
}
