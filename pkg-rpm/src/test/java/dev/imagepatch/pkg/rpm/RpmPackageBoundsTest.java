package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile packages refused in a JVM (-Xmx256m) that could not hold what they would unpack to. */
@Tag("small-heap")
class RpmPackageBoundsTest {
  @TempDir
  Path temp;

  /** hlinktest's lead and headers, then {@code payload} (its payload is plain cpio, read as gzip-or-plain). */
  private Path withPayload(byte[] payload) throws IOException {
    Path real = SharedData.path("vectors/rpm/hlinktest-1.0-1.noarch.rpm");
    RpmPackage p = RpmPackage.open(real);
    byte[] bytes = Files.readAllBytes(real);
    Path out = temp.resolve("bomb-1.0-1.noarch.rpm");
    try (OutputStream o = Files.newOutputStream(out)) {
      o.write(bytes, 0, (int) p.payloadOffset());
      o.write(payload);
    }
    return out;
  }

  private static byte[] realCpio() throws IOException {
    Path real = SharedData.path("vectors/rpm/hlinktest-1.0-1.noarch.rpm");
    RpmPackage p = RpmPackage.open(real);
    byte[] bytes = Files.readAllBytes(real);
    return Arrays.copyOfRange(bytes, (int) p.payloadOffset(), bytes.length);
  }

  @Test
  void aGzipBombAfterTheArchiveIsRefusedAtTheHeadersSizes() throws Exception {
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz, 1 << 16)) {
      z.write(realCpio());
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 1024; i++) { // 1 GiB of zeros, about 1 MiB compressed
        z.write(zeros);
      }
    }
    Path bomb = withPayload(gz.toByteArray());
    RpmPackage p = RpmPackage.open(bomb);
    IOException e = assertThrows(IOException.class, p::verify);
    assertTrue(e.getMessage().startsWith(bomb + ": payload unpacks to more than"), e.getMessage());
  }

  @Test
  void aCpioEntryLargerThanTheHeaderSaysIsRefused() throws Exception {
    byte[] cpio = realCpio();
    // The first regular file's size field (field 7 of 13, 8 hex digits after the 6-byte magic).
    String text = new String(cpio, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("070701");
    while (at >= 0) {
      int mode = Integer.parseInt(text.substring(at + 6 + 8, at + 6 + 16), 16);
      long size = Long.parseLong(text.substring(at + 6 + 48, at + 6 + 56), 16);
      if ((mode & 0170000) == 0100000 && size > 0) {
        break;
      }
      at = text.indexOf("070701", at + 1);
    }
    byte[] evil = cpio.clone();
    System.arraycopy("FFFFFFFF".getBytes(StandardCharsets.US_ASCII), 0, evil, at + 6 + 48, 8);
    Path bomb = withPayload(evil);
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(bomb).verify());
    assertTrue(e.getMessage().startsWith(bomb + ": payload entry /foo/"), e.getMessage());
  }

  @Test
  void aHeaderClaimingHugeSizesIsRefusedBeforeAllocating() throws Exception {
    Path real = SharedData.path("vectors/rpm/hlinktest-1.0-1.noarch.rpm");
    RpmPackage p = RpmPackage.open(real);
    byte[] bytes = Files.readAllBytes(real);
    // The main header's il and dl: 0xffff entries and 256 MiB - 1 of data the file does not hold.
    ByteBuffer.wrap(bytes).putInt((int) p.headerOffset() + 8, 0xffff).putInt((int) p.headerOffset() + 12,
        0x0fffffff);
    Path bad = temp.resolve("huge-1.0-1.noarch.rpm");
    Files.write(bad, bytes);
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(bad));
    assertTrue(e.getMessage().startsWith(bad + ": truncated header"), e.getMessage());
    ByteBuffer.wrap(bytes).putInt((int) p.headerOffset() + 12, 0x10000000);
    Files.write(bad, bytes);
    IOException f = assertThrows(IOException.class, () -> RpmPackage.open(bad));
    assertTrue(f.getMessage().contains("header data length"), f.getMessage());
  }
}
