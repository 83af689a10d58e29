package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SyntheticTar;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small hostile packages and indexes that unpack to gigabytes, read in a 256 MiB heap. */
@Tag("small-heap")
class ApkBoundsTest {
  private static final int MIB = 1 << 20;

  @TempDir
  Path dir;

  /**
   * One gzip member of {@code prefix}, {@code zeroMiB} MiB of zeros and {@code suffix}, written
   * in a few kilobytes: the zeros are one fully flushed deflate block of 1 MiB repeated.
   */
  static byte[] zeroMember(byte[] prefix, long zeroMiB, byte[] suffix) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255});
    out.writeBytes(deflate(prefix, false));
    byte[] zeros = deflate(new byte[MIB], false);
    CRC32 crc = new CRC32();
    crc.update(prefix);
    byte[] mib = new byte[MIB];
    for (long i = 0; i < zeroMiB; i++) {
      out.writeBytes(zeros);
      crc.update(mib);
    }
    out.writeBytes(deflate(suffix, true));
    crc.update(suffix);
    long size = prefix.length + zeroMiB * MIB + suffix.length;
    for (long v : new long[] {crc.getValue(), size}) {
      for (int i = 0; i < 4; i++) {
        out.write((int) (v >>> (8 * i)) & 0xff);
      }
    }
    return out.toByteArray();
  }

  /** Raw deflate of {@code in}: ended by a final block when {@code last}, else fully flushed (byte-aligned, no back-references). */
  private static byte[] deflate(byte[] in, boolean last) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.setInput(in);
    if (last) {
      d.finish();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (true) {
      int n = last ? d.deflate(buf) : d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH);
      out.write(buf, 0, n);
      if (last ? d.finished() : n < buf.length && d.needsInput()) {
        break;
      }
    }
    d.end();
    return out.toByteArray();
  }

  /** The first {@code n} bytes of a synthetic tar: its headers, before the content. */
  private static byte[] head(SyntheticTar tar, int n) throws IOException {
    try (InputStream in = tar.open()) {
      return in.readNBytes(n);
    }
  }

  private Path signedApk(byte[] control, byte[] data) throws Exception {
    byte[] sig = ApkFixtures.signatureMember(control, data);
    return ApkFixtures.write(dir, "bomb.apk", ApkFixtures.concat(sig, control, data));
  }

  private static byte[] control() {
    return ApkFixtures.controlMember(ApkFixtures.PKGINFO, null);
  }

  @Test
  void zeroMemberIsValidGzip() throws Exception {
    byte[] m = zeroMember("ab".getBytes(), 3, "cd".getBytes());
    byte[] raw = ApkFixtures.gunzip(m);
    assertEquals(3 * MIB + 4, raw.length);
    assertTrue(m.length < 20_000, "" + m.length);
  }

  @Test
  void aDataTarOfGigabytesStopsAtTheLimit() throws Exception {
    long mib = 2048;
    byte[] data = zeroMember(head(new SyntheticTar().file("usr/share/bomb", mib * MIB, (byte) 0), 512), mib,
        new byte[1024]);
    Path apk = signedApk(control(), data);
    assertTrue(Files.size(apk) < 4 * MIB);
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(apk, null, ApkFixtures.testKeys(), false,
        "bomb-1.0-r0"));
    assertEquals("bomb-1.0-r0: the data tar unpacks to more than 1073741824 bytes (.PKGINFO size: 100; the limit is"
        + " four times the size and 67108864 bytes, at least 1073741824, or 4294967296 without a size)", e.getMessage());
    IOException e2 = assertThrows(IOException.class, () -> ApkArchive.open(apk, null, ApkFixtures.testKeys(), false,
        "bomb-1.0-r0", 64L << 20));
    assertTrue(e2.getMessage().startsWith("bomb-1.0-r0: the data tar unpacks to more than 67108864 bytes"),
        e2.getMessage());
  }

  @Test
  void aControlScriptOfAGigabyteIsRefusedAtItsLimit() throws Exception {
    byte[] pkginfo = ApkFixtures.tar(false, java.util.List.of(new ApkFixtures.Entry(".PKGINFO",
        ApkFixtures.PKGINFO.getBytes())));
    byte[] prefix = ApkFixtures.concat(java.util.Arrays.copyOf(pkginfo, pkginfo.length - 1024),
        head(new SyntheticTar().file(".post-install", 1024L * MIB, (byte) 0), 512));
    byte[] control = zeroMember(prefix, 1024, new byte[0]);
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, java.util.List.of()));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(signedApk(control, data), null,
        ApkFixtures.testKeys(), false, "bomb"));
    assertEquals("bomb: control file .post-install is larger than 16777216 bytes", e.getMessage());
  }

  @Test
  void aControlMemberOfAGigabyteIsRefusedAtTheMemberLimit() throws Exception {
    byte[] prefix = head(new SyntheticTar().file(".melange.yaml", 1024L * MIB, (byte) 0), 512);
    byte[] control = zeroMember(prefix, 1024, new byte[0]);
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, java.util.List.of()));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(signedApk(control, data), null,
        ApkFixtures.testKeys(), false, "bomb"));
    assertEquals("bomb: the control member unpacks to more than 67108864 bytes", e.getMessage());
  }

  @Test
  void aSignatureOfAGigabyteIsRefused() throws Exception {
    byte[] sig = zeroMember(head(new SyntheticTar().file(".SIGN.RSA." + ApkFixtures.KEY_NAME, 1024L * MIB, (byte) 0),
        512), 1024, new byte[0]);
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, java.util.List.of()));
    Path apk = ApkFixtures.write(dir, "bomb.apk", ApkFixtures.concat(sig, control(), data));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(apk, null, ApkFixtures.testKeys(), false,
        "bomb"));
    assertEquals("bomb: signature '.SIGN.RSA.test-made.rsa.pub' is larger than 65536 bytes", e.getMessage());
  }

  @Test
  void aGigabytePaxHeaderInTheDataTarIsRefused() throws Exception {
    byte[] prefix = head(new SyntheticTar().paxHeader(1024L * MIB), 512 + 20);
    byte[] data = zeroMember(prefix, 1024, new byte[0]);
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(signedApk(control(), data), null,
        ApkFixtures.testKeys(), false, "bomb"));
    assertTrue(e.getMessage().contains("a tar header (PAX or GNU long name) larger than the 1048576-byte limit"),
        e.getMessage());
  }

  @Test
  void anIndexOfGigabytesIsRefusedAtMaxBytes() throws Exception {
    byte[] content = zeroMember(head(new SyntheticTar().file("APKINDEX", 2048L * MIB, (byte) 0), 512), 2048,
        new byte[1024]);
    Signature s = Signature.getInstance("SHA1withRSA");
    s.initSign(ApkFixtures.key().getPrivate());
    s.update(content);
    byte[] sig = ApkFixtures.gzip(ApkFixtures.tar(true, java.util.List.of(new ApkFixtures.Entry(".SIGN.RSA."
        + ApkFixtures.KEY_NAME, s.sign()))));
    byte[] index = ApkFixtures.concat(sig, content);
    IOException e = assertThrows(IOException.class, () -> SignedIndex.read(new java.io.ByteArrayInputStream(index),
        "APKINDEX.tar.gz", ApkFixtures.testKeys(), false, 64L << 20));
    assertEquals("APKINDEX.tar.gz unpacks to more than 67108864 bytes", e.getMessage());
  }

  @Test
  void anEndlessStreamOfEmptyDeflateBlocksIsBoundedByTheCompressedLimit() {
    // Stored blocks of length 0 unpack to nothing: only the compressed bound ends them.
    byte[] header = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255};
    byte[] empty = {0, 0, 0, (byte) 0xff, (byte) 0xff};
    InputStream endless = new InputStream() {
      private long n;

      @Override
      public int read() {
        long i = n++;
        return i < header.length ? header[(int) i] & 0xff : empty[(int) ((i - header.length) % empty.length)] & 0xff;
      }
    };
    IOException e = assertThrows(IOException.class, () -> SignedIndex.read(endless, "endless", ApkKeys.none(), true,
        MIB));
    assertTrue(e.getMessage().startsWith("endless: more than "), e.getMessage());
  }

  @Test
  void aTruncatedPackageIsRefusedNamingTheMember() throws Exception {
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, java.util.List.of(ApkFixtures.Entry.file("a", "x"))));
    byte[] full = ApkFixtures.signedApk(data, true);
    Path cut = ApkFixtures.write(dir, "cut.apk", java.util.Arrays.copyOf(full, full.length - 5));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(cut, null, ApkFixtures.testKeys(), false,
        "cut"));
    assertTrue(e.getMessage().startsWith("cut: gzip member 3 (offset ") && e.getMessage().endsWith("is truncated"),
        e.getMessage());
  }
}
