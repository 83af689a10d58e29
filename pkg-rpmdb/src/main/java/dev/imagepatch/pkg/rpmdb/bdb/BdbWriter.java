package dev.imagepatch.pkg.rpmdb.bdb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes fresh libdb 5.3 hash and btree files (format version 9), laid out as libdb would hold the
 * same pairs after loading them, so that libdb opens them read-write and {@code db_verify} accepts
 * them:
 *
 * <ul>
 *   <li>hash: a power-of-two number of buckets on consecutive pages from page 1 (spare points all 1,
 *       as {@code __ham_init_meta} lays out a pre-sized table), keys placed by {@code __ham_func5}
 *       masked with high/low mask, each page's pairs sorted by key (page type 13, sorted hash),
 *       items packed from the page end in index order, a full bucket continued on a chained bucket
 *       page, data larger than a quarter page on overflow pages, fill factor 0 and {@code h_charkey}
 *       as libdb checks them on open;</li>
 *   <li>btree: sorted unique keys (libdb's default comparison: unsigned bytes, shorter first) on
 *       leaf pages linked left to right, internal levels above with libdb's default prefix
 *       separators ({@code __bam_defpfx}) and an unused empty first key, root at page 1, items over
 *       {@code B_MINKEY_TO_OVFLSIZE} (1007 bytes at 4 KiB) on overflow pages, 4-byte aligned;</li>
 *   <li>every page carries the not-logged LSN [0][1]; no free pages; a file id derived from the
 *       content and the file's name (libdb keys its buffer pool on it, so files differ).</li>
 * </ul>
 */
public final class BdbWriter {
  /** The page size libdb picks for rpm's files on the usual 4 KiB-block filesystems. */
  public static final int DEFAULT_PAGE_SIZE = 4096;

  private final ByteOrder order;
  private final int pageSize;

  /** A writer for little-endian (x86_64, aarch64: native) 4 KiB pages, as rpm's files there are. */
  public BdbWriter() {
    this(ByteOrder.LITTLE_ENDIAN, DEFAULT_PAGE_SIZE);
  }

  public BdbWriter(ByteOrder order, int pageSize) {
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException("page size " + pageSize);
    }
    this.order = order;
    this.pageSize = pageSize;
  }

  public ByteOrder order() {
    return order;
  }

  /** libdb's default btree key order: unsigned bytes, a prefix before what extends it. */
  public static int compareKeys(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /** Writes a hash file of {@code entries} (unique keys, any order) to {@code file}, replacing it atomically. */
  public void writeHash(Path file, List<BdbEntry> entries) throws IOException {
    write(file, hash(entries, uidSeed(file)));
  }

  /** Writes a btree file of {@code entries} (unique keys, any order) to {@code file}, replacing it atomically. */
  public void writeBtree(Path file, List<BdbEntry> entries) throws IOException {
    write(file, btree(entries, uidSeed(file)));
  }

  private static String uidSeed(Path file) {
    Path name = file.getFileName();
    return name == null ? "" : name.toString();
  }

  private void write(Path file, List<byte[]> pages) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        for (byte[] p : pages) {
          out.write(p);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  // ---------------------------------------------------------------- hash

  /** The pages of a hash file holding {@code entries}. */
  List<byte[]> hash(List<BdbEntry> entries, String uidSeed) {
    List<BdbEntry> sorted = sortedUnique(entries);
    int big = Libdb.hashBigThreshold(pageSize);
    int room = pageSize - Libdb.PAGE_HEADER;
    long bytes = 0;
    for (BdbEntry e : sorted) {
      if (e.key().length > big || e.key().length + 1 + 4 > room) {
        throw new IllegalArgumentException("hash key of " + e.key().length + " bytes: keys larger than "
            + big + " bytes are not written");
      }
      bytes += pairSize(e, big);
    }
    // Fill bucket pages to about 3/4 on average; libdb pre-sizes the same way from h_nelem.
    long wanted = Math.max(2, (bytes * 4 / 3 + room - 1) / room);
    int l2 = Libdb.log2(wanted);
    if (l2 > 30) {
      throw new IllegalArgumentException("too many hash buckets");
    }
    int nbuckets = 1 << l2;
    int highMask = nbuckets - 1;
    int lowMask = (nbuckets >> 1) - 1;
    List<List<BdbEntry>> buckets = new ArrayList<>();
    for (int i = 0; i < nbuckets; i++) {
      buckets.add(new ArrayList<>());
    }
    for (BdbEntry e : sorted) {
      int b = Libdb.hash(e.key()) & highMask;
      if (Integer.compareUnsigned(b, nbuckets - 1) > 0) {
        b &= lowMask;
      }
      buckets.get(b).add(e);
    }
    List<byte[]> pages = new ArrayList<>();
    pages.add(null); // meta, filled last
    for (int i = 0; i < nbuckets; i++) {
      pages.add(newPage(i + 1, Libdb.P_HASH, 0));
    }
    for (int b = 0; b < nbuckets; b++) {
      int pgno = b + 1;
      PageFill fill = new PageFill(pages.get(pgno));
      for (BdbEntry e : buckets.get(b)) {
        byte[] keyItem = hashKeyData(e.key());
        byte[] value = e.value();
        int valueSize = value.length > big ? Libdb.OVERFLOW_REF : value.length + 1;
        if (!fill.fits(keyItem.length + valueSize, 2)) {
          int next = pages.size();
          byte[] np = newPage(next, Libdb.P_HASH, 0);
          pages.add(np);
          ByteBuffer cur = buf(fill.page);
          cur.putInt(16, next);
          buf(np).putInt(12, pgno);
          pgno = next;
          fill = new PageFill(np);
        }
        byte[] valueItem;
        if (value.length > big) {
          int first = overflow(pages, value);
          valueItem = new byte[Libdb.OVERFLOW_REF];
          ByteBuffer vb = buf(valueItem);
          valueItem[0] = (byte) Libdb.H_OFFPAGE;
          vb.putInt(4, first);
          vb.putInt(8, value.length);
        } else {
          valueItem = hashKeyData(value);
        }
        fill.add(keyItem, 1);
        fill.add(valueItem, 1);
      }
    }
    byte[] meta = metaCommon(Libdb.P_HASHMETA, Libdb.HASH_MAGIC, pages.size() - 1);
    ByteBuffer m = buf(meta);
    m.putInt(72, nbuckets - 1); // max_bucket
    m.putInt(76, highMask);
    m.putInt(80, lowMask);
    m.putInt(84, 0); // ffactor: rpm sets none
    m.putInt(88, sorted.size()); // nelem
    m.putInt(92, Libdb.hash(Libdb.CHARKEY));
    for (int i = 0; i <= l2; i++) {
      m.putInt(96 + 4 * i, 1); // bucket b on page b + 1
    }
    pages.set(0, meta);
    stampUid(pages, uidSeed);
    return pages;
  }

  private static long pairSize(BdbEntry e, int big) {
    long v = e.value().length > big ? Libdb.OVERFLOW_REF : e.value().length + 1L;
    return e.key().length + 1L + v + 4;
  }

  private static byte[] hashKeyData(byte[] data) {
    byte[] item = new byte[data.length + 1];
    item[0] = (byte) Libdb.H_KEYDATA;
    System.arraycopy(data, 0, item, 1, data.length);
    return item;
  }

  // ---------------------------------------------------------------- btree

  /** The pages of a btree file holding {@code entries}. */
  List<byte[]> btree(List<BdbEntry> entries, String uidSeed) {
    List<BdbEntry> sorted = sortedUnique(entries);
    int ovfl = Libdb.btreeOverflowSize(pageSize, Libdb.DEFAULT_MINKEY);
    // Pass 1: group the pairs into leaves by size.
    List<int[]> leaves = new ArrayList<>(); // [from, to)
    int from = 0;
    int used = 0;
    for (int i = 0; i < sorted.size(); i++) {
      int size = leafItemSize(sorted.get(i).key(), ovfl) + leafItemSize(sorted.get(i).value(), ovfl) + 4;
      if (i > from && Libdb.PAGE_HEADER + used + size > pageSize) {
        leaves.add(new int[] {from, i});
        from = i;
        used = 0;
      }
      used += size;
    }
    if (from < sorted.size() || leaves.isEmpty()) {
      leaves.add(new int[] {from, sorted.size()});
    }
    // Nodes of the current level: page content builders with their key range.
    List<Node> level = new ArrayList<>();
    for (int[] r : leaves) {
      Node n = new Node();
      n.leaf = r;
      if (r[1] > r[0]) {
        n.first = sorted.get(r[0]).key();
        n.last = sorted.get(r[1] - 1).key();
      }
      level.add(n);
    }
    List<List<Node>> levels = new ArrayList<>();
    levels.add(level);
    int height = Libdb.LEAFLEVEL;
    while (level.size() > 1) {
      height++;
      List<Node> up = new ArrayList<>();
      Node cur = null;
      int curUsed = 0;
      for (int i = 0; i < level.size(); i++) {
        Node child = level.get(i);
        byte[] sep = i == 0 ? new byte[0] : separator(level.get(i - 1).last, child.first);
        if (sep.length > ovfl) {
          throw new IllegalArgumentException("btree separator of " + sep.length + " bytes: keys sharing a prefix"
              + " longer than " + ovfl + " bytes are not written");
        }
        int size = Libdb.align4(12 + sep.length) + 2;
        if (cur != null && Libdb.PAGE_HEADER + curUsed + size > pageSize) {
          cur = null;
        }
        if (cur == null) {
          cur = new Node();
          cur.children = new ArrayList<>();
          cur.seps = new ArrayList<>();
          cur.first = child.first;
          up.add(cur);
          sep = new byte[0]; // the leftmost key of an internal page is never compared
          curUsed = Libdb.align4(12) + 2;
        } else {
          curUsed += size;
        }
        cur.children.add(child);
        cur.seps.add(sep);
        cur.last = child.last;
        cur.level = height;
      }
      levels.add(up);
      level = up;
    }
    // Number the pages: root 1, then the other internal levels top-down, then leaves.
    int next = 1;
    for (int l = levels.size() - 1; l >= 0; l--) {
      for (Node n : levels.get(l)) {
        n.pgno = next++;
      }
    }
    List<byte[]> pages = new ArrayList<>();
    for (int i = 0; i < next; i++) {
      pages.add(null);
    }
    // Leaves.
    List<Node> leafNodes = levels.get(0);
    for (int li = 0; li < leafNodes.size(); li++) {
      Node n = leafNodes.get(li);
      byte[] page = newPage(n.pgno, Libdb.P_LBTREE, Libdb.LEAFLEVEL);
      ByteBuffer pb = buf(page);
      pb.putInt(12, li == 0 ? 0 : leafNodes.get(li - 1).pgno);
      pb.putInt(16, li == leafNodes.size() - 1 ? 0 : leafNodes.get(li + 1).pgno);
      pages.set(n.pgno, page);
      PageFill fill = new PageFill(page);
      for (int i = n.leaf[0]; i < n.leaf[1]; i++) {
        fill.add(leafItem(pages, sorted.get(i).key(), ovfl), 1);
        fill.add(leafItem(pages, sorted.get(i).value(), ovfl), 1);
      }
    }
    // Internal pages.
    for (int l = 1; l < levels.size(); l++) {
      List<Node> nodes = levels.get(l);
      for (Node n : nodes) {
        byte[] page = newPage(n.pgno, Libdb.P_IBTREE, n.level);
        pages.set(n.pgno, page);
        PageFill fill = new PageFill(page);
        for (int c = 0; c < n.children.size(); c++) {
          byte[] sep = n.seps.get(c);
          byte[] item = new byte[Libdb.align4(12 + sep.length)];
          ByteBuffer ib = buf(item);
          ib.putShort(0, (short) sep.length);
          item[2] = (byte) Libdb.B_KEYDATA;
          ib.putInt(4, n.children.get(c).pgno);
          ib.putInt(8, 0); // nrecs: kept only with DB_RECNUM
          System.arraycopy(sep, 0, item, 12, sep.length);
          fill.add(item, 1);
        }
      }
    }
    byte[] meta = metaCommon(Libdb.P_BTREEMETA, Libdb.BTREE_MAGIC, pages.size() - 1);
    ByteBuffer m = buf(meta);
    m.putInt(76, Libdb.DEFAULT_MINKEY);
    m.putInt(80, 0); // re_len
    m.putInt(84, ' '); // re_pad, libdb's default
    m.putInt(88, 1); // root
    pages.set(0, meta);
    stampUid(pages, uidSeed);
    return pages;
  }

  private static final class Node {
    int[] leaf;
    List<Node> children;
    List<byte[]> seps;
    byte[] first = new byte[0];
    byte[] last = new byte[0];
    int level = Libdb.LEAFLEVEL;
    int pgno;
  }

  /** {@code __bam_defpfx}: the shortest prefix of {@code b} that sorts after {@code a}. */
  static byte[] separator(byte[] a, byte[] b) {
    int len = Math.min(a.length, b.length);
    for (int i = 0; i < len; i++) {
      if (a[i] != b[i]) {
        return Arrays.copyOf(b, i + 1);
      }
    }
    if (a.length < b.length) {
      return Arrays.copyOf(b, a.length + 1);
    }
    return b.clone();
  }

  private static int leafItemSize(byte[] data, int ovfl) {
    return data.length > ovfl ? Libdb.OVERFLOW_REF : Libdb.align4(3 + data.length);
  }

  private byte[] leafItem(List<byte[]> pages, byte[] data, int ovfl) {
    if (data.length > ovfl) {
      byte[] item = new byte[Libdb.OVERFLOW_REF];
      ByteBuffer ib = buf(item);
      item[2] = (byte) Libdb.B_OVERFLOW;
      ib.putInt(4, overflow(pages, data));
      ib.putInt(8, data.length);
      return item;
    }
    byte[] item = new byte[Libdb.align4(3 + data.length)];
    buf(item).putShort(0, (short) data.length);
    item[2] = (byte) Libdb.B_KEYDATA;
    System.arraycopy(data, 0, item, 3, data.length);
    return item;
  }

  // ---------------------------------------------------------------- pages

  /** Appends the overflow chain holding {@code data}; returns its first page number. */
  private int overflow(List<byte[]> pages, byte[] data) {
    int per = pageSize - Libdb.PAGE_HEADER;
    int first = pages.size();
    int prev = 0;
    for (int off = 0; off < data.length; off += per) {
      int len = Math.min(per, data.length - off);
      int pgno = pages.size();
      byte[] p = newPage(pgno, Libdb.P_OVERFLOW, 0);
      ByteBuffer pb = buf(p);
      pb.putInt(12, prev);
      pb.putInt(16, off + len < data.length ? pgno + 1 : 0);
      pb.putShort(20, (short) 1); // reference count
      pb.putShort(22, (short) len); // bytes on this page
      System.arraycopy(data, off, p, Libdb.PAGE_HEADER, len);
      pages.add(p);
      prev = pgno;
    }
    return first;
  }

  private byte[] newPage(int pgno, int type, int level) {
    byte[] p = new byte[pageSize];
    ByteBuffer b = buf(p);
    b.putInt(0, 0);
    b.putInt(4, Libdb.LSN_NOT_LOGGED_OFFSET);
    b.putInt(8, pgno);
    b.putShort(20, (short) 0);
    b.putShort(22, (short) pageSize);
    p[24] = (byte) level;
    p[25] = (byte) type;
    return p;
  }

  private byte[] metaCommon(int type, int magic, int lastPgno) {
    byte[] p = new byte[pageSize];
    ByteBuffer b = buf(p);
    b.putInt(4, Libdb.LSN_NOT_LOGGED_OFFSET);
    b.putInt(8, 0);
    b.putInt(12, magic);
    b.putInt(16, Libdb.VERSION);
    b.putInt(20, pageSize);
    p[24] = 0; // not encrypted
    p[25] = (byte) type;
    b.putInt(28, 0); // free list: empty
    b.putInt(32, lastPgno);
    return p;
  }

  /** A file id (meta bytes 52-71) from the file's name and content: distinct files, reproducible output. */
  private static void stampUid(List<byte[]> pages, String seed) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      for (byte[] p : pages) {
        d.update(p);
      }
      System.arraycopy(d.digest(), 0, pages.get(0), 52, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private ByteBuffer buf(byte[] b) {
    return ByteBuffer.wrap(b).order(order);
  }

  /** Items packed downward from the page end in index order, their offsets in the index array. */
  private final class PageFill {
    final byte[] page;
    int n;
    int low;

    PageFill(byte[] page) {
      this.page = page;
      this.n = 0;
      this.low = pageSize;
    }

    boolean fits(int itemBytes, int items) {
      return Libdb.PAGE_HEADER + 2 * (n + items) + itemBytes <= low;
    }

    void add(byte[] item, int count) {
      if (!fits(item.length, count)) {
        throw new IllegalStateException("page overfull");
      }
      low -= item.length;
      System.arraycopy(item, 0, page, low, item.length);
      ByteBuffer b = buf(page);
      b.putShort(Libdb.PAGE_HEADER + 2 * n, (short) low);
      n++;
      b.putShort(20, (short) n);
      b.putShort(22, (short) low);
    }
  }

  private static List<BdbEntry> sortedUnique(List<BdbEntry> entries) {
    List<BdbEntry> sorted = new ArrayList<>(entries);
    sorted.sort((x, y) -> compareKeys(x.key(), y.key()));
    for (int i = 1; i < sorted.size(); i++) {
      if (compareKeys(sorted.get(i - 1).key(), sorted.get(i).key()) == 0) {
        throw new IllegalArgumentException("duplicate key " + Arrays.toString(sorted.get(i).key()));
      }
    }
    return sorted;
  }
}
