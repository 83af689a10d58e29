package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Entry;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Index;
import dev.imagepatch.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real SQLite rpm databases read to what rpm 4.18 prints for them. */
class SqliteRpmdbReadTest {
  @TempDir
  Path temp;

  static Path db(String name) {
    return SharedData.path("vectors/rpm/rpmdb/sqlite/" + name + "/rpmdb.sqlite");
  }

  static String nevra(Header h) {
    return String.join("\t", h.string(Tags.NAME).orElseThrow(),
        h.has(Tags.EPOCH) ? Long.toString(h.number(Tags.EPOCH).getAsLong()) : "(none)",
        h.string(Tags.VERSION).orElseThrow(), h.string(Tags.RELEASE).orElseThrow(),
        h.string(Tags.ARCH).orElse("(none)"));
  }

  static List<String> files(Header h) {
    List<String> base = h.strings(Tags.BASENAMES);
    List<String> dirs = h.strings(Tags.DIRNAMES);
    long[] di = h.numbers(Tags.DIRINDEXES);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < base.size(); i++) {
      out.add(dirs.get((int) di[i]) + base.get(i));
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"cbl-mariner-2.0", "amazonlinux2023-plain"})
  void readsToExactlyWhatRpmLists(String name) throws Exception {
    Path file = db(name);
    List<SqliteRpmdb.Package> packages = SqliteRpmdb.read(file);
    List<String> ours = new ArrayList<>();
    int last = 0;
    for (SqliteRpmdb.Package p : packages) {
      assertTrue(p.hnum() > last, "hnum order");
      last = p.hnum();
      ours.add(nevra(p.header()));
    }
    Collections.sort(ours);
    List<String> expected = new ArrayList<>();
    for (String line : Files.readAllLines(file.resolveSibling("expected-rpm-qa.tsv"))) {
      if (!line.startsWith("#")) {
        expected.add(String.join("\t", List.of(line.split("\t")).subList(0, 5)));
      }
    }
    Collections.sort(expected);
    assertEquals(expected, ours);
    // nothing was written beside the caller's (read-only) file
    assertFalse(Files.exists(file.resolveSibling("rpmdb.sqlite-wal")));
    assertFalse(Files.exists(file.resolveSibling("rpmdb.sqlite-shm")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"cbl-mariner-2.0", "amazonlinux2023-plain"})
  void fileListsAreRpms(String name) throws Exception {
    Path dir = Files.createDirectories(temp.resolve("db"));
    Files.copy(db(name), dir.resolve("rpmdb.sqlite"));
    dir.resolve("rpmdb.sqlite").toFile().setWritable(true);
    Map<String, Header> byName = new HashMap<>();
    for (SqliteRpmdb.Package p : SqliteRpmdb.read(db(name))) {
      Header h = p.header();
      byName.put(h.string(Tags.NAME).orElseThrow(), h);
    }
    for (String pkg : List.of("bash", "glibc", "filesystem", "rpm", "ca-certificates")) {
      Header h = byName.get(pkg);
      if (h == null) {
        continue;
      }
      String out = Judges.run("rpm", "--dbpath", dir.toAbsolutePath().toString(), "-ql", pkg);
      List<String> rpm = out.isEmpty() ? List.of() : List.of(out.split("\n"));
      List<String> ours = files(h);
      assertEquals(rpm.equals(List.of("(contains no files)")) ? List.of() : rpm, ours, pkg);
    }
  }

  /** Every index row rpm wrote into the real databases is what RpmIndexes derives from the headers. */
  @ParameterizedTest
  @ValueSource(strings = {"cbl-mariner-2.0", "amazonlinux2023-plain"})
  void indexRowsAreWhatRpmWrote(String name) throws Exception {
    Path copy = temp.resolve(name + ".sqlite");
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(db(name), copy)) {
      Map<Index, List<Entry>> ours = new HashMap<>();
      for (SqliteRpmdb.Package p : db.packages()) {
        for (Map.Entry<Index, List<Entry>> e : RpmIndexes.all(p.header(), p.hnum()).entrySet()) {
          ours.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
        }
      }
      for (Index index : Index.values()) {
        List<String> want = sorted(db.indexRows(index));
        List<String> got = sorted(ours.getOrDefault(index, List.of()));
        assertEquals(want, got, name + " " + index.table());
      }
    }
  }

  static List<String> sorted(List<Entry> entries) {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      out.add(java.util.HexFormat.of().formatHex(e.key()) + " " + e.hnum() + " " + e.idx() + " " + e.keyText());
    }
    Collections.sort(out);
    return out;
  }
}
