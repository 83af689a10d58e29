package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.RpmDatabase.Installed;
import dev.imagepatch.pkg.rpmdb.ndb.NdbWriteRefusedException;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The neutral entry point, one test per format on the real databases (read in place), judged by
 * rpm 4.18 after a write (sqlite backend, bdb_ro backend) and by libdb's db_verify.
 */
class RpmDatabaseTest {
  private static final String AL2023 = "vectors/rpm/rpmdb/sqlite/amazonlinux2023-plain";
  private static final String HELLO = "vectors/rpm/rpmdb/bdb/scalibr-hello-epoch-1pkg";
  private static final String DIVE = "vectors/rpm/rpmdb/bdb/syft-dive-1pkg";
  private static final String NDB = "vectors/rpm/rpmdb/ndb/sle15-bci";

  private static Header only(String dir) throws IOException {
    try (RpmDatabase db = RpmDatabase.open(SharedData.path(dir))) {
      List<Installed> all = db.packages();
      assertEquals(1, all.size());
      return all.get(0).header();
    }
  }

  private static String name(Installed p) {
    return p.header().string(Tags.NAME).orElseThrow();
  }

  private static TreeSet<String> expectedNames(String dir) {
    TreeSet<String> names = new TreeSet<>();
    for (String line : SharedData.text(dir + "/expected-rpm-qa.tsv").split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        names.add(line.substring(0, line.indexOf('\t')));
      }
    }
    return names;
  }

  private static TreeSet<String> lines(String out) {
    TreeSet<String> s = new TreeSet<>();
    for (String l : out.split("\n")) {
      if (!l.isBlank()) {
        s.add(l.strip());
      }
    }
    return s;
  }

  @Test
  void sqliteReadEditWriteJudgedByRpm(@TempDir Path out) throws Exception {
    Header hello = only(HELLO);
    TreeSet<String> expected = expectedNames(AL2023);
    Path source = SharedData.path(AL2023);
    try (RpmDatabase db = RpmDatabase.open(source)) {
      assertEquals(RpmDatabase.Format.SQLITE, db.format());
      List<Installed> before = db.packages();
      assertEquals(expected, new TreeSet<>(before.stream().map(RpmDatabaseTest::name).toList()));
      long max = before.get(before.size() - 1).hnum();
      Installed bash = before.stream().filter(p -> name(p).equals("bash")).findFirst().orElseThrow();
      Installed removed = before.stream().filter(p -> name(p).equals("ncurses-base")).findFirst().orElseThrow();
      long upgraded = db.upgrade(bash.hnum(), bash.header());
      assertTrue(upgraded > max, "an upgrade adds under a new number");
      db.remove(removed.hnum());
      long added = db.add(hello);
      assertEquals(upgraded + 1, added);
      db.write(out);
    }
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(List.of(out.resolve("rpmdb.sqlite")), files.toList(), "only the database is written (before rpm, the judge, leaves its lock and WAL)");
    }
    expected.remove("ncurses-base");
    expected.add("hello");
    assertEquals(expected, lines(Judges.run("rpm", "--dbpath", out.toString(), "-qa", "--qf", "%{NAME}\\n")));
    assertTrue(Judges.run("rpm", "--dbpath", out.toString(), "-q", "bash").startsWith("bash-"));
    assertEquals("hello-0.0.1-rls.x86_64",
        Judges.run("rpm", "--dbpath", out.toString(), "-qf", "/usr/bin/hello.sh").strip());
    assertEquals(1, Judges.exec(List.of("rpm", "--dbpath", out.toString(), "-q", "ncurses-base")).exit());
    Judges.run("rpm", "--dbpath", out.toString(), "--verifydb");
    try (Stream<Path> files = Files.list(source)) {
      assertEquals(5, files.count(), "the source directory is unchanged");
    }
  }

  @Test
  void bdbAddsTakeTheNumberAfterKeyZeroAndKeepIt(@TempDir Path out) throws Exception {
    Header dive = only(DIVE);
    Path source = SharedData.path(HELLO);
    // key 0 of the real Packages: 4, the number of its one header (hello)
    try (RpmDatabase db = RpmDatabase.open(source)) {
      assertEquals(RpmDatabase.Format.BDB, db.format());
      assertEquals(List.of(4L), db.packages().stream().map(Installed::hnum).toList());
      // remove the highest-numbered package: rpm's counter does not go back
      db.remove(4);
      assertEquals(5, db.add(dive), "pkgdbNew: key 0 + 1");
      db.write(out);
    }
    assertEquals(5, keyZero(out.resolve("Packages")));
    judgeBdb(out, List.of("dive"));
    assertEquals("dive-0.9.2-1.x86_64", Judges.run("rpm", "--define", "_db_backend bdb_ro", "--dbpath",
        out.toString(), "-qf", "/usr/local/bin/dive").strip());

    // all removed: key 0 stays (rpm never hands out a number twice), the next add takes 6
    Path again = out.resolve("again");
    try (RpmDatabase db = RpmDatabase.open(out)) {
      db.remove(5);
      db.write(again);
    }
    assertEquals(5, keyZero(again.resolve("Packages")));
    try (RpmDatabase db = RpmDatabase.open(again)) {
      assertEquals(List.of(), db.packages());
      assertEquals(6, db.add(dive));
    }
  }

  @Test
  void bdbWrittenFromTheAmazonLinuxHeadersWithUpgradeAddRemove(@TempDir Path out) throws Exception {
    // A Berkeley DB of ~100 packages (as an Amazon Linux 2 image has), then edited through the facade.
    Path first = out.resolve("first");
    Path second = out.resolve("second");
    TreeSet<String> expected = expectedNames(AL2023);
    List<Installed> al;
    try (RpmDatabase sqlite = RpmDatabase.open(SharedData.path(AL2023))) {
      al = sqlite.packages();
    }
    java.util.SortedMap<Integer, Header> headers = new java.util.TreeMap<>();
    for (Installed p : al) {
      headers.put((int) p.hnum(), p.header());
    }
    dev.imagepatch.pkg.rpmdb.bdb.RpmBdb.write(first, headers, new dev.imagepatch.pkg.rpmdb.bdb.BdbWriter());
    long counter = keyZero(first.resolve("Packages"));
    try (RpmDatabase db = RpmDatabase.open(first)) {
      assertEquals(expected, new TreeSet<>(db.packages().stream().map(RpmDatabaseTest::name).toList()));
      Installed bash = db.packages().stream().filter(p -> name(p).equals("bash")).findFirst().orElseThrow();
      Installed gone = db.packages().stream().filter(p -> name(p).equals("ncurses-base")).findFirst().orElseThrow();
      assertEquals(counter + 1, db.upgrade(bash.hnum(), bash.header()));
      db.remove(gone.hnum());
      assertEquals(counter + 2, db.add(only(HELLO)));
      db.write(second);
    }
    assertEquals(counter + 2, keyZero(second.resolve("Packages")));
    expected.remove("ncurses-base");
    expected.add("hello");
    judgeBdb(second, new ArrayList<>(expected));
    assertEquals("hello-0.0.1-rls.x86_64", Judges.run("rpm", "--define", "_db_backend bdb_ro", "--dbpath",
        second.toString(), "-qf", "/usr/bin/hello.sh").strip());
    assertTrue(Judges.run("rpm", "--define", "_db_backend bdb_ro", "--dbpath", second.toString(), "-q", "bash")
        .startsWith("bash-"));
  }

  @Test
  void ndbReadsAndRefusesEveryWrite(@TempDir Path out) throws Exception {
    TreeSet<String> expected = new TreeSet<>();
    for (String line : SharedData.text(NDB + "/expected-packages.tsv").split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        expected.add(line.substring(0, line.indexOf('\t')));
      }
    }
    Header hello = only(HELLO);
    try (RpmDatabase db = RpmDatabase.open(SharedData.path(NDB))) {
      assertEquals(RpmDatabase.Format.NDB, db.format());
      List<Installed> all = db.packages();
      assertEquals(expected, new TreeSet<>(all.stream().map(RpmDatabaseTest::name).toList()));
      long first = all.get(0).hnum();
      assertThrows(NdbWriteRefusedException.class, () -> db.add(hello));
      assertThrows(NdbWriteRefusedException.class, () -> db.remove(first));
      assertThrows(NdbWriteRefusedException.class, () -> db.upgrade(first, hello));
      assertThrows(NdbWriteRefusedException.class, () -> db.write(out));
    }
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void aDirectoryWithoutOrWithTwoDatabasesIsRefused(@TempDir Path dir) throws IOException {
    IOException none = assertThrows(IOException.class, () -> RpmDatabase.open(dir));
    assertTrue(none.getMessage().contains("no rpm database"), none.getMessage());
    Files.copy(SharedData.path(HELLO + "/Packages"), dir.resolve("Packages"));
    Files.copy(SharedData.path(NDB + "/Packages.db"), dir.resolve("Packages.db"));
    IOException two = assertThrows(IOException.class, () -> RpmDatabase.open(dir));
    assertTrue(two.getMessage().contains("more than one"), two.getMessage());
    try (RpmDatabase db = RpmDatabase.open(dir, RpmDatabase.Format.BDB)) {
      assertEquals(1, db.packages().size());
    }
  }

  private static void judgeBdb(Path dir, List<String> names) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Judges.Result r = Judges.exec(List.of("db5.3_verify", "-q", f.toString()));
        assertEquals(0, r.exit(), f + ": " + r.err());
        assertTrue(!f.getFileName().toString().endsWith(".tmp"), "temporary file left: " + f);
      }
    }
    assertEquals(new TreeSet<>(names), lines(Judges.run("rpm", "--define", "_db_backend bdb_ro", "--dbpath",
        dir.toString(), "-qa", "--qf", "%{NAME}\\n")));
    for (String n : names) {
      Judges.run("rpm", "--define", "_db_backend bdb_ro", "--dbpath", dir.toString(), "-q", n);
    }
  }

  /** Key 0 of a Packages file as libdb's db_dump prints it. */
  private static long keyZero(Path packages) throws Exception {
    String[] dump = Judges.run("db5.3_dump", packages.toString()).split("\n");
    for (int i = 0; i < dump.length - 1; i++) {
      if (dump[i].strip().equals("00000000")) {
        byte[] v = java.util.HexFormat.of().parseHex(dump[i + 1].strip());
        return Integer.toUnsignedLong(ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getInt());
      }
    }
    throw new AssertionError(packages + ": no key 0");
  }
}
