package dev.imagepatch.pkg.rpmdb.bdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The hash and btree writers and the reader against libdb 5.3 itself, beyond what rpm's files need. */
class BdbFormatTest {

  @Test
  void theHashFunctionIsLibdbs() throws IOException {
    assertEquals(0x5e688dd1, Libdb.hash(Libdb.CHARKEY));
    byte[] meta = Files.readAllBytes(SharedData.path("vectors/rpm/rpmdb/bdb/ubi8-libuuid-1pkg/Packages"));
    assertEquals(ByteBuffer.wrap(meta).order(ByteOrder.LITTLE_ENDIAN).getInt(92), Libdb.hash(Libdb.CHARKEY));
    assertEquals(1007, Libdb.btreeOverflowSize(4096, 2));
    assertEquals(1024, Libdb.hashBigThreshold(4096));
  }

  /** Many pairs, small and big, on small pages (deep trees, chained buckets) and rpm's 4 KiB pages. */
  @ParameterizedTest
  @CsvSource({"512,LITTLE_ENDIAN,20000", "512,BIG_ENDIAN,3000", "4096,LITTLE_ENDIAN,60000", "4096,BIG_ENDIAN,2000"})
  void writtenFilesPassLibdbAndTakeLibdbWrites(int pageSize, String orderName, int count, @TempDir Path dir)
      throws IOException {
    ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    BdbWriter writer = new BdbWriter(order, pageSize);
    List<BdbEntry> entries = randomEntries(new Random(count), count, pageSize, "k");
    for (String type : List.of("hash", "btree")) {
      Path file = dir.resolve(type + ".db");
      if (type.equals("hash")) {
        writer.writeHash(file, entries);
      } else {
        writer.writeBtree(file, entries);
      }
      Judges.verify(file);
      assertSame(entries, toEntries(Judges.dump(file)), type + " as db_dump lists it");
      assertSame(entries, BdbReader.readAll(file), type + " as we read it");
      try (BdbReader r = BdbReader.open(file)) {
        assertEquals(order, r.order());
        assertEquals(pageSize, r.pageSize());
      }
      // libdb adds to it (splits, new buckets, overflow items) and the file still verifies
      List<BdbEntry> more = randomEntries(new Random(-count), 1500, pageSize, "added");
      List<byte[][]> pairs = new ArrayList<>();
      for (BdbEntry e : more) {
        pairs.add(new byte[][] {e.key(), e.value()});
      }
      Judges.run(List.of(Judges.require("db5.3_load"), "-f", "/dev/stdin", file.toString()),
          Judges.loadInput(type, pairs)).ok("db5.3_load into " + type);
      Judges.verify(file);
      List<BdbEntry> all = new ArrayList<>(entries);
      all.addAll(more);
      assertSame(all, BdbReader.readAll(file), type + " after libdb wrote into it, as we read it");
    }
  }

  @ParameterizedTest
  @CsvSource({"hash,1234", "btree,1234", "hash,4321", "btree,4321"})
  void readsWhatLibdbWrote(String type, String lorder, @TempDir Path dir) throws IOException {
    List<BdbEntry> entries = randomEntries(new Random(7), 30000, 4096, "libdb");
    List<byte[][]> pairs = new ArrayList<>();
    for (BdbEntry e : entries) {
      pairs.add(new byte[][] {e.key(), e.value()});
    }
    Path file = dir.resolve("libdb.db");
    Judges.run(List.of(Judges.require("db5.3_load"), "-f", "/dev/stdin", file.toString()),
        Judges.loadInput(type, "db_lorder=" + lorder + "\n", pairs)).ok("db5.3_load");
    try (BdbReader r = BdbReader.open(file)) {
      assertEquals(lorder.equals("1234") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN, r.order());
    }
    assertSame(entries, BdbReader.readAll(file), "libdb's " + type + " file");
  }

