package dev.imagepatch.patch.effects;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What ldconfig reads of a shared object: ELF class, machine, type and {@code DT_SONAME}. Read
 * from a stream, in one pass, keeping only the front of the file: the dynamic string table of a
 * library sits before its dynamic section, well inside the first megabytes.
 *
 * @param soname null when the object names none
 */
public record ElfInfo(int elfClass, int machine, int type, String soname) {
  public static final int ET_DYN = 3;
  private static final int KEEP = 32 << 20;
  private static final int PT_LOAD = 1;
  private static final int PT_DYNAMIC = 2;
  private static final long DT_STRTAB = 5;
  private static final long DT_SONAME = 14;

  /** The probe's one-line form, for {@link dev.imagepatch.layer.MergedFilesystem.Probe}. */
  public String encode() {
    return elfClass + " " + machine + " " + type + (soname == null ? "" : " " + soname);
  }

  public static ElfInfo decode(String line) {
    String[] f = line.split(" ", 4);
    return new ElfInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
        f.length > 3 ? f[3] : null);
  }

  /** Parses the stream; empty when it is no ELF file, or when its SONAME lies beyond what is kept. */
  public static Optional<ElfInfo> read(InputStream in) throws IOException {
    Front front = new Front(in);
    byte[] ident = front.bytes(0, 16);
    if (ident == null || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F') {
      return Optional.empty();
    }
    boolean is64 = ident[4] == 2;
    ByteOrder order = ident[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    ByteBuffer h = front.buffer(0, is64 ? 64 : 52, order);
    if (h == null) {
      return Optional.empty();
    }
    int type = h.getShort(16) & 0xffff;
    int machine = h.getShort(18) & 0xffff;
    long phoff = is64 ? h.getLong(32) : h.getInt(28) & 0xffffffffL;
    int phentsize = h.getShort(is64 ? 54 : 42) & 0xffff;
    int phnum = h.getShort(is64 ? 56 : 44) & 0xffff;
    ByteBuffer ph = front.buffer(phoff, (long) phentsize * phnum, order);
    if (ph == null) {
      return Optional.empty();
    }
    long dynOff = -1;
    long dynSize = 0;
    long[][] loads = new long[phnum][];
    for (int i = 0; i < phnum; i++) {
      int at = i * phentsize;
      int ptype = ph.getInt(at);
      long offset = is64 ? ph.getLong(at + 8) : ph.getInt(at + 4) & 0xffffffffL;
      long vaddr = is64 ? ph.getLong(at + 16) : ph.getInt(at + 8) & 0xffffffffL;
      long filesz = is64 ? ph.getLong(at + 32) : ph.getInt(at + 16) & 0xffffffffL;
      if (ptype == PT_DYNAMIC) {
        dynOff = offset;
        dynSize = filesz;
      } else if (ptype == PT_LOAD) {
        loads[i] = new long[] {offset, vaddr, filesz};
      }
    }
    int elfClass = is64 ? 64 : 32;
    if (dynOff < 0) {
      return Optional.of(new ElfInfo(elfClass, machine, type, null));
    }
    ByteBuffer dyn = front.buffer(dynOff, dynSize, order);
    if (dyn == null) {
      return Optional.empty();
    }
    long strtab = -1;
    long soname = -1;
    int entry = is64 ? 16 : 8;
    for (int at = 0; at + entry <= dynSize; at += entry) {
      long tag = is64 ? dyn.getLong(at) : dyn.getInt(at);
      long val = is64 ? dyn.getLong(at + 8) : dyn.getInt(at + 4) & 0xffffffffL;
      if (tag == 0) {
        break;
      } else if (tag == DT_STRTAB) {
        strtab = val;
      } else if (tag == DT_SONAME) {
        soname = val;
      }
    }
    if (soname < 0 || strtab < 0) {
      return Optional.of(new ElfInfo(elfClass, machine, type, null));
    }
    long strOff = -1;
    for (long[] l : loads) {
      if (l != null && strtab >= l[1] && strtab < l[1] + l[2]) {
        strOff = strtab - l[1] + l[0];
      }
    }
    if (strOff < 0) {
      return Optional.empty();
    }
    String name = front.cString(strOff + soname);
    return name == null ? Optional.empty() : Optional.of(new ElfInfo(elfClass, machine, type, name));
  }

  /** The front of a stream, read on demand (64 KiB at a time) up to {@link #KEEP} bytes. */
  private static final class Front {
    private final InputStream in;
    private byte[] data = new byte[1 << 16];
    private int size;
    private boolean eof;

    Front(InputStream in) {
      this.in = in;
    }

    private boolean fill(long upTo) throws IOException {
      if (upTo > KEEP) {
        return false;
      }
      if (upTo > data.length) {
        data = java.util.Arrays.copyOf(data, (int) Math.min(KEEP, Math.max(upTo, (long) data.length * 2)));
      }
      while (size < upTo && !eof) {
        int n = in.read(data, size, data.length - size);
        if (n < 0) {
          eof = true;
        } else {
          size += n;
        }
      }
      return size >= upTo;
    }

    byte[] bytes(long offset, long length) throws IOException {
      if (offset < 0 || length < 0 || !fill(offset + length)) {
        return null;
      }
      return java.util.Arrays.copyOfRange(data, (int) offset, (int) (offset + length));
    }

    ByteBuffer buffer(long offset, long length, ByteOrder order) throws IOException {
      byte[] b = bytes(offset, length);
      return b == null ? null : ByteBuffer.wrap(b).order(order);
    }

    String cString(long offset) throws IOException {
      for (long end = offset; ; end++) {
        if (!fill(end + 1)) {
          return null;
        }
        if (data[(int) end] == 0) {
          return new String(data, (int) offset, (int) (end - offset), StandardCharsets.ISO_8859_1);
        }
      }
    }
  }
}
