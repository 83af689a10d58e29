package dev.imagepatch.pkg.rpmdb.bdb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * rpm's Berkeley DB database (rpm 4.x {@code lib/backend/db3.c}) in a directory such as {@code
 * /var/lib/rpm}: {@code Packages}, a hash file whose keys are header numbers (4-byte integers in
 * the file's byte order) and whose values are header blobs, key 0 holding the largest header number
 * allocated so far; and one btree file per index ({@link #INDEXES}), each key mapping to the
 * concatenated (header number, tag index) pairs of the headers that carry it, 8 bytes a pair in the
 * file's byte order. rpm creates {@code Packages} as DB_HASH and every index as DB_BTREE, sets no
 * page size, fill factor, comparison or duplicates, so libdb's defaults hold.
 *
 * <p>Index contents are computed elsewhere (backend-neutral); here they are only stored and read.
 */
public final class RpmBdb {
  /** The index files rpm 4.14+ keeps beside {@code Packages} ({@code dbiTags} in lib/rpmdb.c). */
  public static final List<String> INDEXES = List.of("Name", "Basenames", "Group", "Requirename",
      "Providename", "Conflictname", "Obsoletename", "Triggername", "Dirnames", "Installtid", "Sigmd5",
      "Sha1header", "Filetriggername", "Transfiletriggername", "Recommendname", "Suggestname",
      "Supplementname", "Enhancename");

  /** The primary file. */
  public static final String PACKAGES = "Packages";

  private RpmBdb() {}

  /** Keys in libdb's default btree order (unsigned bytes, shorter first), for index maps. */
  public static SortedMap<byte[], List<long[]>> newIndex() {
    return new TreeMap<>(BdbWriter::compareKeys);
  }

  /** The header blobs of a {@code Packages} file by header number (key 0, the instance counter, left out). */
  public static SortedMap<Integer, byte[]> readPackages(Path packagesFile) throws IOException {
    SortedMap<Integer, byte[]> out = new TreeMap<>(Integer::compareUnsigned);
    try (BdbReader r = BdbReader.open(packagesFile)) {
      if (r.type() != BdbReader.Type.HASH) {
        throw new IOException(packagesFile + ": Packages is a " + r.type() + " file, not a hash file");
      }
      ByteOrder order = r.order();
      List<IOException> bad = new ArrayList<>();
      r.forEach(e -> {
        byte[] k = e.key();
        if (k.length != 4) {
          bad.add(new IOException(packagesFile + ": a key of " + k.length + " bytes (header numbers have 4)"));
          return;
        }
        int hnum = ByteBuffer.wrap(k).order(order).getInt();
        if (hnum != 0 && out.put(hnum, e.value()) != null) {
          bad.add(new IOException(packagesFile + ": header number " + hnum + " twice"));
        }
      });
      if (!bad.isEmpty()) {
        throw bad.get(0);
      }
    }
    return out;
  }

  /**
   * Key 0 of a {@code Packages} file: rpm's instance counter, the last header number handed out
   * ({@code pkgdbNew} in lib/backend/db3.c reads it, adds one, and stores it back before it
   * writes the new header). 0 when the file has no key 0 (an empty database).
   */
  public static long readInstanceCounter(Path packagesFile) throws IOException {
    long[] counter = {0};
    List<IOException> bad = new ArrayList<>();
    try (BdbReader r = BdbReader.open(packagesFile)) {
      ByteOrder order = r.order();
      r.forEach(e -> {
        byte[] k = e.key();
        if (k.length == 4 && ByteBuffer.wrap(k).order(order).getInt() == 0) {
          if (e.value().length != 4) {
            bad.add(new IOException(packagesFile + ": key 0 (the instance counter) holds " + e.value().length
                + " bytes, not 4"));
            return;
          }
          counter[0] = Integer.toUnsignedLong(ByteBuffer.wrap(e.value()).order(order).getInt());
        }
      });
    }
    if (!bad.isEmpty()) {
      throw bad.get(0);
    }
    return counter[0];
  }

  /** An index file: each key with its (header number, tag index) pairs, in stored order. */
  public static SortedMap<byte[], List<long[]>> readIndex(Path indexFile) throws IOException {
    SortedMap<byte[], List<long[]>> out = newIndex();
    try (BdbReader r = BdbReader.open(indexFile)) {
      ByteOrder order = r.order();
      List<IOException> bad = new ArrayList<>();
      r.forEach(e -> {
        byte[] v = e.value();
        if (v.length % 8 != 0) {
          bad.add(new IOException(indexFile + ": a value of " + v.length + " bytes (pairs have 8)"));
          return;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(order);
        List<long[]> pairs = new ArrayList<>(v.length / 8);
        while (b.hasRemaining()) {
          pairs.add(new long[] {Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt())});
        }
        out.put(e.key(), pairs);
      });
      if (!bad.isEmpty()) {
        throw bad.get(0);
      }
    }
    return out;
  }

  /**
   * Writes {@code Packages} and every index of {@link #INDEXES} (and any other index named in
   * {@code indexes}) into {@code dir}; an index without entries is written empty, as rpm leaves it.
   * Key 0 of {@code Packages} gets the largest header number. A key of length 0 is stored as one NUL
   * byte, as rpm stores it.
   */
  public static void write(Path dir, SortedMap<Integer, byte[]> headers,
      Map<String, ? extends SortedMap<byte[], List<long[]>>> indexes, BdbWriter writer) throws IOException {
    write(dir, headers, indexes, 0, writer);
  }

  /**
   * As {@link #write(Path, SortedMap, Map, BdbWriter)}, key 0 of {@code Packages} holding
   * {@code instanceCounter} (or the largest header number, if that is larger). A database that was
   * read and changed must keep its counter: rpm never hands out a header number twice, so after
   * the highest-numbered package was removed key 0 still names it, and the next add takes the
   * number after it (recomputing key 0 from the remaining headers would lower it, and rpm would
   * then reuse a number that index entries elsewhere, e.g. an image's other layers, may still hold).
   */
  public static void write(Path dir, SortedMap<Integer, byte[]> headers,
      Map<String, ? extends SortedMap<byte[], List<long[]>>> indexes, long instanceCounter, BdbWriter writer)
      throws IOException {
    if (instanceCounter < 0 || instanceCounter > 0xffffffffL) {
      throw new IllegalArgumentException("instance counter " + instanceCounter);
    }
    Files.createDirectories(dir);
    writer.writeHash(dir.resolve(PACKAGES), packagesEntries(headers, instanceCounter, writer.order()));
    List<String> names = new ArrayList<>(INDEXES);
    for (String n : indexes.keySet()) {
      if (!names.contains(n)) {
        if (n.isEmpty() || n.contains("/") || n.startsWith(".") || n.equals(PACKAGES)) {
          throw new IllegalArgumentException("index name " + n);
        }
        names.add(n);
      }
    }
    for (String n : names) {
      SortedMap<byte[], List<long[]>> idx = indexes.get(n);
      writer.writeBtree(dir.resolve(n), indexEntries(idx == null ? Collections.emptySortedMap() : idx, writer.order()));
    }
  }

  /**
   * The index files' content for {@code headers}, as rpm's {@code tag2index} fills them
   * ({@link dev.imagepatch.pkg.rpmdb.RpmIndexes}, shared with the SQLite backend): each key with
   * its (header number, element index) pairs in header-number order, as rpm appends them.
   */
  public static Map<String, SortedMap<byte[], List<long[]>>> indexes(SortedMap<Integer, dev.imagepatch.pkg.rpm.Header> headers) {
    Map<String, SortedMap<byte[], List<long[]>>> out = new java.util.LinkedHashMap<>();
    for (dev.imagepatch.pkg.rpmdb.RpmIndexes.Index index : dev.imagepatch.pkg.rpmdb.RpmIndexes.Index.values()) {
      out.put(index.table(), newIndex());
    }
    for (Map.Entry<Integer, dev.imagepatch.pkg.rpm.Header> h : headers.entrySet()) {
      for (Map.Entry<dev.imagepatch.pkg.rpmdb.RpmIndexes.Index, List<dev.imagepatch.pkg.rpmdb.RpmIndexes.Entry>> e
          : dev.imagepatch.pkg.rpmdb.RpmIndexes.all(h.getValue(), h.getKey()).entrySet()) {
        SortedMap<byte[], List<long[]>> index = out.get(e.getKey().table());
        for (dev.imagepatch.pkg.rpmdb.RpmIndexes.Entry entry : e.getValue()) {
          index.computeIfAbsent(entry.key(), k -> new ArrayList<>()).add(new long[] {entry.hnum(), entry.idx()});
        }
      }
    }
    return out;
  }

  /** {@code Packages} and every index for {@code headers}, the indexes derived as rpm derives them. */
  public static void write(Path dir, SortedMap<Integer, dev.imagepatch.pkg.rpm.Header> headers, BdbWriter writer)
      throws IOException {
    SortedMap<Integer, byte[]> blobs = new java.util.TreeMap<>();
    headers.forEach((n, h) -> blobs.put(n, h.blob()));
    write(dir, blobs, indexes(headers), writer);
  }

  /** {@link #write(Path, SortedMap, Map, BdbWriter)} with little-endian 4 KiB pages. */
  public static void write(Path dir, SortedMap<Integer, byte[]> headers,
      Map<String, ? extends SortedMap<byte[], List<long[]>>> indexes) throws IOException {
    write(dir, headers, indexes, new BdbWriter());
  }

  static List<BdbEntry> packagesEntries(SortedMap<Integer, byte[]> headers, ByteOrder order) {
    return packagesEntries(headers, 0, order);
  }

  static List<BdbEntry> packagesEntries(SortedMap<Integer, byte[]> headers, long counter, ByteOrder order) {
    List<BdbEntry> entries = new ArrayList<>(headers.size() + 1);
    long max = counter;
    for (Map.Entry<Integer, byte[]> h : headers.entrySet()) {
      long n = Integer.toUnsignedLong(h.getKey());
      if (n == 0) {
        throw new IllegalArgumentException("header number 0 is rpm's instance counter");
      }
      max = Math.max(max, n);
      entries.add(new BdbEntry(int32(h.getKey(), order), h.getValue()));
    }
    if (max != 0) {
      // rpm keeps key 0 once a header was ever added, even when every package is gone again
      entries.add(new BdbEntry(int32(0, order), int32((int) max, order)));
    }
    return entries;
  }

  static List<BdbEntry> indexEntries(SortedMap<byte[], List<long[]>> index, ByteOrder order) {
    List<BdbEntry> entries = new ArrayList<>(index.size());
    for (Map.Entry<byte[], List<long[]>> e : index.entrySet()) {
      List<long[]> pairs = e.getValue();
      if (pairs.isEmpty()) {
        continue;
      }
      ByteBuffer b = ByteBuffer.allocate(8 * pairs.size()).order(order);
      for (long[] p : pairs) {
        b.putInt((int) p[0]).putInt((int) p[1]);
      }
      byte[] key = e.getKey().length == 0 ? new byte[1] : e.getKey();
      entries.add(new BdbEntry(key, b.array()));
    }
    return entries;
  }

  private static byte[] int32(int v, ByteOrder order) {
    return ByteBuffer.allocate(4).order(order).putInt(v).array();
  }
}