  @Test
  void emptyFilesAreValid(@TempDir Path dir) throws IOException {
    RpmBdb.write(dir, new TreeMap<>(), Map.of());
    for (String n : RpmBdb.INDEXES) {
      Judges.verify(dir.resolve(n));
      assertEquals(0, RpmBdb.readIndex(dir.resolve(n)).size());
    }
    Judges.verify(dir.resolve("Packages"));
    assertEquals(0, RpmBdb.readPackages(dir.resolve("Packages")).size());
  }

  @Test
  void malformedFilesAreRefusedNotFollowed(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("x.db");
    new BdbWriter(ByteOrder.LITTLE_ENDIAN, 512).writeBtree(file, randomEntries(new Random(1), 2000, 512, "m"));
    byte[] good = Files.readAllBytes(file);

    Files.write(file, java.util.Arrays.copyOf(good, good.length - 512));
    assertThrows(IOException.class, () -> BdbReader.readAll(file), "truncated");

    byte[] cycle = good.clone();
    // the root's first child pointer aimed back at the root
    ByteBuffer b = ByteBuffer.wrap(cycle).order(ByteOrder.LITTLE_ENDIAN);
    int off = Short.toUnsignedInt(b.getShort(512 + 26));
    b.putInt(512 + off + 4, 1);
    Files.write(file, cycle);
    assertThrows(IOException.class, () -> BdbReader.readAll(file), "cycle");

    byte[] junk = good.clone();
    junk[12] = 0x42;
    Files.write(file, junk);
    assertThrows(IOException.class, () -> BdbReader.readAll(file), "not a Berkeley DB file");

    byte[] offsets = good.clone();
    ByteBuffer.wrap(offsets).order(ByteOrder.LITTLE_ENDIAN).putShort(2 * 512 + 20, (short) 30000);
    Files.write(file, offsets);
    assertThrows(IOException.class, () -> BdbReader.readAll(file), "item count beyond the page");
  }

  // ------------------------------------------------------------------

  /** Unique keys of many lengths (one empty-ish, long shared prefixes, big ones) with values around every threshold. */
  static List<BdbEntry> randomEntries(Random rnd, int count, int pageSize, String prefix) {
    Map<String, BdbEntry> out = new TreeMap<>();
    int big = Math.min(Libdb.btreeOverflowSize(pageSize, 2), Libdb.hashBigThreshold(pageSize));
    for (int i = 0; out.size() < count; i++) {
      String key = prefix + "/" + Integer.toString(rnd.nextInt(Integer.MAX_VALUE), 36)
          + (i % 97 == 0 ? "/" + "p".repeat(rnd.nextInt(big / 2)) : "");
      int vlen = switch (i % 11) {
        case 0 -> big + 1 + rnd.nextInt(3 * pageSize);
        case 1 -> big;
        case 2 -> big + 1;
        case 3 -> 0;
        default -> 8 * (1 + rnd.nextInt(6));
      };
      byte[] v = new byte[vlen];
      rnd.nextBytes(v);
      out.put(key, new BdbEntry(key.getBytes(StandardCharsets.UTF_8), v));
    }
    return new ArrayList<>(out.values());
  }

  private static List<BdbEntry> toEntries(List<byte[][]> pairs) {
    List<BdbEntry> out = new ArrayList<>();
    for (byte[][] p : pairs) {
      out.add(new BdbEntry(p[0], p[1]));
    }
    return out;
  }

  private static void assertSame(List<BdbEntry> want, List<BdbEntry> got, String what) {
    Map<String, byte[]> w = new TreeMap<>();
    for (BdbEntry e : want) {
      w.put(HexFormat.of().formatHex(e.key()), e.value());
    }
    Map<String, byte[]> g = new TreeMap<>();
    for (BdbEntry e : got) {
      if (g.put(HexFormat.of().formatHex(e.key()), e.value()) != null) {
        throw new AssertionError(what + ": key listed twice");
      }
    }
    assertEquals(w.keySet(), g.keySet(), what);
    for (Map.Entry<String, byte[]> e : w.entrySet()) {
      assertArrayEquals(e.getValue(), g.get(e.getKey()), what + ": " + e.getKey());
    }
  }
}
