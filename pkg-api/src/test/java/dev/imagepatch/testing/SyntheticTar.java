package dev.imagepatch.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Tars of any size generated as they are read (ustar headers, content of one repeated byte), for
 * hostile inputs that must never exist whole in memory or on disk: a file of gigabytes, a PAX
 * header of a gigabyte.
 */
public final class SyntheticTar {
  private final List<Supplier<InputStream>> parts = new ArrayList<>();

  /** A regular file of {@code size} bytes, each {@code fill}. */
  public SyntheticTar file(String name, long size, byte fill) {
    parts.add(() -> new ByteArrayInputStream(header(name, size, '0')));
    parts.add(() -> repeat(fill, size));
    parts.add(() -> new ByteArrayInputStream(new byte[(int) ((512 - size % 512) % 512)]));
    return this;
  }

  /** A PAX extended header (type x) of {@code size} bytes: one huge {@code path} record. */
  public SyntheticTar paxHeader(long size) {
    String digits = Long.toString(size);
    byte[] prefix = (digits + " path=").getBytes(StandardCharsets.US_ASCII);
    parts.add(() -> new ByteArrayInputStream(header("./PaxHeaders/x", size, 'x')));
    parts.add(() -> new ByteArrayInputStream(prefix));
    parts.add(() -> repeat((byte) 'a', size - prefix.length - 1));
    parts.add(() -> new ByteArrayInputStream(new byte[] {'\n'}));
    parts.add(() -> new ByteArrayInputStream(new byte[(int) ((512 - size % 512) % 512)]));
    return this;
  }

  /** The tar, ended by its two zero blocks, generated as it is read. */
  public InputStream open() {
    List<Supplier<InputStream>> all = new ArrayList<>(parts);
    all.add(() -> new ByteArrayInputStream(new byte[1024]));
    return new SequenceInputStream(Collections.enumeration(new java.util.AbstractList<InputStream>() {
      @Override
      public InputStream get(int i) {
        return all.get(i).get();
      }

      @Override
      public int size() {
        return all.size();
      }
    }));
  }

  /** {@code size} bytes of {@code fill}. */
  public static InputStream repeat(byte fill, long size) {
    return new InputStream() {
      private long left = size;

      @Override
      public int read() {
        if (left <= 0) {
          return -1;
        }
        left--;
        return fill & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        Arrays.fill(b, off, off + n, fill);
        left -= n;
        return n;
      }
    };
  }

  private static byte[] header(String name, long size, char type) {
    byte[] h = new byte[512];
    put(h, 0, 100, name);
    put(h, 100, 8, "0000644");
    put(h, 108, 8, "0000000");
    put(h, 116, 8, "0000000");
    put(h, 124, 12, String.format("%011o", size));
    put(h, 136, 12, String.format("%011o", 1_700_000_000L));
    Arrays.fill(h, 148, 156, (byte) ' ');
    h[156] = (byte) type;
    put(h, 257, 6, "ustar");
    put(h, 263, 2, "00");
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, 8, String.format("%06o", sum) + "\0 ");
    return h;
  }

  private static void put(byte[] h, int at, int length, String value) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, h, at, Math.min(length, v.length));
  }
}
