package dev.imagepatch.pkg.rpmdb.ndb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-local reader of the few header tags the NDB tests compare (NAME, EPOCH, VERSION, RELEASE,
 * ARCH, DIRINDEXES, BASENAMES, DIRNAMES), independent of pkg-rpm's Header: the blob is int32 il,
 * int32 dl, il big-endian entries (tag, type, offset, count), dl bytes of data.
 */
final class TinyHeader {
  static final int NAME = 1000;
  static final int VERSION = 1001;
  static final int RELEASE = 1002;
  static final int EPOCH = 1003;
  static final int ARCH = 1022;
  static final int DIRINDEXES = 1116;
  static final int BASENAMES = 1117;
  static final int DIRNAMES = 1118;

  private record Entry(int type, int offset, int count) {}

  private final ByteBuffer data;
  private final Map<Integer, Entry> entries = new HashMap<>();

  TinyHeader(byte[] blob) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(blob);
    int il = b.getInt(0);
    int dl = b.getInt(4);
    if (il < 0 || dl < 0 || 8L + 16L * il + dl != blob.length) {
      throw new IOException("not a header blob: il " + il + " dl " + dl + " length " + blob.length);
    }
    for (int i = 0; i < il; i++) {
      int p = 8 + 16 * i;
      entries.putIfAbsent(b.getInt(p), new Entry(b.getInt(p + 4), b.getInt(p + 8), b.getInt(p + 12)));
    }
    data = ByteBuffer.wrap(blob, 8 + 16 * il, dl).slice();
  }

  List<String> strings(int tag) {
    Entry e = entries.get(tag);
    List<String> out = new ArrayList<>();
    if (e == null) {
      return out;
    }
    int n = e.type() == 6 ? 1 : e.count();
    int p = e.offset();
    for (int i = 0; i < n; i++) {
      int end = p;
      while (data.get(end) != 0) {
        end++;
      }
      byte[] s = new byte[end - p];
      data.get(p, s);
      out.add(new String(s, StandardCharsets.UTF_8));
      p = end + 1;
    }
    return out;
  }

  String string(int tag) {
    List<String> s = strings(tag);
    return s.isEmpty() ? null : s.get(0);
  }

  long[] int32s(int tag) {
    Entry e = entries.get(tag);
    if (e == null) {
      return new long[0];
    }
    long[] out = new long[e.count()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Integer.toUnsignedLong(data.getInt(e.offset() + 4 * i));
    }
    return out;
  }

  /** name, epoch ("(none)" when absent), version, release, arch: as the expected TSVs give them. */
  List<String> nevra() {
    long[] epoch = int32s(EPOCH);
    return List.of(string(NAME), epoch.length == 0 ? "(none)" : Long.toString(epoch[0]), string(VERSION),
        string(RELEASE), string(ARCH));
  }

  /** The file names: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]. */
  List<String> files() {
    List<String> base = strings(BASENAMES);
    List<String> dirs = strings(DIRNAMES);
    long[] index = int32s(DIRINDEXES);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < base.size(); i++) {
      out.add(dirs.get((int) index[i]) + base.get(i));
    }
    return out;
  }
}
