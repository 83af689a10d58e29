package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.io.Bounded;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A stream of concatenated gzip members (RFC 1952) read one member at a time, with the exact
 * compressed bytes of each (header to trailer) handed to a {@link Tap} as they are consumed: apk
 * signs and identifies a package by the compressed bytes of its members, so the boundaries must be
 * exact. Every member's CRC-32 and size are checked; compressed and decompressed bytes are bounded.
 */
final class GzipMembers {
  /** What sees a member's compressed bytes. */
  @FunctionalInterface
  interface Tap {
    Tap NONE = (b, off, len) -> { };

    void update(byte[] b, int off, int len) throws IOException;

    /** Both taps, in order. */
    default Tap and(Tap other) {
      return (b, off, len) -> {
        update(b, off, len);
        other.update(b, off, len);
      };
    }
  }

  private static final int FTEXT_RESERVED = 0xe0;
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;

  private final InputStream in;
  private final String what;
  private final long compressedLimit;
  private final long decompressedLimit;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int lim;
  private long consumed;
  private long decompressed;
  private int count;

  /**
   * {@code what} names the stream in errors; more than {@code compressedLimit} compressed or
   * {@code decompressedLimit} decompressed bytes in all fail.
   */
  GzipMembers(InputStream in, String what, long compressedLimit, long decompressedLimit) {
    this.in = in;
    this.what = what;
    this.compressedLimit = compressedLimit;
    this.decompressedLimit = decompressedLimit;
  }

  /** The offset of the next compressed byte to be read (the start of the next member). */
  long offset() {
    return consumed;
  }

  /** How many members were started. */
  int count() {
    return count;
  }

  /** True when the stream has no more bytes. */
  boolean atEnd() throws IOException {
    return !fill();
  }

  /** Up to {@code n} of the next bytes, not consumed. */
  byte[] peek(int n) throws IOException {
    if (lim - pos < n) {
      System.arraycopy(buf, pos, buf, 0, lim - pos);
      lim -= pos;
      pos = 0;
      while (lim < n) {
        int r = in.read(buf, lim, buf.length - lim);
        if (r < 0) {
          break;
        }
        lim += r;
      }
    }
    return java.util.Arrays.copyOfRange(buf, pos, pos + Math.min(n, lim - pos));
  }

  /**
   * The next member's decompressed bytes; {@code tap} sees its compressed bytes. The member must
   * be read to its end (-1) before the next one is asked for; its gzip header is read now.
   */
  Member next(Tap tap) throws IOException {
    if (atEnd()) {
      throw new EOFException(what + ": gzip member " + (count + 1) + " expected at offset " + consumed
          + ", found the end of the file");
    }
    count++;
    return new Member(tap, count, consumed);
  }

  /** All remaining members as one stream (the data part of a package); {@code tap} sees all their compressed bytes. */
  InputStream rest(Tap tap) throws IOException {
    Member first = next(tap);
    return new InputStream() {
      private Member current = first;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
          if (current == null) {
            return -1;
          }
          int n = current.read(b, off, len);
          if (n >= 0) {
            return n;
          }
          current = atEnd() ? null : next(tap);
        }
      }
    };
  }

  private boolean fill() throws IOException {
    if (pos < lim) {
      return true;
    }
    Bounded.checkInterrupted(what);
    pos = 0;
    lim = 0;
    int r = in.read(buf, 0, buf.length);
    if (r <= 0) {
      // read() returns 0 only for a zero-length request; treat anything else as the end.
      return false;
    }
    lim = r;
    return true;
  }

  private void consume(Tap tap, int n) throws IOException {
    tap.update(buf, pos, n);
    pos += n;
    consumed += n;
    if (consumed > compressedLimit) {
      throw new IOException(what + ": more than " + compressedLimit + " compressed bytes");
    }
  }

  /** One member: the header is parsed on construction; reading inflates; the end checks the trailer. */
  final class Member extends InputStream {
    private final Tap tap;
    private final int index;
    private final long start;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private long size;
    private boolean done;

    private Member(Tap tap, int index, long start) throws IOException {
      this.tap = tap;
      this.index = index;
      this.start = start;
      try {
        header();
      } catch (IOException | RuntimeException e) {
        inflater.end();
        throw e;
      }
    }

    /** The member's offset in the stream. */
    long start() {
      return start;
    }

    /** The member's compressed length; final once the member was read to its end. */
    long compressedLength() {
      return consumed - start;
    }

    private String where() {
      return what + ": gzip member " + index + " (offset " + start + ")";
    }

    private int readByte() throws IOException {
      if (!fill()) {
        throw new EOFException(where() + " is truncated");
      }
      int b = buf[pos] & 0xff;
      consume(tap, 1);
      return b;
    }

    private void header() throws IOException {
      if (readByte() != 0x1f || readByte() != 0x8b) {
        throw new IOException(where() + ": not a gzip member (bad magic)");
      }
      if (readByte() != 8) {
        throw new IOException(where() + ": compression method is not deflate");
      }
      int flags = readByte();
      if ((flags & FTEXT_RESERVED) != 0) {
        throw new IOException(where() + ": reserved gzip header flags set");
      }
      for (int i = 0; i < 6; i++) {
        readByte(); // MTIME, XFL, OS
      }
      if ((flags & FEXTRA) != 0) {
        int xlen = readByte() | readByte() << 8;
        for (int i = 0; i < xlen; i++) {
          readByte();
        }
      }
      if ((flags & FNAME) != 0) {
        while (readByte() != 0) {
          // the compressed-byte limit bounds a name without end
        }
      }
      if ((flags & FCOMMENT) != 0) {
        while (readByte() != 0) {
          // as for the name
        }
      }
      if ((flags & FHCRC) != 0) {
        readByte();
        readByte();
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      try {
        while (true) {
          if (inflater.needsInput()) {
            if (!fill()) {
              throw new EOFException(where() + " is truncated");
            }
            inflater.setInput(buf, pos, lim - pos);
          }
          int inputEnd = pos + inflater.getRemaining();
          int n;
          try {
            n = inflater.inflate(b, off, len);
          } catch (DataFormatException e) {
            throw new IOException(where() + ": invalid deflate data: " + e.getMessage(), e);
          }
          int used = inputEnd - inflater.getRemaining() - pos;
          consume(tap, used);
          if (n > 0) {
            crc.update(b, off, n);
            size += n;
            decompressed += n;
            if (decompressed > decompressedLimit) {
              throw new IOException(what + " unpacks to more than " + decompressedLimit + " bytes");
            }
            return n;
          }
          if (inflater.finished()) {
            trailer();
            return -1;
          }
          if (inflater.needsDictionary()) {
            throw new IOException(where() + ": invalid deflate data (preset dictionary)");
          }
        }
      } catch (IOException | RuntimeException e) {
        inflater.end();
        done = true;
        throw e;
      }
    }

    private void trailer() throws IOException {
      // What the inflater did not use stays in the buffer for the trailer and the next member.
      inflater.end();
      long storedCrc = 0;
      for (int i = 0; i < 4; i++) {
        storedCrc |= (long) readByte() << (8 * i);
      }
      long storedSize = 0;
      for (int i = 0; i < 4; i++) {
        storedSize |= (long) readByte() << (8 * i);
      }
      done = true;
      if (storedCrc != crc.getValue()) {
        throw new IOException(where() + ": CRC-32 mismatch (corrupt data)");
      }
      if (storedSize != (size & 0xffffffffL)) {
        throw new IOException(where() + ": size mismatch (corrupt data)");
      }
    }

    @Override
    public void close() {
      if (!done) {
        inflater.end();
        done = true;
      }
    }
  }
}
