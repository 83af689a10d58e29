package dev.imagepatch.pkg.rpmdb.ndb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The real NDB databases of shared/vectors/rpm/rpmdb/ndb, read in place: every package of each
 * reads to exactly the expected list beside it (name, epoch, version, release, arch), and the file
 * lists of a few packages are those an independent reader (Python, from DIRNAMES, BASENAMES,
 * DIRINDEXES) gave: count, first, last and the SHA-256 of the names joined by newlines.
 */
class NdbPackagesRealTest {
  private static final String BCI = "vectors/rpm/rpmdb/ndb/sle15-bci/";
  private static final String SNYK = "vectors/rpm/rpmdb/ndb/sle15sp3-snyk-3pkgs/";

  /** Rows of a TSV (comment lines skipped), the five NEVRA columns starting at {@code from}. */
  private static List<List<String>> expected(String relative, int from) {
    List<List<String>> rows = new ArrayList<>();
    for (String line : SharedData.text(relative).split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      rows.add(List.of(Arrays.copyOfRange(f, from, from + 5)));
    }
    return sorted(rows);
  }

  private static List<List<String>> sorted(List<List<String>> rows) {
    List<List<String>> out = new ArrayList<>(rows);
    out.sort(Comparator.comparing((List<String> r) -> String.join("\t", r)));
    return out;
  }

  private static Map<String, TinyHeader> read(Path file, List<List<String>> nevras) throws IOException {
    Map<String, TinyHeader> byName = new TreeMap<>();
    try (NdbPackages db = NdbPackages.open(file)) {
      for (NdbPackages.Blob blob : db.readAll()) {
        TinyHeader h = new TinyHeader(blob.header());
        nevras.add(h.nevra());
        byName.put(h.string(TinyHeader.NAME), h);
      }
    }
    return byName;
  }

  private static void assertFiles(TinyHeader h, int count, String first, String last, String sha256Prefix)
      throws NoSuchAlgorithmException {
    List<String> files = h.files();
    assertEquals(count, files.size(), h.string(TinyHeader.NAME));
    assertEquals(first, files.get(0));
    assertEquals(last, files.get(files.size() - 1));
    byte[] digest = MessageDigest.getInstance("SHA-256")
        .digest(String.join("\n", files).getBytes(StandardCharsets.UTF_8));
    assertEquals(sha256Prefix, HexFormat.of().formatHex(digest).substring(0, 16), h.string(TinyHeader.NAME));
  }

  @Test
  void sle15BciReadsToItsExpectedPackages() throws Exception {
    List<List<String>> nevras = new ArrayList<>();
    Map<String, TinyHeader> byName = read(SharedData.path(BCI + "Packages.db"), nevras);
    assertEquals(35, nevras.size());
    assertEquals(expected(BCI + "expected-packages.tsv", 0), sorted(nevras));
    assertEquals(expected(BCI + "expected-go-rpmdb-SLE15WithNDB.tsv", 1), sorted(nevras));

    assertFiles(byName.get("system-user-root"), 1, "/usr/lib/sysusers.d/system-user-root.conf",
        "/usr/lib/sysusers.d/system-user-root.conf", "0f18dd8c19aa9849");
    assertFiles(byName.get("filesystem"), 788, "/bin", "/var/tmp", "005982b4940abc4d");
    assertFiles(byName.get("glibc"), 67, "/etc/bindresvport.blacklist", "/var/cache/ldconfig", "3d9560b2a07d691c");
    assertFiles(byName.get("bash"), 90, "/bin/bash", "/usr/share/licenses/bash/COPYING", "20a9014192de0d8a");
    assertTrue(byName.get("bash").files().contains("/bin/sh"));
    assertFiles(byName.get("libacl1"), 2, "/lib64/libacl.so.1", "/lib64/libacl.so.1.1.2253", "adebdff07afb05eb");
    assertFiles(byName.get("ca-certificates-mozilla-prebuilt"), 870, "/etc/ssl/ca-bundle.pem",
        "/var/lib/ca-certificates/pem", "9d1c4bc3e45a44f2");
  }

  @Test
  void sle15sp3ThreePackagesReadToTheirExpectedList() throws Exception {
    List<List<String>> nevras = new ArrayList<>();
    Map<String, TinyHeader> byName = read(SharedData.path(SNYK + "Packages.db"), nevras);
    assertEquals(expected(SNYK + "expected-packages.tsv", 0), sorted(nevras));
    assertEquals(List.of(
        List.of("system-user-root", "(none)", "20190513", "3.3.1", "noarch"),
        List.of("filesystem", "(none)", "15.0", "11.8.1", "x86_64"),
        List.of("glibc", "(none)", "2.31", "150300.63.1", "x86_64")), nevras, "rpm's order: by blob offset");
    assertFiles(byName.get("system-user-root"), 1, "/usr/lib/sysusers.d/system-user-root.conf",
        "/usr/lib/sysusers.d/system-user-root.conf", "0f18dd8c19aa9849");
    assertFiles(byName.get("filesystem"), 789, "/bin", "/var/tmp", "1f042798548cf016");
    assertFiles(byName.get("glibc"), 67, "/etc/bindresvport.blacklist", "/var/cache/ldconfig", "3d9560b2a07d691c");
  }

