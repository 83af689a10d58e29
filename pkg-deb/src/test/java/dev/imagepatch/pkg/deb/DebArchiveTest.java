package dev.imagepatch.pkg.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The real hostname package, as built by Debian and repacked by dpkg-deb, read as dpkg-deb reads it. */
class DebArchiveTest {
  private static final String SHA256 = "17d9a2f3c05004499d80e180d2440fd716f84c32b65f09d96c9a024af4d1d0e7";

  @TempDir
  Path temp;

  static Path resource(String name) throws IOException {
    Path dir = Files.createTempDirectory("deb-");
    Path p = dir.resolve(name.substring(name.lastIndexOf('/') + 1));
    try (InputStream in = DebArchiveTest.class.getResourceAsStream("/debian/" + name)) {
      Files.copy(in, p);
    }
    return p;
  }

  /** "dpkg-deb --contents" lines of the expected file, as (type+mode, size, path, link) strings. */
  static List<String> expectedContents() throws IOException {
    List<String> out = new ArrayList<>();
    boolean in = false;
    try (InputStream s = DebArchiveTest.class.getResourceAsStream("/debian/expected-hostname-deb.txt")) {
      for (String line : new String(s.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("--- ")) {
          in = line.equals("--- dpkg-deb --contents");
          continue;
        }
        if (in) {
          String[] f = line.trim().split("\\s+");
          String path = f[5];
          out.add(f[0] + " " + f[2] + " " + path + (f.length > 6 ? " -> " + f[7] : ""));
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({"hostname_3.23+nmu1_amd64.deb, xz", "repacked/hostname_3.23+nmu1_amd64.gzip.deb, gz",
      "repacked/hostname_3.23+nmu1_amd64.zstd.deb, zst", "repacked/hostname_3.23+nmu1_amd64.none.deb, none"})
  void readsEveryCompressionAsDpkgDebDoes(String name, String compression) throws Exception {
    DebArchive deb = DebArchive.open(resource(name));
    assertEquals(compression, deb.dataCompression());
    assertEquals("hostname", deb.packageName());
    assertEquals("3.23+nmu1", deb.version());
    assertEquals("amd64", deb.architecture());
    assertEquals("libc6 (>= 2.34)", deb.control().require("Pre-Depends"));
    assertEquals(new String(deb.controlMembers().get("control"), StandardCharsets.UTF_8), deb.control().toString(),
        "the control paragraph writes back byte for byte");
    Map<String, String> md5 = deb.md5sums();
    assertEquals("84663f46a29817d9b0641f960a551cdb", md5.get("bin/hostname"));
    assertEquals(4, md5.size());

    List<String> listing = new ArrayList<>();
    Map<String, String> computed = new LinkedHashMap<>();
    deb.readData((entry, content) -> {
      String type = entry.isDirectory() ? "d" : entry.isSymbolicLink() ? "l" : "-";
      String mode = type + perms(entry.getMode());
      listing.add(mode + " " + entry.getSize() + " " + entry.getName()
          + (entry.isSymbolicLink() ? " -> " + entry.getLinkName() : ""));
      if (DebArchive.isRegularFile(entry)) {
        computed.put(entry.getName().substring(2), md5(content));
      }
    });
    assertEquals(expectedContents(), listing);
    assertEquals(md5, computed, "every file hashes to its md5sums entry");
  }

  private static String perms(int mode) {
    StringBuilder sb = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return sb.toString();
  }

  private static String md5(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(in.readAllBytes());
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theSha256IsCheckedAgainstTheIndexBeforeUse() throws Exception {
    Path deb = resource("hostname_3.23+nmu1_amd64.deb");
    assertEquals("hostname", DebArchive.open(deb, SHA256).packageName());
    String wrong = "0".repeat(64);
    IOException e = assertThrows(IOException.class, () -> DebArchive.open(deb, wrong));
    assertEquals(deb + ": SHA256 is " + SHA256 + ", but the repository index says " + wrong, e.getMessage());
  }

  /** dpkg-deb no longer builds bzip2 data archives, but dpkg still reads them: so must we. */
  @Test
  void bzip2MembersAreRead() throws Exception {
    Path none = resource("repacked/hostname_3.23+nmu1_amd64.none.deb");
    Path bz2 = temp.resolve("hostname_bz2.deb");
    try (ArArchiveInputStream in = new ArArchiveInputStream(Files.newInputStream(none));
         ArArchiveOutputStream out = new ArArchiveOutputStream(Files.newOutputStream(bz2))) {
      ArArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] data = in.readAllBytes();
        String name = e.getName();
        if (name.equals("data.tar")) {
          ByteArrayOutputStream packed = new ByteArrayOutputStream();
          try (OutputStream z = new BZip2CompressorOutputStream(packed)) {
            z.write(data);
          }
          data = packed.toByteArray();
          name = name + ".bz2";
        }
        out.putArchiveEntry(new ArArchiveEntry(name, data.length, 0, 0, 0100644, e.getLastModified()));
        out.write(data);
        out.closeArchiveEntry();
      }
    }
    // dpkg's own reader accepts the file we made ...
    Process p = new ProcessBuilder("dpkg-deb", "--contents", bz2.toString()).redirectErrorStream(true).start();
    String dpkg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), dpkg);
    assertTrue(dpkg.contains("./bin/hostname"), dpkg);
    // ... and so do we.
    DebArchive deb = DebArchive.open(bz2);
    assertEquals("bz2", deb.dataCompression());
    List<String> names = new ArrayList<>();
    deb.readData((entry, content) -> names.add(entry.getName()));
    assertEquals(20, names.size());
  }

  /** dpkg 1.20's flagged conffiles lines, as dpkg-deb builds them; a flag dpkg does not know is refused. */
  @Test
  void conffilesFlagsAreReadAndUnknownOnesRefused() throws Exception {
    DebArchive flagged = conffilesPackage("flagged", "/etc/a\nremove-on-upgrade /etc/b\n", false);
    assertEquals(List.of(new DebArchive.Conffile("/etc/a", false), new DebArchive.Conffile("/etc/b", true)),
        flagged.conffileEntries());
    assertEquals(List.of("/etc/a"), flagged.conffiles());

    // dpkg-deb itself refuses to build this one; --nocheck makes it, as a hostile archive could be.
    DebArchive bogus = conffilesPackage("bogus", "/etc/a\nbogus-flag /etc/b\n", true);
    IOException e = assertThrows(IOException.class, bogus::conffileEntries);
    assertEquals(bogus.file() + ": conffiles line 2 is neither a path nor 'remove-on-upgrade <path>': "
        + "bogus-flag /etc/b", e.getMessage());
  }

  private DebArchive conffilesPackage(String name, String conffiles, boolean nocheck) throws Exception {
    Path dir = temp.resolve(name);
    Files.createDirectories(dir.resolve("DEBIAN"));
    Files.createDirectories(dir.resolve("etc"));
    Files.writeString(dir.resolve("etc/a"), "a\n");
    Files.writeString(dir.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: 1\nArchitecture: all\n"
        + "Maintainer: imagepatch tests <tests@imagepatch.invalid>\nDescription: " + name + "\n");
    Files.writeString(dir.resolve("DEBIAN/conffiles"), conffiles);
    Path deb = temp.resolve(name + ".deb");
    List<String> command = new ArrayList<>(List.of("dpkg-deb", "--root-owner-group"));
    if (nocheck) {
      command.add("--nocheck");
    }
    command.addAll(List.of("-b", dir.toString(), deb.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return DebArchive.open(deb);
  }

  @Test
  void damagedPackagesAreRefusedNamingTheFile() throws Exception {
    Path text = Files.writeString(temp.resolve("notadeb.deb"), "hello");
    IOException e = assertThrows(IOException.class, () -> DebArchive.open(text));
    assertEquals(text + ": not a Debian package (no ar archive header)", e.getMessage());

    byte[] real = Files.readAllBytes(resource("hostname_3.23+nmu1_amd64.deb"));
    Path truncated = temp.resolve("truncated.deb");
    Files.write(truncated, java.util.Arrays.copyOf(real, 500));
    assertThrows(IOException.class, () -> DebArchive.open(truncated));

    byte[] renamed = real.clone();
    byte[] bad = "data.tar.lz     ".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bad, 0, renamed, 832, bad.length);
    Path lz = temp.resolve("lz.deb");
    Files.write(lz, renamed);
    IOException unsupported = assertThrows(IOException.class, () -> DebArchive.open(lz));
    assertEquals(lz + ": unsupported compression of member data.tar.lz", unsupported.getMessage());
  }

  @Test
  void controlFilesRoundTripAndEdit() throws Exception {
    String status;
    try (InputStream in = getClass().getResourceAsStream("/debian/var/lib/dpkg/status")) {
      status = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<Paragraph> stanzas = ControlFile.parse(status, "status");
    assertEquals(9, stanzas.size());
    StringBuilder back = new StringBuilder();
    for (int i = 0; i < stanzas.size(); i++) {
      back.append(i == 0 ? "" : "\n").append(stanzas.get(i));
    }
    assertEquals(status, back.toString(), "the status file writes back byte for byte");
    Paragraph baseFiles = stanzas.get(0);
    assertEquals(6, baseFiles.lines("Conffiles").size());
    assertEquals("/etc/debian_version 8031d1483ffa9c819e6be94c6c77fd2a", baseFiles.lines("conffiles").get(0));
    Paragraph edited = baseFiles.with("Version", "12.4+deb12u12");
    assertEquals("12.4+deb12u12", edited.require("version"));
    assertEquals(baseFiles.fields().size(), edited.fields().size());
    assertEquals(baseFiles.fields().get(9).name(), "Version");

    List<Paragraph> packages = new ArrayList<>();
    try (InputStream in = getClass().getResourceAsStream("/debian/Packages-bookworm-main-amd64.excerpt")) {
      ControlFile.read(in, "Packages", packages::add);
    }
    assertEquals(13, packages.size());
    assertTrue(packages.stream().anyMatch(p -> p.require("Package").equals("hostname")
        && p.require("SHA256").equals(SHA256) && p.require("Size").equals("10500")));

    IOException e = assertThrows(IOException.class, () -> ControlFile.parse("Package: a\nno colon here\n", "bad"));
    assertEquals("bad: line 2: expected 'Field: value', found 'no colon here'", e.getMessage());
  }
}
