package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every header blob of the real SQLite rpm databases, read with sqlite3 in place. */
class HeaderTest {
  /** hnum → blob, read by the sqlite3 command from the database opened immutable (nothing written beside it). */
  static Map<Long, byte[]> blobs(Path db) throws Exception {
    String out = Tools.text(List.of("sqlite3", "-readonly", "file:" + db.toAbsolutePath() + "?immutable=1",
        "select hnum, hex(blob) from Packages order by hnum"));
    Map<Long, byte[]> blobs = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\\|");
      blobs.put(Long.parseLong(f[0]), HexFormat.of().parseHex(f[1]));
    }
    return blobs;
  }

  static String orNone(java.util.Optional<String> s) {
    return s.orElse("(none)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"cbl-mariner-2.0", "amazonlinux2023-plain"})
  void everyBlobParsesRoundTripsAndNamesItsPackage(String name) throws Exception {
    Path dir = SharedData.path("vectors/rpm/rpmdb/sqlite/" + name);
    Map<Long, byte[]> blobs = blobs(dir.resolve("rpmdb.sqlite"));
    List<String> expected = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("expected-rpm-qa.tsv"))) {
      if (!line.startsWith("#")) {
        String[] f = line.split("\t");
        expected.add(String.join("\t", f[0], f[1], f[2], f[3], f[4], f[9]));
      }
    }
    List<String> actual = new ArrayList<>();
    int dribbled = 0;
    for (Map.Entry<Long, byte[]> e : blobs.entrySet()) {
      String source = name + " hnum " + e.getKey();
      Header h = Header.ofBlob(e.getValue(), source);
      assertArrayEquals(e.getValue(), h.blob(), source);
      assertEquals(Tags.HEADERIMMUTABLE, h.regionTag(), source);
      // Round trip through the magic form.
      Header again = Header.read(new ByteArrayInputStream(h.withMagic()), source);
      assertArrayEquals(e.getValue(), again.blob(), source);
      String epoch = h.number(Tags.EPOCH).isPresent() ? Long.toString(h.number(Tags.EPOCH).getAsLong()) : "(none)";
      String sigmd5 = h.bytes(Tags.SIGMD5).map(b -> HexFormat.of().formatHex(b)).orElse("(none)");
      actual.add(String.join("\t", h.string(Tags.NAME).orElseThrow(), epoch, h.string(Tags.VERSION).orElseThrow(),
          h.string(Tags.RELEASE).orElseThrow(), orNone(h.string(Tags.ARCH)), sigmd5));

      // The layout rule: the package's immutable region plus the install-time entries rpm added,
      // put back with with(), gives the database's blob byte for byte.
      Header region = h.immutableRegion();
      List<Header.Value> installed = new ArrayList<>();
      int regionCount = region.entries().size();
      for (int i = regionCount; i < h.entries().size(); i++) {
        installed.add(h.value(h.entries().get(i).tag()).orElseThrow());
      }
      if (!installed.isEmpty()) {
        dribbled++;
        assertArrayEquals(e.getValue(), region.with(installed).blob(), source + ": rebuilt with its install-time tags");
      }
      assertArrayEquals(e.getValue(), h.with(List.of()).blob(), source + ": with() of nothing");
    }
    actual.sort(null);
    expected.sort(null);
    assertEquals(expected, actual);
    assertTrue(dribbled > 0, "install-time entries outside the region were seen");
  }

  @Test
  void withAddsReplacesAndKeepsTheRegion() throws Exception {
    Path db = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    byte[] blob = blobs(db).values().iterator().next();
    Header h = Header.ofBlob(blob, "first");
    Header changed = h.with(List.of(
        new Header.Value(Tags.RELEASE, Tags.STRING, "99.cm2"),
        new Header.Value(Tags.INSTALLTIME, Tags.INT32, new long[] {0xfffffffeL}),
        new Header.Value(Tags.LONGSIZE, Tags.INT64, new long[] {1L << 40}),
        new Header.Value(Tags.FILESTATES, Tags.CHAR, new long[] {1, 2}),
        new Header.Value(Tags.SOURCEPKGID, Tags.BIN, new byte[] {1, 2, 3})));
    assertEquals("99.cm2", changed.string(Tags.RELEASE).orElseThrow());
    assertEquals(0xfffffffeL, changed.number(Tags.INSTALLTIME).getAsLong());
    assertEquals(1L << 40, changed.number(Tags.LONGSIZE).getAsLong());
    assertArrayEquals(new long[] {1, 2}, changed.numbers(Tags.FILESTATES));
    assertArrayEquals(new byte[] {1, 2, 3}, changed.bytes(Tags.SOURCEPKGID).orElseThrow());
    assertEquals(h.string(Tags.NAME), changed.string(Tags.NAME));
    // The region is byte for byte the same; the replaced RELEASE stays inside it.
    assertArrayEquals(h.immutableRegion().blob(), changed.immutableRegion().blob());
    // Every entry after the region is aligned for its type.
    for (Header.Entry e : changed.entries()) {
      assertEquals(0, e.offset() % Tags.alignment(e.type()), "tag " + e.tag());
    }
  }

  @Test
  void hostileBlobsAreRefusedNamingTheSource() throws Exception {
    Path db = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    byte[] blob = blobs(db).values().iterator().next();
    byte[] bigIl = blob.clone();
    ByteBuffer.wrap(bigIl).putInt(0, 0x7fffffff);
    IOException e = assertThrows(IOException.class, () -> Header.ofBlob(bigIl, "evil"));
    assertTrue(e.getMessage().startsWith("evil: "), e.getMessage());
    byte[] bigDl = blob.clone();
    ByteBuffer.wrap(bigDl).putInt(4, 0x10000000);
    assertThrows(IOException.class, () -> Header.ofBlob(bigDl, "evil"));
    // A string entry's offset moved past the data.
    byte[] offset = blob.clone();
    ByteBuffer.wrap(offset).putInt(8 + 16 + 8, ByteBuffer.wrap(blob).getInt(4) - 1);
    assertThrows(IOException.class, () -> Header.ofBlob(offset, "evil"));
    // Truncated in a stream; a magic that is not rpm's.
    byte[] withMagic = Header.ofBlob(blob, "x").withMagic();
    assertThrows(IOException.class,
        () -> Header.read(new ByteArrayInputStream(withMagic, 0, withMagic.length - 1), "evil"));
    byte[] badMagic = withMagic.clone();
    badMagic[3] = 2;
    assertThrows(IOException.class, () -> Header.read(new ByteArrayInputStream(badMagic), "evil"));
    // The region trailer's count of entries larger than the index.
    Header h = Header.ofBlob(blob, "x");
    byte[] trailer = blob.clone();
    int il = ByteBuffer.wrap(blob).getInt(0);
    ByteBuffer.wrap(trailer).putInt(8 + 16 * il + h.entries().get(0).offset() + 8, -16 * (il + 1));
    assertThrows(IOException.class, () -> Header.ofBlob(trailer, "evil"));
  }

  @Test
  void typedAccessorsReadI18nAndArrays() throws Exception {
    Path db = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    Map<String, Header> byName = new TreeMap<>();
    for (Map.Entry<Long, byte[]> e : blobs(db).entrySet()) {
      Header h = Header.ofBlob(e.getValue(), "hnum " + e.getKey());
      byName.put(h.string(Tags.NAME).orElseThrow(), h);
    }
    Header curl = byName.get("curl");
    // go-rpmdb's expected curl: size 326023, SigMD5 b5f5369a...
    assertEquals(326023L, curl.number(Tags.SIZE).getAsLong());
    assertTrue(HexFormat.of().formatHex(curl.bytes(Tags.SIGMD5).orElseThrow()).startsWith("b5f5369a"));
    assertEquals(Tags.I18NSTRING, curl.value(Tags.SUMMARY).orElseThrow().type());
    assertEquals(List.of("C"), curl.strings(Tags.HEADERI18NTABLE));
    assertTrue(curl.string(Tags.SUMMARY).orElseThrow().length() > 0);
    assertEquals(curl.strings(Tags.BASENAMES).size(), curl.numbers(Tags.DIRINDEXES).length);
    assertEquals(curl.strings(Tags.BASENAMES).size(), curl.numbers(Tags.FILEMODES).length);
  }
}
