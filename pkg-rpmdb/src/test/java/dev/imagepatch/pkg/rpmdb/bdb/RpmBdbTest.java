package dev.imagepatch.pkg.rpmdb.bdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * rpm's Berkeley DB files read and written, judged by libdb 5.3's own utilities and by rpm 4.18's
 * bdb_ro backend. Real data is read in place from the shared vectors.
 */
class RpmBdbTest {
  private static final String BDB = "vectors/rpm/rpmdb/bdb/";
  private static final String AL2023 = "vectors/rpm/rpmdb/sqlite/amazonlinux2023-plain/";
  /** The columns of the vectors' expected-rpm-qa.tsv. */
  private static final String QF = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{SIZE}"
      + "\\t%{LICENSE}\\t%{VENDOR}\\t%{SIGMD5}\\t%{RSAHEADER:pgpsig}\\n";

  @ParameterizedTest
  @ValueSource(strings = {"ubi8-libuuid-1pkg", "syft-dive-1pkg", "scalibr-hello-epoch-1pkg"})
  void realPackagesFilesReadToTheirHeaderBlobs(String dir) throws IOException {
    Path packages = SharedData.path(BDB + dir + "/Packages");
    List<byte[][]> dumped = Judges.dump(packages);
    List<BdbEntry> read = BdbReader.readAll(packages);
    assertEquals(dumped.size(), read.size());
    for (int i = 0; i < read.size(); i++) {
      assertArrayEquals(dumped.get(i)[0], read.get(i).key(), "key " + i);
      assertArrayEquals(dumped.get(i)[1], read.get(i).value(), "value " + i);
    }
    SortedMap<Integer, byte[]> headers = RpmBdb.readPackages(packages);
    assertEquals(1, headers.size());
    assertEquals(expectedRows(BDB + dir).keySet(),
        headers.values().stream().map(b -> new TestHeaders(b).name()).collect(Collectors.toSet()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ubi8-libuuid-1pkg", "syft-dive-1pkg", "scalibr-hello-epoch-1pkg"})
  void writtenFromTheRealBerkeleyDbHeaders(String dir, @TempDir Path out) throws IOException {
    SortedMap<Integer, byte[]> headers = RpmBdb.readPackages(SharedData.path(BDB + dir + "/Packages"));
    writeAndJudge(headers, out, expectedRows(BDB + dir));
  }

  @Test
  void writtenFromTheAmazonLinux2023Headers(@TempDir Path out) throws IOException {
    SortedMap<Integer, byte[]> headers = sqliteHeaders(SharedData.path(AL2023 + "rpmdb.sqlite"));
    assertEquals(103, headers.size());
    writeAndJudge(headers, out, expectedRows(AL2023));
  }

  @Test
  void libdbWritesIntoOurFilesAndWeReadWhatLibdbWrote(@TempDir Path out) throws IOException {
    SortedMap<Integer, byte[]> headers = sqliteHeaders(SharedData.path(AL2023 + "rpmdb.sqlite"));
    RpmBdb.write(out, headers, indexes(headers));
    String load = Judges.require("db5.3_load");
    // Packages: enough new headers (copies of real blobs under new numbers) to make libdb split buckets.
    List<byte[][]> added = new ArrayList<>();
    int n = 1000;
    for (byte[] blob : headers.values()) {
      added.add(new byte[][] {le(n++), blob});
    }
    Path packages = out.resolve("Packages");
    Judges.run(List.of(load, "-f", "/dev/stdin", packages.toString()), Judges.loadInput("hash", added))
        .ok("db5.3_load into Packages");
    Judges.verify(packages);
    SortedMap<Integer, byte[]> after = RpmBdb.readPackages(packages);
    assertEquals(headers.size() * 2, after.size());
    for (Map.Entry<Integer, byte[]> h : headers.entrySet()) {
      assertArrayEquals(h.getValue(), after.get(h.getKey()));
    }
    for (byte[][] a : added) {
      assertArrayEquals(a[1], after.get(ByteBuffer.wrap(a[0]).order(ByteOrder.LITTLE_ENDIAN).getInt()));
    }
    assertEquals(headers.size() * 2 + 1, Judges.dump(packages).size());
    // An index: a few thousand new keys, so that libdb splits leaves and grows the tree.
    Path basenames = out.resolve("Basenames");
    SortedMap<byte[], List<long[]>> before = RpmBdb.readIndex(basenames);
    List<byte[][]> keys = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      keys.add(new byte[][] {("zz-added-" + i).getBytes(StandardCharsets.US_ASCII), pairs(new long[] {7, i})});
    }
    Judges.run(List.of(load, "-f", "/dev/stdin", basenames.toString()), Judges.loadInput("btree", keys))
        .ok("db5.3_load into Basenames");
    Judges.verify(basenames);
    SortedMap<byte[], List<long[]>> grown = RpmBdb.readIndex(basenames);
    assertEquals(before.size() + keys.size(), grown.size());
    for (byte[][] k : keys) {
      assertArrayEquals(k[1], pairs(grown.get(k[0]).toArray(long[][]::new)));
    }
    for (Map.Entry<byte[], List<long[]>> e : before.entrySet()) {
      assertArrayEquals(pairs(e.getValue().toArray(long[][]::new)), pairs(grown.get(e.getKey()).toArray(long[][]::new)));
    }
  }

  // ------------------------------------------------------------------ the judging

  private static void writeAndJudge(SortedMap<Integer, byte[]> headers, Path out, Map<String, String> expected)
      throws IOException {
    Map<String, SortedMap<byte[], List<long[]>>> indexes = indexes(headers);
    RpmBdb.write(out, headers, indexes);

    // libdb accepts every file, and lists what we put in.
    Judges.verify(out.resolve("Packages"));
    List<byte[][]> dumped = Judges.dump(out.resolve("Packages"));
    assertEquals(headers.size() + 1, dumped.size());
    Map<Integer, byte[]> byKey = new TreeMap<>();
    for (byte[][] p : dumped) {
      byKey.put(ByteBuffer.wrap(p[0]).order(ByteOrder.LITTLE_ENDIAN).getInt(), p[1]);
    }
    assertArrayEquals(le(headers.lastKey()), byKey.get(0), "key 0 holds the largest header number");
    for (Map.Entry<Integer, byte[]> h : headers.entrySet()) {
      assertArrayEquals(h.getValue(), byKey.get(h.getKey()), "header " + h.getKey());
    }
    for (String name : RpmBdb.INDEXES) {
      Path file = out.resolve(name);
      Judges.verify(file);
      SortedMap<byte[], List<long[]>> want = indexes.getOrDefault(name, RpmBdb.newIndex());
      List<byte[][]> got = Judges.dump(file);
      assertEquals(want.size(), got.size(), name);
      int i = 0;
      for (Map.Entry<byte[], List<long[]>> e : want.entrySet()) {
        // rpm stores an empty key (the basename of "/") as one NUL byte
        byte[] key = e.getKey().length == 0 ? new byte[1] : e.getKey();
        assertArrayEquals(key, got.get(i)[0], name + " key " + i);
        assertArrayEquals(pairs(e.getValue().toArray(long[][]::new)), got.get(i)[1], name + " value " + i);
        i++;
      }
      // and our reader reads back what it wrote
      SortedMap<byte[], List<long[]>> back = RpmBdb.readIndex(file);
      assertEquals(want.size(), back.size(), name);
    }
    assertEquals(headers.keySet(), RpmBdb.readPackages(out.resolve("Packages")).keySet());

    // rpm reads it: -qa prints the expected rows, -q finds each name, -qf finds owners through Basenames.
    Judges.Result qa = Judges.rpm(out, "-qa", "--qf", QF.replace("\\t", "\t").replace("\\n", "\n"));
    qa.ok("rpm -qa");
    assertEquals(new TreeSet<>(expected.values()), new TreeSet<>(List.of(qa.out().split("\n"))));
    assertEquals("", qa.err(), "rpm -qa warned");
    List<String> names = new ArrayList<>(new TreeSet<>(expected.keySet()));
    List<String> q = new ArrayList<>(List.of("-q", "--qf", "%{NAME}\n"));
    q.addAll(names);
    Judges.Result byName = Judges.rpm(out, q.toArray(String[]::new)).ok("rpm -q NAME...");
    assertEquals(names, List.of(byName.out().split("\n")));
    Map<String, TreeSet<String>> owners = new TreeMap<>();
    Map<String, String> sample = new LinkedHashMap<>();
    for (byte[] blob : headers.values()) {
      TestHeaders h = new TestHeaders(blob);
      for (String f : h.files()) {
        owners.computeIfAbsent(f, k -> new TreeSet<>()).add(h.name());
      }
      List<String> files = h.files();
      if (!files.isEmpty()) {
        sample.put(files.get(files.size() - 1), h.name());
      }
    }
    assertTrue(!sample.isEmpty() || headers.values().stream().allMatch(b -> new TestHeaders(b).files().isEmpty()));
    for (String f : sample.keySet()) {
      Judges.Result r = Judges.rpm(out, "-qf", f, "--qf", "%{NAME}\n").ok("rpm -qf " + f);
      assertEquals(owners.get(f), new TreeSet<>(List.of(r.out().split("\n"))), "owner of " + f);
    }
  }

  /** Name and Basenames as rpm fills them (for the test; the product computes every index elsewhere),
   * plus Providename, Requirename and Dirnames, whose values grow large enough for overflow pages. */
  static Map<String, SortedMap<byte[], List<long[]>>> indexes(SortedMap<Integer, byte[]> headers) {
    Map<String, SortedMap<byte[], List<long[]>>> out = new LinkedHashMap<>();
    for (String n : List.of("Name", "Basenames", "Providename", "Requirename", "Dirnames")) {
      out.put(n, RpmBdb.newIndex());
    }
    for (Map.Entry<Integer, byte[]> e : headers.entrySet()) {
      TestHeaders h = new TestHeaders(e.getValue());
      int hnum = e.getKey();
      add(out.get("Name"), h.name(), hnum, 0);
      List<String> basenames = h.strings(TestHeaders.BASENAMES);
      for (int i = 0; i < basenames.size(); i++) {
        // every file: one basename under two directories is two entries
        add(out.get("Basenames"), basenames.get(i), hnum, i);
      }
      addAll(out.get("Providename"), h.strings(TestHeaders.PROVIDENAME), hnum);
      addAll(out.get("Requirename"), h.strings(TestHeaders.REQUIRENAME), hnum);
      addAll(out.get("Dirnames"), h.strings(TestHeaders.DIRNAMES), hnum);
    }
    return out;
  }

  private static void addAll(SortedMap<byte[], List<long[]>> index, List<String> keys, int hnum) {
    TreeSet<String> seen = new TreeSet<>();
    for (int i = 0; i < keys.size(); i++) {
      // a repeated value of one header once, at its first position
      if (seen.add(keys.get(i))) {
        add(index, keys.get(i), hnum, i);
      }
    }
  }

  private static void add(SortedMap<byte[], List<long[]>> index, String key, int hnum, int idx) {
    index.computeIfAbsent(key.getBytes(StandardCharsets.UTF_8), k -> new ArrayList<>()).add(new long[] {hnum, idx});
  }

  private static byte[] pairs(long[]... pairs) {
    ByteBuffer b = ByteBuffer.allocate(8 * pairs.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long[] p : pairs) {
      b.putInt((int) p[0]).putInt((int) p[1]);
    }
    return b.array();
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  /** name -> the expected-rpm-qa.tsv row (tab-separated, as the QF prints it). */
  private static Map<String, String> expectedRows(String dir) {
    Map<String, String> rows = new TreeMap<>();
    for (String line : SharedData.text(dir + "/expected-rpm-qa.tsv").split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        rows.put(line.substring(0, line.indexOf('\t')), line);
      }
    }
    return rows;
  }

  /** The header blobs of an rpmdb.sqlite, read in place by sqlite3 (immutable: nothing is written beside it). */
  static SortedMap<Integer, byte[]> sqliteHeaders(Path db) {
    Judges.Result r = Judges.run(Judges.require("sqlite3"), "file:" + db.toAbsolutePath() + "?immutable=1",
        "select hnum, hex(blob) from Packages").ok("sqlite3");
    SortedMap<Integer, byte[]> out = new TreeMap<>();
    for (String line : r.out().split("\n")) {
      if (!line.isBlank()) {
        int bar = line.indexOf('|');
        out.put(Integer.parseInt(line.substring(0, bar)), HexFormat.of().parseHex(line.substring(bar + 1).strip()));
      }
    }
    return out;
  }
}
