package dev.imagepatch.pkg.rpmdb.bdb;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a libdb hash or btree file (meta page version 8-10, either byte order) page by page, as
 * libdb's cursor walks it: hash buckets in order with their overflow chains, btree leaves from the
 * leftmost along their sibling links. Big items are reassembled from their overflow pages. Every
 * page number, offset and length is bounded by the file; a page visited twice (a cycle) is refused.
 */
public final class BdbReader implements Closeable {
  /** The access method of a file. */
  public enum Type { HASH, BTREE }

  private final FileChannel channel;
  private final String source;
  private final Type type;
  private final ByteOrder order;
  private final int pageSize;
  private final long lastPage;
  private final long root;
  private final long maxBucket;
  private final long[] spares = new long[Libdb.NCACHED];

  private BdbReader(FileChannel channel, String source) throws IOException {
    this.channel = channel;
    this.source = source;
    ByteBuffer meta = ByteBuffer.allocate(512);
    readFully(meta, 0);
    meta.order(ByteOrder.LITTLE_ENDIAN);
    int magic = meta.getInt(12);
    ByteOrder o = ByteOrder.LITTLE_ENDIAN;
    if (magic != Libdb.HASH_MAGIC && magic != Libdb.BTREE_MAGIC) {
      o = ByteOrder.BIG_ENDIAN;
      meta.order(o);
      magic = meta.getInt(12);
    }
    if (magic == Libdb.HASH_MAGIC) {
      type = Type.HASH;
    } else if (magic == Libdb.BTREE_MAGIC) {
      type = Type.BTREE;
    } else {
      throw new IOException(source + ": not a Berkeley DB hash or btree file");
    }
    order = o;
    int version = meta.getInt(16);
    if (version < (type == Type.HASH ? 8 : 9) || version > 10) {
      throw new IOException(source + ": unsupported " + type + " version " + version);
    }
    pageSize = meta.getInt(20);
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
      throw new IOException(source + ": bad page size " + pageSize);
    }
    if ((meta.get(24) & 0xff) != 0) {
      throw new IOException(source + ": encrypted databases are not supported");
    }
    lastPage = Integer.toUnsignedLong(meta.getInt(32));
    if ((lastPage + 1) * pageSize > channel.size()) {
      throw new IOException(source + ": last page " + lastPage + " is past the end of the file");
    }
    if (type == Type.HASH) {
      maxBucket = Integer.toUnsignedLong(meta.getInt(72));
      for (int i = 0; i < Libdb.NCACHED; i++) {
        spares[i] = Integer.toUnsignedLong(meta.getInt(96 + 4 * i));
      }
      root = 0;
      int flags = meta.getInt(48);
      if ((flags & 0x01) != 0) {
        throw new IOException(source + ": hash files with duplicates are not supported");
      }
    } else {
      root = Integer.toUnsignedLong(meta.getInt(88));
      maxBucket = 0;
      int flags = meta.getInt(48);
      if ((flags & (0x01 | 0x02 | 0x20 | 0x80)) != 0) {
        throw new IOException(source + ": btree flags 0x" + Integer.toHexString(flags)
            + " (duplicates, recno, subdatabases or compression) are not supported");
      }
    }
  }

  /** Opens a file for reading. */
  public static BdbReader open(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new BdbReader(ch, file.toString());
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Every key/data pair of {@code file}, in cursor order. */
  public static List<BdbEntry> readAll(Path file) throws IOException {
    try (BdbReader r = open(file)) {
      List<BdbEntry> out = new ArrayList<>();
      r.forEach(out::add);
      return out;
    }
  }

  public Type type() {
    return type;
  }

  public ByteOrder order() {
    return order;
  }

  public int pageSize() {
    return pageSize;
  }

  /** Calls {@code action} with every key/data pair in cursor order. */
  public void forEach(Consumer<BdbEntry> action) throws IOException {
    BitSet seen = new BitSet();
    if (type == Type.HASH) {
      for (long bucket = 0; bucket <= maxBucket; bucket++) {
        long pg = bucket + spares[Libdb.log2(bucket + 1)];
        while (pg != 0) {
          ByteBuffer page = page(pg, seen);
          int t = page.get(25) & 0xff;
          if (t != Libdb.P_HASH && t != Libdb.P_HASH_UNSORTED) {
            throw new IOException(source + ": page " + pg + " of bucket " + bucket + " has type " + t);
          }
          int n = entries(page);
          if (n % 2 != 0) {
            throw new IOException(source + ": hash page " + pg + " has an odd number of items");
          }
          int prevOff = pageSize;
          for (int i = 0; i < n; i += 2) {
            int koff = inp(page, i);
            int voff = inp(page, i + 1);
            if (koff >= prevOff || voff >= koff) {
              throw new IOException(source + ": hash page " + pg + " items out of order");
            }
            byte[] key = hashItem(page, koff, prevOff - koff, pg, seen);
            byte[] value = hashItem(page, voff, koff - voff, pg, seen);
            prevOff = voff;
            action.accept(new BdbEntry(key, value));
          }
          pg = Integer.toUnsignedLong(page.getInt(16));
        }
      }
    } else {
      long pg = root;
      ByteBuffer page = page(pg, seen);
      for (int depth = 0; (page.get(25) & 0xff) == Libdb.P_IBTREE; depth++) {
        if (entries(page) == 0 || depth > 64) {
          throw new IOException(source + ": bad internal page " + pg);
        }
        int off = inp(page, 0);
        check(off + 12 <= pageSize, pg);
        pg = Integer.toUnsignedLong(page.getInt(off + 4));
        page = page(pg, seen);
      }
      while (true) {
        if ((page.get(25) & 0xff) != Libdb.P_LBTREE) {
          throw new IOException(source + ": page " + pg + " is not a btree leaf");
        }
        int n = entries(page);
        if (n % 2 != 0) {
          throw new IOException(source + ": leaf page " + pg + " has an odd number of items");
        }
        for (int i = 0; i < n; i += 2) {
          int koff = inp(page, i);
          int voff = inp(page, i + 1);
          check(koff + 3 <= pageSize && voff + 3 <= pageSize, pg);
          if ((page.get(koff + 2) & Libdb.B_DELETE) != 0 || (page.get(voff + 2) & Libdb.B_DELETE) != 0) {
            continue;
          }
          action.accept(new BdbEntry(btreeItem(page, koff, pg, seen), btreeItem(page, voff, pg, seen)));
        }
        pg = Integer.toUnsignedLong(page.getInt(16));
        if (pg == 0) {
          break;
        }
        page = page(pg, seen);
      }
    }
  }

  private byte[] hashItem(ByteBuffer page, int off, int len, long pg, BitSet seen) throws IOException {
    check(len >= 1 && off + len <= pageSize, pg);
    int t = page.get(off) & 0xff;
    if (t == Libdb.H_KEYDATA) {
      byte[] b = new byte[len - 1];
      page.get(off + 1, b);
      return b;
    }
    if (t == Libdb.H_OFFPAGE) {
      check(len == Libdb.OVERFLOW_REF, pg);
      return overflow(Integer.toUnsignedLong(page.getInt(off + 4)),
          Integer.toUnsignedLong(page.getInt(off + 8)), seen);
    }
    throw new IOException(source + ": hash page " + pg + ": item type " + t
        + (t == Libdb.H_DUPLICATE || t == Libdb.H_OFFDUP ? " (duplicates)" : "") + " is not supported");
  }

  private byte[] btreeItem(ByteBuffer page, int off, long pg, BitSet seen) throws IOException {
    int t = page.get(off + 2) & 0x7f;
    if (t == Libdb.B_KEYDATA) {
      int len = Short.toUnsignedInt(page.getShort(off));
      check(off + 3 + len <= pageSize, pg);
      byte[] b = new byte[len];
      page.get(off + 3, b);
      return b;
    }
    if (t == Libdb.B_OVERFLOW) {
      check(off + Libdb.OVERFLOW_REF <= pageSize, pg);
      return overflow(Integer.toUnsignedLong(page.getInt(off + 4)),
          Integer.toUnsignedLong(page.getInt(off + 8)), seen);
    }
    throw new IOException(source + ": leaf page " + pg + ": item type " + t + " is not supported");
  }

  private byte[] overflow(long pg, long total, BitSet seen) throws IOException {
    if (total > (lastPage + 1) * (long) pageSize || total > Integer.MAX_VALUE - 16) {
      throw new IOException(source + ": overflow item of " + total + " bytes is larger than the file");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
    while (out.size() < total) {
      if (pg == 0) {
        throw new IOException(source + ": overflow chain ends after " + out.size() + " of " + total + " bytes");
      }
      ByteBuffer page = page(pg, seen);
      check((page.get(25) & 0xff) == Libdb.P_OVERFLOW, pg);
      int len = Short.toUnsignedInt(page.getShort(22));
      check(Libdb.PAGE_HEADER + len <= pageSize && out.size() + len <= total, pg);
      out.write(page.array(), Libdb.PAGE_HEADER, len);
      pg = Integer.toUnsignedLong(page.getInt(16));
    }
    return out.toByteArray();
  }

  private ByteBuffer page(long pg, BitSet seen) throws IOException {
    if (pg == 0 || pg > lastPage) {
      throw new IOException(source + ": page number " + pg + " out of range (last page " + lastPage + ")");
    }
    if (seen.get((int) pg)) {
      throw new IOException(source + ": page " + pg + " is reached twice");
    }
    seen.set((int) pg);
    ByteBuffer b = ByteBuffer.allocate(pageSize);
    readFully(b, pg * pageSize);
    b.order(order);
    if (Integer.toUnsignedLong(b.getInt(8)) != pg) {
      throw new IOException(source + ": page " + pg + " says it is page " + Integer.toUnsignedLong(b.getInt(8)));
    }
    return b;
  }

  private int entries(ByteBuffer page) throws IOException {
    int n = Short.toUnsignedInt(page.getShort(20));
    if (Libdb.PAGE_HEADER + 2L * n > pageSize) {
      throw new IOException(source + ": page " + page.getInt(8) + " claims " + n + " items");
    }
    return n;
  }

  private int inp(ByteBuffer page, int i) throws IOException {
    int off = Short.toUnsignedInt(page.getShort(Libdb.PAGE_HEADER + 2 * i));
    if (off < Libdb.PAGE_HEADER || off >= pageSize) {
      throw new IOException(source + ": page " + page.getInt(8) + " item " + i + " offset " + off + " out of the page");
    }
    return off;
  }

  private void check(boolean ok, long pg) throws IOException {
    if (!ok) {
      throw new IOException(source + ": page " + pg + " is malformed");
    }
  }

  private void readFully(ByteBuffer b, long position) throws IOException {
    while (b.hasRemaining()) {
      int n = channel.read(b, position + b.position());
      if (n < 0) {
        throw new IOException(source + ": truncated at byte " + (position + b.position()));
      }
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
