package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every .rpm of the shared vectors, read as rpm reads it: rpm -qp and rpm2cpio | cpio -idm are the judges. */
class RpmPackageTest {
  private static final String QF = "%{NEVRA}\\t%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t"
      + "%{PAYLOADCOMPRESSOR}\\t%{FILEDIGESTALGO}\\n"
      + "[%{FILENAMES}\\t%{FILEMODES:octal}\\t%{FILESIZES}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\t%{FILEUSERNAME}\\t"
      + "%{FILEGROUPNAME}\\t%{FILELINKTOS}\\t%{FILEMTIMES}\\n]";

  static final String QF_TEXT = QF.replace("\\t", "\t").replace("\\n", "\n");

  @TempDir
  Path temp;

  static Path vectors() {
    return SharedData.path("vectors/rpm");
  }

  static Stream<String> packages() throws IOException {
    Path root = vectors();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".rpm") && Files.isRegularFile(p))
          .map(p -> root.relativize(p).toString()).sorted().toList().stream();
    }
  }

  static String qf(RpmPackage p) {
    StringBuilder b = new StringBuilder();
    Header h = p.header();
    b.append(p.nevra()).append('\t').append(p.name()).append('\t')
        .append(p.epoch().isPresent() ? Long.toString(p.epoch().getAsLong()) : "(none)").append('\t')
        .append(p.version()).append('\t').append(p.release()).append('\t').append(h.string(Tags.ARCH).orElse("(none)"))
        .append('\t').append(h.string(Tags.PAYLOADCOMPRESSOR).orElse("(none)")).append('\t')
        .append(h.number(Tags.FILEDIGESTALGO).isPresent() ? Long.toString(h.number(Tags.FILEDIGESTALGO).getAsLong())
            : "(none)").append('\n');
    for (RpmPackage.RpmFile f : p.files()) {
      b.append(f.path()).append('\t').append(Integer.toOctalString(f.mode())).append('\t').append(f.size())
          .append('\t').append(f.digest()).append('\t').append(f.flags()).append('\t').append(f.user()).append('\t')
          .append(f.group()).append('\t').append(f.linkTo()).append('\t').append(f.mtime()).append('\n');
    }
    return b.toString();
  }

  @ParameterizedTest
  @MethodSource("packages")
  void parsesToWhatRpmQueryPrints(String name) throws Exception {
    Path file = vectors().resolve(name);
    RpmPackage p = RpmPackage.open(file);
    String expected = Tools.text(List.of("rpm", "-qp", "--nosignature", "--nodigest", "--qf", QF_TEXT,
        file.toString()));
    assertEquals(expected, qf(p), name);
    p.verify();
  }

  @Test
  void agreesWithTheRecordedQueries() throws Exception {
    // packages/expected-rpm-query.txt: file | NEVRA|EPOCH|compressor|format|vendor|RSAHEADER|SIGPGP|SIGMD5
    Path dir = SharedData.path("vectors/rpm/packages");
    int n = 0;
    for (String line : Files.readAllLines(dir.resolve("expected-rpm-query.txt"))) {
      if (line.startsWith("#") || line.startsWith(" ") || !line.contains(" | ")) {
        continue;
      }
      String[] parts = line.split(" \\| ", 2);
      String[] f = parts[1].split("\\|");
      RpmPackage p = RpmPackage.open(dir.resolve(parts[0]));
      assertEquals(f[0], p.nevra(), parts[0]);
      assertEquals(f[2], p.header().string(Tags.PAYLOADCOMPRESSOR).orElse("(none)"), parts[0]);
      assertEquals(f[4], p.header().string(Tags.VENDOR).orElse("(none)"), parts[0]);
      assertEquals(f[7], HexFormat.of().formatHex(p.signatureHeader().bytes(Tags.SIG_MD5).orElseThrow()), parts[0]);
      n++;
    }
    assertEquals(15, n);
  }

  /** path → "mode sha256" (or "mode -> target"), with hard links filled as cpio fills them. */
  static Map<String, String> ours(RpmPackage p) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<Integer, List<String>> pendingLinks = new HashMap<>();
    Map<String, Integer> modes = new HashMap<>();
    p.payload((e, content) -> {
      String path = e.path().startsWith("/") ? e.path().substring(1) : e.path();
      int type = e.mode() & 0170000;
      byte[] data = content.readAllBytes();
      if (type == 0120000) {
        out.put(path, Integer.toOctalString(e.mode()) + " -> " + new String(data));
      } else if (type == 0100000) {
        modes.put(path, e.mode());
        if (e.nlink() > 1 && data.length == 0 && e.file().size() > 0) {
          pendingLinks.computeIfAbsent(e.inode(), k -> new ArrayList<>()).add(path);
        } else {
          String hash = sha256(data);
          out.put(path, Integer.toOctalString(e.mode()) + " " + hash);
          for (String other : pendingLinks.getOrDefault(e.inode(), List.of())) {
            out.put(other, Integer.toOctalString(modes.get(other)) + " " + hash);
          }
          pendingLinks.remove(e.inode());
        }
      } else {
        out.put(path, Integer.toOctalString(e.mode()));
      }
    });
    return out;
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> extracted(Path root, Map<String, String> ours) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path q : s.toList()) {
        if (q.equals(root)) {
          continue;
        }
        String path = root.relativize(q).toString();
        int mode = (Integer) Files.getAttribute(q, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(q)) {
          out.put(path, Integer.toOctalString(mode) + " -> " + Files.readSymbolicLink(q));
        } else if (Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)) {
          if (ours.containsKey(path)) { // parents cpio -d made are not the archive's
            out.put(path, Integer.toOctalString(mode));
          }
        } else {
          out.put(path, Integer.toOctalString(mode) + " " + sha256(Files.readAllBytes(q)));
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("packages")
  void payloadExtractsAsRpm2cpioAndCpio(String name) throws Exception {
    Path file = vectors().resolve(name);
    RpmPackage p = RpmPackage.open(file);
    Map<String, String> ours = ours(p);
    Path out = Files.createDirectories(temp.resolve("x"));
    try {
      Tools.require("rpm2cpio");
      Tools.require("cpio");
      Tools.run(List.of("bash", "-c", "set -o pipefail; rpm2cpio \"$1\" | cpio -idm --quiet", "x", file.toString()),
          out);
      Map<String, String> theirs = extracted(out, ours);
      // cpio as an ordinary user cannot keep set-id bits it is not entitled to, nor Linux a link's mode.
      assertEquals(strip(ours), strip(theirs), name);
    } finally {
      Tools.run(List.of("chmod", "-R", "u+rwX", out.toString()));
    }
  }

  static Map<String, String> strip(Map<String, String> m) {
    Map<String, String> out = new TreeMap<>();
    m.forEach((k, v) -> {
      String[] f = v.split(" ", 2);
      int mode = Integer.parseInt(f[0], 8) & ~06000;
      if ((mode & 0170000) == 0120000) {
        mode = 0120777; // a symbolic link's own permissions are not kept by Linux file systems
      }
      out.put(k, Integer.toOctalString(mode) + (f.length > 1 ? " " + f[1] : ""));
    });
    return out;
  }

  @Test
  void everyCompressionIsSeen() throws Exception {
    List<String> seen = new ArrayList<>();
    for (String name : packages().toList()) {
      seen.add(RpmPackage.open(vectors().resolve(name)).header().string(Tags.PAYLOADCOMPRESSOR).orElse("(none)"));
    }
    for (String c : List.of("gzip", "xz", "lzma", "zstd", "(none)")) {
      assertTrue(seen.contains(c), c + " in " + seen);
    }
  }

  static Path flipped(Path temp, Path file, long offset) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[(int) offset] ^= 0x01;
    Path out = temp.resolve(file.getFileName());
    Files.write(out, b);
    return out;
  }

  @ParameterizedTest
  @MethodSource("packages")
  void aFlippedByteInHeaderOrPayloadIsRefusedNamingThePackage(String name) throws Exception {
    Path file = vectors().resolve(name);
    RpmPackage p = RpmPackage.open(file);
    long headerLength = p.payloadOffset() - p.headerOffset();
    // A byte in the header's data store (past magic, sizes and index), in the middle.
    int il = p.header().entries().size();
    long dataStart = p.headerOffset() + 16 + 16L * il;
    Path badHeader = flipped(temp, file, dataStart + (p.payloadOffset() - dataStart) / 2);
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(badHeader).verify(), name);
    assertTrue(e.getMessage().contains(badHeader.toString()), e.getMessage());
    Files.delete(badHeader);
    long size = Files.size(file);
    Path badPayload = flipped(temp, file, p.payloadOffset() + (size - p.payloadOffset()) / 2);
    RpmPackage q = RpmPackage.open(badPayload);
    IOException f = assertThrows(IOException.class, q::verify, name);
    assertTrue(f.getMessage().contains(badPayload.toString()), f.getMessage());
    assertTrue(headerLength > 0);
  }

  @Test
  void fileMetadataOfARealPackage() throws Exception {
    RpmPackage p = RpmPackage.open(SharedData.path("vectors/rpm/packages/opensuse/mc-4.8.21-2.1.x86_64.rpm"));
    assertEquals("mc-4.8.21-2.1.x86_64", p.nevra());
    assertFalse(p.isSource());
    assertEquals(Tags.DIGEST_SHA256, p.fileDigestAlgorithm());
    RpmPackage.RpmFile ini = p.files().stream().filter(RpmPackage.RpmFile::isConfig).findFirst().orElseThrow();
    assertTrue(ini.path().startsWith("/etc/"), ini.path());
    assertTrue(p.files().stream().anyMatch(RpmPackage.RpmFile::isDoc));
    assertTrue(p.files().stream().anyMatch(RpmPackage.RpmFile::isSymlink));
    RpmPackage src = RpmPackage.open(SharedData.path("vectors/rpm/foo-1.0-1.src.rpm"));
    assertTrue(src.isSource());
    assertEquals("src", src.arch());
    assertEquals(Tags.DIGEST_MD5, src.fileDigestAlgorithm());
  }

  @Test
  void notAnRpmIsRefusedNamingTheFile() throws Exception {
    Path f = temp.resolve("x.rpm");
    Files.write(f, new byte[200]);
    IOException e = assertThrows(IOException.class, () -> RpmPackage.open(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
  }

  static byte[] read(InputStream in) throws IOException {
    return in.readAllBytes();
  }
}