  @Test
  void headerFieldsSlotsAndBlobsAsRpmLaidThemOut() throws Exception {
    Path file = SharedData.path(BCI + "Packages.db");
    try (NdbPackages db = NdbPackages.open(file)) {
      assertEquals(Files.size(file), db.fileSize());
      assertEquals(1, db.slotPages());
      assertEquals(46, db.generation());
      assertEquals(41, db.nextPackageIndex());
      assertEquals(35, db.slots().size());
      assertEquals(256 - 2 - 35, db.freeSlots());
      NdbPackages.Slot first = db.slots().get(0);
      assertEquals(new NdbPackages.Slot(2, 1, 256, 260), first, "the first blob starts right after the slot page");
      long end = 256;
      for (NdbPackages.Slot slot : db.slots()) {
        assertTrue(slot.blockOffset() >= end, "in blob order, not overlapping");
        end = slot.blockOffset() + slot.blockCount();
        assertTrue(slot.packageIndex() < db.nextPackageIndex());
      }
      assertTrue(end * 16 <= db.fileSize());
      // By package index: the same blob as the listing gives.
      NdbPackages.Blob bash = null;
      for (NdbPackages.Blob blob : db.readAll()) {
        if ("bash".equals(new TinyHeader(blob.header()).string(TinyHeader.NAME))) {
          bash = blob;
        }
      }
      assertEquals(14, bash.packageIndex());
      NdbPackages.Blob again = db.read(14).orElseThrow();
      assertArrayEquals(bash.header(), again.header());
      // rpm writes the database generation into the blob head: one slot write after another on a
      // fresh install, so each package's blob generation is its package index here.
      assertEquals(14, bash.generation());
      for (NdbPackages.Blob blob : db.readAll()) {
        assertEquals(blob.packageIndex(), blob.generation());
      }
      assertTrue(db.read(1_000_000).isEmpty());
    }
  }

  /** NEVRA and file list through pkg-rpm's Header: the same as the test-local reader gives. */
  private static List<String> nevra(Header h) {
    return List.of(h.string(Tags.NAME).orElseThrow(),
        h.number(Tags.EPOCH).isPresent() ? Long.toString(h.number(Tags.EPOCH).getAsLong()) : "(none)",
        h.string(Tags.VERSION).orElseThrow(), h.string(Tags.RELEASE).orElseThrow(), h.string(Tags.ARCH).orElseThrow());
  }

  private static List<String> files(Header h) {
    List<String> base = h.strings(Tags.BASENAMES);
    List<String> dirs = h.strings(Tags.DIRNAMES);
    long[] index = h.numbers(Tags.DIRINDEXES);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < base.size(); i++) {
      out.add(dirs.get((int) index[i]) + base.get(i));
    }
    return out;
  }

  @Test
  void packagesParseWithPkgRpmsHeaderToTheSameListsAndBytes() throws Exception {
    for (String dir : List.of(BCI, SNYK)) {
      List<List<String>> nevras = new ArrayList<>();
      try (NdbPackages db = NdbPackages.open(SharedData.path(dir + "Packages.db"))) {
        List<NdbPackages.Blob> blobs = db.readAll();
        List<NdbPackages.Package> packages = db.packages();
        assertEquals(blobs.size(), packages.size());
        for (int i = 0; i < blobs.size(); i++) {
          NdbPackages.Package p = packages.get(i);
          TinyHeader tiny = new TinyHeader(blobs.get(i).header());
          assertEquals(blobs.get(i).packageIndex(), p.packageIndex());
          assertArrayEquals(blobs.get(i).header(), p.header().blob(), "byte for byte");
          assertEquals(63, p.header().regionTag(), "an installed header keeps its immutable region");
          assertEquals(tiny.nevra(), nevra(p.header()));
          assertEquals(tiny.files(), files(p.header()));
          assertTrue(p.header().source().endsWith("package index " + p.packageIndex()), p.header().source());
          nevras.add(nevra(p.header()));
        }
        if (dir.equals(BCI)) {
          assertEquals("bash", db.pkg(14).orElseThrow().header().string(Tags.NAME).orElseThrow());
        } else {
          assertEquals("glibc", db.pkg(3).orElseThrow().header().string(Tags.NAME).orElseThrow());
          assertTrue(db.pkg(14).isEmpty());
        }
      }
      assertEquals(expected(dir + "expected-packages.tsv", 0), sorted(nevras));
    }
  }

  @Test
  void readsTheSameFromBytesAsFromTheFile() throws Exception {
    byte[] bytes = SharedData.bytes(SNYK + "Packages.db");
    try (NdbPackages fromFile = NdbPackages.open(SharedData.path(SNYK + "Packages.db"));
        NdbPackages fromBytes = NdbPackages.of(bytes, "layer:var/lib/rpm/Packages.db")) {
      assertEquals(fromFile.slots(), fromBytes.slots());
      List<NdbPackages.Blob> a = fromFile.readAll();
      List<NdbPackages.Blob> b = fromBytes.readAll();
      for (int i = 0; i < a.size(); i++) {
        assertArrayEquals(a.get(i).header(), b.get(i).header());
      }
    }
  }
}
