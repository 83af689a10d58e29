package dev.imagepatch.pkg.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SyntheticTar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small hostile packages that unpack to gigabytes, read in a 256 MiB heap. */
@Tag("small-heap")
class DebArchiveBoundsTest {
  private static final String CONTROL = "Package: bomb\nVersion: 1\nArchitecture: amd64\nInstalled-Size: 10\n"
      + "Maintainer: x <x@example.org>\nDescription: bomb\n";

  @TempDir
  Path dir;

  @Test
  void aControlFileOfGigabytesIsRefusedNamingItsLimit() throws Exception {
    Path deb = deb(new SyntheticTar().file("./control", 1536L << 20, (byte) 'a'), new SyntheticTar());
    IOException e = assertThrows(IOException.class, () -> DebArchive.open(deb));
    assertTrue(e.getMessage().endsWith("control.tar.zst: member control is larger than its limit of 1048576 bytes"),
        e.getMessage());
  }

  @Test
  void controlMembersTogetherAreBounded() throws Exception {
    SyntheticTar control = new SyntheticTar().file("./control", CONTROL.length(), (byte) 'a');
    for (int i = 0; i < 10; i++) {
      control.file("./postinst" + i, 15L << 20, (byte) '#');
    }
    IOException e = assertThrows(IOException.class, () -> DebArchive.open(deb(control, new SyntheticTar())));
    assertTrue(e.getMessage().endsWith("control.tar.zst unpacks to more than 134217728 bytes"), e.getMessage());
  }

  @Test
  void aGigabytePaxHeaderInTheControlArchiveIsRefused() throws Exception {
    Path deb = deb(new SyntheticTar().paxHeader(1L << 30).file("./control", 8, (byte) 'a'), new SyntheticTar());
    IOException e = assertThrows(IOException.class, () -> DebArchive.open(deb));
    assertTrue(e.getMessage().contains("a tar header (PAX or GNU long name) larger than the 1048576-byte limit"),
        e.getMessage());
  }

  @Test
  void aDataArchiveUnpackingFarBeyondItsInstalledSizeStopsAtTheLimit() throws Exception {
    Path deb = deb(null, new SyntheticTar().file("./usr/share/bomb", 2L << 30, (byte) 0));
    DebArchive archive = DebArchive.open(deb);
    assertEquals(DebArchive.DATA_FLOOR, archive.dataLimit(), "a stale Installed-Size is never below the floor");
    AtomicLong read = new AtomicLong();
    IOException e = assertThrows(IOException.class, () -> archive.readData((entry, in) ->
        read.addAndGet(in.transferTo(OutputStream.nullOutputStream()))));
    assertTrue(e.getMessage().contains("data.tar.zst unpacks to more than " + archive.dataLimit()
        + " bytes (Installed-Size: 10 KiB"), e.getMessage());
    assertTrue(read.get() <= archive.dataLimit(), "read " + read.get());
  }

  /** A .deb of zstd-compressed tars; {@code control} null: a valid control file. */
  private Path deb(SyntheticTar control, SyntheticTar data) throws IOException {
    Path controlTar = zstd(control != null ? control.open() : controlTar(), "control");
    Path dataTar = zstd(data.open(), "data");
    Path deb = dir.resolve("bomb.deb");
    try (ArArchiveOutputStream ar = new ArArchiveOutputStream(Files.newOutputStream(deb))) {
      byte[] version = "2.0\n".getBytes(StandardCharsets.US_ASCII);
      ar.putArchiveEntry(new ArArchiveEntry("debian-binary", version.length, 0, 0, 0100644, 0));
      ar.write(version);
      ar.closeArchiveEntry();
      for (Path member : new Path[] {controlTar, dataTar}) {
        ar.putArchiveEntry(new ArArchiveEntry(member.getFileName().toString(), Files.size(member), 0, 0, 0100644, 0));
        Files.copy(member, ar);
        ar.closeArchiveEntry();
      }
    }
    return deb;
  }

  private static InputStream controlTar() throws IOException {
    // A real control file: SyntheticTar writes one repeated byte, so write the tar with commons-compress.
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes)) {
      byte[] content = CONTROL.getBytes(StandardCharsets.UTF_8);
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("./control");
      e.setSize(content.length);
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return new java.io.ByteArrayInputStream(bytes.toByteArray());
  }

  private Path zstd(InputStream tar, String name) throws IOException {
    Path out = dir.resolve(name + ".tar.zst");
    try (InputStream in = tar; OutputStream z = new ZstdCompressorOutputStream(Files.newOutputStream(out), 1)) {
      in.transferTo(z);
    }
    return out;
  }
}
