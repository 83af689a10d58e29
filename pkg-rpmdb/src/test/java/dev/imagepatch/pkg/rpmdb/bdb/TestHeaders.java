package dev.imagepatch.pkg.rpmdb.bdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Just enough of an rpm header blob (il, dl, 16-byte entries, data; big-endian) for the tests. */
final class TestHeaders {
  static final int NAME = 1000, VERSION = 1001, RELEASE = 1002, EPOCH = 1003, ARCH = 1022;
  static final int PROVIDENAME = 1047, REQUIRENAME = 1049, DIRINDEXES = 1116, BASENAMES = 1117, DIRNAMES = 1118;

  private final ByteBuffer b;
  private final int il;
  private final int dataStart;

  TestHeaders(byte[] blob) {
    b = ByteBuffer.wrap(blob);
    il = b.getInt(0);
    dataStart = 8 + 16 * il;
  }

  private int entry(int tag) {
    for (int i = 0; i < il; i++) {
      if (b.getInt(8 + 16 * i) == tag) {
        return 8 + 16 * i;
      }
    }
    return -1;
  }

  List<String> strings(int tag) {
    int e = entry(tag);
    List<String> out = new ArrayList<>();
    if (e < 0) {
      return out;
    }
    int off = dataStart + b.getInt(e + 8);
    int count = b.getInt(e + 12);
    for (int i = 0; i < count; i++) {
      int end = off;
      while (b.get(end) != 0) {
        end++;
      }
      out.add(new String(b.array(), off, end - off, StandardCharsets.UTF_8));
      off = end + 1;
    }
    return out;
  }

  String string(int tag) {
    List<String> s = strings(tag);
    return s.isEmpty() ? null : s.get(0);
  }

  int[] ints(int tag) {
    int e = entry(tag);
    if (e < 0) {
      return new int[0];
    }
    int off = dataStart + b.getInt(e + 8);
    int[] out = new int[b.getInt(e + 12)];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getInt(off + 4 * i);
    }
    return out;
  }

  String name() {
    return string(NAME);
  }

  /** name-[epoch:]version-release.arch as {@code rpm -qa --qf '%{NEVRA}'} prints it. */
  String nevra() {
    int[] epoch = ints(EPOCH);
    String arch = string(ARCH);
    return name() + "-" + (epoch.length > 0 ? epoch[0] + ":" : "") + string(VERSION) + "-" + string(RELEASE)
        + (arch == null ? "" : "." + arch);
  }

  /** Full paths of the files, in header order. */
  List<String> files() {
    List<String> base = strings(BASENAMES);
    List<String> dirs = strings(DIRNAMES);
    int[] idx = ints(DIRINDEXES);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < base.size(); i++) {
      out.add(dirs.get(idx[i]) + base.get(i));
    }
    return out;
  }
}
