package dev.imagepatch.pkg.rpmdb.bdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpmdb.RpmIndexes;
import dev.imagepatch.pkg.rpmdb.SqliteRpmdb;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Amazon Linux 2023 database (103 headers, indexes written by rpm itself) converted to
 * Berkeley DB: every index file, read back by libdb's {@code db_dump}, holds exactly the rows rpm
 * wrote in the SQLite original, and rpm's {@code bdb_ro} backend reads the result.
 */
class RpmBdbFromSqliteTest {
  private static final String AL2023 = "vectors/rpm/rpmdb/sqlite/amazonlinux2023-plain/rpmdb.sqlite";

  @Test
  void everyIndexHoldsTheRowsRpmWroteAndLibdbAndRpmReadIt(@TempDir Path out, @TempDir Path copy) throws IOException {
    SortedMap<Integer, Header> headers = new TreeMap<>();
    Map<RpmIndexes.Index, List<RpmIndexes.Entry>> rpmRows;
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(SharedData.path(AL2023), copy.resolve("rpmdb.sqlite"))) {
      for (SqliteRpmdb.Package p : db.packages()) {
        headers.put(p.hnum(), p.header());
      }
      rpmRows = db.indexRows();
    }
    assertEquals(103, headers.size());
    RpmBdb.write(out, headers, new BdbWriter());

    for (RpmIndexes.Index index : RpmIndexes.Index.values()) {
      Path file = out.resolve(index.table());
      Judges.verify(file);
      // What libdb reads back: each key's pairs, as rows (key, hnum, idx).
      TreeSet<String> got = new TreeSet<>();
      for (byte[][] kv : Judges.dump(file)) {
        ByteBuffer v = ByteBuffer.wrap(kv[1]).order(ByteOrder.LITTLE_ENDIAN);
        while (v.remaining() >= 8) {
          got.add(row(kv[0], v.getInt(), v.getInt()));
        }
      }
      TreeSet<String> want = new TreeSet<>();
      for (RpmIndexes.Entry e : rpmRows.get(index)) {
        // rpm stores an empty key as one NUL byte in Berkeley DB.
        want.add(row(e.key().length == 0 ? new byte[1] : e.key(), e.hnum(), e.idx()));
      }
      assertEquals(want, got, index.table() + ": the rows rpm wrote in the SQLite database");
    }
    Judges.verify(out.resolve("Packages"));

    Judges.Result qa = Judges.rpm(out, "-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n").ok("rpm -qa");
    List<String> expected = new ArrayList<>();
    headers.values().forEach(h -> expected.add(h.string(1000).orElseThrow() + "-" + h.string(1001).orElseThrow()
        + "-" + h.string(1002).orElseThrow() + "." + h.string(1022).orElse("(none)")));
    assertEquals(new TreeSet<>(expected), new TreeSet<>(List.of(qa.out().split("\n"))));
    Judges.rpm(out, "-qf", "/usr/bin/bash", "--qf", "%{NAME}\n").ok("rpm -qf /usr/bin/bash");
    assertEquals("bash\n", Judges.rpm(out, "-qf", "/usr/bin/bash", "--qf", "%{NAME}\n").out());
    assertEquals("glibc\n", Judges.rpm(out, "-q", "--whatprovides", "libc.so.6()(64bit)", "--qf", "%{NAME}\n").out());
  }

  private static String row(byte[] key, int hnum, int idx) {
    return HexFormat.of().formatHex(key) + " " + hnum + " " + idx;
  }
}
