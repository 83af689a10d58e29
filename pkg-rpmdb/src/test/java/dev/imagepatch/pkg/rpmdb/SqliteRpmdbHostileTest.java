package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rpmdb.sqlite files an image could carry that are not rpm's: a Packages that is a view (a query
 * that never ends, or one calling load_extension), a trigger that would run on our writes, a
 * corrupt file. Each is refused with the file named, the caller's file is left byte for byte as it
 * was (no -wal or -shm made beside it), and no temporary directory or refused copy is left behind.
 */
class SqliteRpmdbHostileTest {
  @TempDir
  Path temp;

  private Path database(String name, String... sql) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(name));
    Path file = dir.resolve(SqliteRpmdb.FILE_NAME);
    try (SqliteRpmdb db = SqliteRpmdb.create(file)) {
      // rpm's schema, then the hostile part below
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
         Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
    for (String suffix : List.of("-wal", "-shm")) {
      Files.deleteIfExists(dir.resolve(SqliteRpmdb.FILE_NAME + suffix));
    }
    return file;
  }

  private static Set<Path> readDirs() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      Set<Path> out = new HashSet<>();
      s.filter(p -> p.getFileName().toString().startsWith("rpmdb-read-")).forEach(out::add);
      return out;
    }
  }

  /** Refused by read and openCopy with {@code expected} in the message; the file unchanged, nothing left behind. */
  private void refused(Path file, String expected) throws Exception {
    byte[] before = Files.readAllBytes(file);
    Set<Path> dirsBefore = readDirs();
    IOException e = assertThrows(IOException.class, () -> SqliteRpmdb.read(file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    Path copy = temp.resolve("copy-" + file.getParent().getFileName()).resolve(SqliteRpmdb.FILE_NAME);
    Files.createDirectories(copy.getParent());
    IOException w = assertThrows(IOException.class, () -> SqliteRpmdb.openCopy(file, copy));
    assertTrue(w.getMessage().startsWith(copy + ": "), w.getMessage());
    assertTrue(w.getMessage().contains(expected), w.getMessage());
    for (String suffix : List.of("", "-wal", "-shm")) {
      assertFalse(Files.exists(copy.resolveSibling(SqliteRpmdb.FILE_NAME + suffix)), "openCopy left " + suffix);
    }
    assertArrayEquals(before, Files.readAllBytes(file), "the hostile file was modified");
    for (String suffix : List.of("-wal", "-shm")) {
      assertFalse(Files.exists(file.resolveSibling(SqliteRpmdb.FILE_NAME + suffix)), suffix + " made beside it");
    }
    Set<Path> left = readDirs();
    left.removeAll(dirsBefore);
    assertEquals(Set.of(), left, "temporary directories left behind");
  }

  @Test
  void aPackagesViewThatNeverEndsIsRefusedBeforeItRuns() throws Exception {
    Path file = database("endless", "DROP TABLE Packages",
        "CREATE VIEW Packages AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
            + " SELECT x AS hnum, zeroblob(1000000) AS blob FROM n");
    refused(file, "holds a view 'Packages'");
  }

  @Test
  void aViewCallingLoadExtensionIsRefused() throws Exception {
    Path file = database("extension", "CREATE VIEW Evil AS SELECT load_extension('/tmp/evil.so') AS x");
    refused(file, "holds a view 'Evil'");
  }

  @Test
  void aTriggerOnPackagesIsRefusedBeforeAnyWrite() throws Exception {
    Path file = database("trigger",
        "CREATE TRIGGER evil AFTER INSERT ON Packages BEGIN DELETE FROM Name; END");
    refused(file, "holds a trigger 'evil'");
  }

  @Test
  void aCorruptFileIsAnIOExceptionAndLeavesNothingBehind() throws Exception {
    Path dir = Files.createDirectories(temp.resolve("corrupt"));
    Path file = dir.resolve(SqliteRpmdb.FILE_NAME);
    byte[] bytes = new byte[8192];
    System.arraycopy("SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, bytes, 0, 16);
    for (int i = 16; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    Files.write(file, bytes);
    refused(file, "");
  }

  @Test
  void aReadNeverWritesItsCopy() throws Exception {
    // rpm's own schema reads; and the read connection is read-only, so close() runs no PRAGMA optimize.
    Path file = database("plain");
    byte[] before = Files.readAllBytes(file);
    assertEquals(List.of(), SqliteRpmdb.read(file));
    assertArrayEquals(before, Files.readAllBytes(file));
  }
}
