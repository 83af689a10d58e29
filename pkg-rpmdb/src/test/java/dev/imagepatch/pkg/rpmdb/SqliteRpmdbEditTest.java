package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Index;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removing, replacing in place, creating: judged by rpm 4.18. */
class SqliteRpmdbEditTest {
  @TempDir
  Path temp;

  static final String MARINER = "cbl-mariner-2.0";

  @Test
  void removeIsWhatRpmEraseLeaves() throws Exception {
    Path original = SqliteRpmdbReadTest.db(MARINER);
    Path judgeDir = Files.createDirectories(temp.resolve("judge"));
    Files.copy(original, judgeDir.resolve(SqliteRpmdb.FILE_NAME));
    judgeDir.resolve(SqliteRpmdb.FILE_NAME).toFile().setWritable(true);
    Judges.run("rpm", "--dbpath", judgeDir.toAbsolutePath().toString(), "-e", "--justdb", "--nodeps", "--noscripts",
        "--notriggers", "wget");
    Path ours = temp.resolve("ours.sqlite");
    int hnum;
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(original, ours)) {
      List<Integer> found = db.find("wget");
      assertEquals(1, found.size());
      hnum = found.get(0);
      db.remove(hnum);
      assertTrue(db.find("wget").isEmpty());
      assertThrows(IOException.class, () -> db.remove(hnum));
    }
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(ours, temp.resolve("ours-read.sqlite"));
         SqliteRpmdb j = SqliteRpmdb.openCopy(judgeDir.resolve(SqliteRpmdb.FILE_NAME), temp.resolve("judge-read.sqlite"))) {
      List<SqliteRpmdb.Package> a = db.packages();
      List<SqliteRpmdb.Package> b = j.packages();
      assertEquals(b.size(), a.size());
      for (int i = 0; i < a.size(); i++) {
        assertEquals(b.get(i).hnum(), a.get(i).hnum());
        assertArrayEquals(b.get(i).blob(), a.get(i).blob());
      }
      for (Index index : Index.values()) {
        assertEquals(SqliteRpmdbReadTest.sorted(j.indexRows(index)), SqliteRpmdbReadTest.sorted(db.indexRows(index)),
            index.table());
      }
    }
  }

  @Test
  void replaceKeepsTheNumberAndRewritesTheIndexes() throws Exception {
    Path original = SqliteRpmdbReadTest.db(MARINER);
    Path dir = Files.createDirectories(temp.resolve("ours"));
    Path ours = dir.resolve(SqliteRpmdb.FILE_NAME);
    Path probe = SqliteRpmdbRoundTripTest.rpmbuild(temp.resolve("build"), "imagepatch-probe",
        SqliteRpmdbRoundTripTest.PROBE_SPEC, null);
    Header installed;
    try (InputStream in = Files.newInputStream(probe)) {
      installed = InstalledHeader.of(in, "probe", new InstalledHeader.Install(1700000000, 1700000000, 3));
    }
    int hnum;
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(original, ours)) {
      hnum = db.find("wget").get(0);
      db.replace(hnum, installed);
      assertArrayEquals(installed.blob(), db.blob(hnum).orElseThrow());
      assertEquals(List.of(hnum), db.find("imagepatch-probe"));
      List<RpmIndexes.Entry> rows = new ArrayList<>();
      for (Index index : Index.values()) {
        for (RpmIndexes.Entry e : db.indexRows(index)) {
          if (e.hnum() == hnum) {
            rows.add(e);
          }
        }
      }
      List<RpmIndexes.Entry> want = new ArrayList<>();
      RpmIndexes.all(installed, hnum).values().forEach(want::addAll);
      assertEquals(SqliteRpmdbReadTest.sorted(want), SqliteRpmdbReadTest.sorted(rows));
    }
    String d = dir.toAbsolutePath().toString();
    assertEquals("imagepatch-probe-1.0-1.noarch\n", Judges.run("rpm", "--dbpath", d, "-q", "imagepatch-probe"));
    assertEquals(1, Judges.exec(List.of("rpm", "--dbpath", d, "-q", "wget")).exit());
    Judges.Result verify = Judges.exec(List.of("rpm", "--dbpath", d, "--verifydb"));
    assertEquals(0, verify.exit(), verify.err());
  }

  @Test
  void aCreatedDatabaseIsRpmsInitdbSchema() throws Exception {
    Path judgeDir = Files.createDirectories(temp.resolve("judge"));
    Judges.run("rpm", "--dbpath", judgeDir.toAbsolutePath().toString(), "--initdb");
    Path dir = Files.createDirectories(temp.resolve("ours"));
    Path ours = dir.resolve(SqliteRpmdb.FILE_NAME);
    Path probe = SqliteRpmdbRoundTripTest.rpmbuild(temp.resolve("build"), "imagepatch-probe",
        SqliteRpmdbRoundTripTest.PROBE_SPEC, null);
    try (SqliteRpmdb db = SqliteRpmdb.create(ours)) {
      try (InputStream in = Files.newInputStream(probe)) {
        assertEquals(1, db.add(InstalledHeader.of(in, "probe", InstalledHeader.Install.now())));
      }
    }
    assertFalse(Files.exists(dir.resolve("rpmdb.sqlite-wal")));
    String schema = "SELECT type||' '||name||' '||sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY rowid";
    assertEquals(SqliteRpmdbRoundTripTest.sqlite(judgeDir.resolve(SqliteRpmdb.FILE_NAME), schema),
        SqliteRpmdbRoundTripTest.sqlite(ours, schema));
    assertEquals(List.of("wal", "0", "4096"), SqliteRpmdbRoundTripTest.sqlite(ours, "PRAGMA journal_mode",
        "PRAGMA user_version", "PRAGMA page_size"));
    String d = dir.toAbsolutePath().toString();
    assertEquals("imagepatch-probe-1.0-1.noarch\n", Judges.run("rpm", "--dbpath", d, "-qa"));
    assertEquals("imagepatch-probe-1.0-1.noarch\n", Judges.run("rpm", "--dbpath", d, "-qf", "/usr/bin/imagepatch-probe"));
    assertEquals(0, Judges.exec(List.of("rpm", "--dbpath", d, "--verifydb")).exit());
    assertThrows(IOException.class, () -> SqliteRpmdb.create(ours));
  }

  @Test
  void theCallersFileIsNeverOpenedUnlessAsked() throws Exception {
    Path original = SqliteRpmdbReadTest.db(MARINER);
    byte[] before = Files.readAllBytes(original);
    Path copy = temp.resolve("copy.sqlite");
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(original, copy)) {
      db.remove(db.find("wget").get(0));
    }
    assertArrayEquals(before, Files.readAllBytes(original));
    assertThrows(IOException.class, () -> SqliteRpmdb.openCopy(original, copy));
    try (SqliteRpmdb db = SqliteRpmdb.openInPlace(copy)) {
      assertTrue(db.find("wget").isEmpty());
      assertEquals(Tags.NAME, Index.NAME.tag());
    }
  }
}
