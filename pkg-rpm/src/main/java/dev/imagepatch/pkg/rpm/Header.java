package dev.imagepatch.pkg.rpm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An rpm header, read and written byte for byte: index entries and data store, the immutable
 * region kept.
 *
 * <p>The blob is {@code il} and {@code dl} (big-endian int32), {@code il} 16-byte index entries
 * (tag, type, offset, count) and {@code dl} bytes of data. When the first entry is a region tag
 * ({@link Tags#HEADERIMMUTABLE} in a package header and the rpm database, {@link Tags#HEADERSIGNATURES}
 * in a signature header, {@link Tags#HEADERIMAGE} in old ones) its data is a 16-byte trailer whose
 * negative offset counts the region's entries: those entries and their data (up to the trailer) are
 * what the header digests and signatures cover. Entries after the region ("dribbles", such as the
 * install-time tags the rpm database adds) replace region entries with the same tag, as rpm reads them.
 *
 * <p>Parsing checks what rpm's {@code hdrblobVerifyInfo} and {@code hdrblobVerifyRegion} check
 * (entry and data counts, types, alignment, data inside the store and not overlapping, the region
 * trailer), so a hostile blob fails here with the source named instead of later.
 */
public final class Header {
  /** The 8 bytes before a header in a .rpm: magic, version 1, four reserved zeros. */
  private static final byte[] MAGIC = {(byte) 0x8e, (byte) 0xad, (byte) 0xe8, 0x01, 0, 0, 0, 0};
  /** The most index entries rpm accepts in a header (hdrchkTags). */
  public static final int MAX_ENTRIES = 0xffff;
  /** The most data bytes rpm accepts in a header (hdrchkData): 256 MiB. */
  public static final int MAX_DATA = 0x0fffffff;
  /** The limits rpm puts on a signature header: 32 entries, 64 MiB. */
  static final int SIGNATURE_MAX_ENTRIES = 32;
  static final int SIGNATURE_MAX_DATA = 64 << 20;

  /** An index entry: tag, type, offset into the data store, count. */
  public record Entry(int tag, int type, int offset, int count) {}

  /**
   * A tag's value to add: {@code value} is a {@link String} (STRING; I18NSTRING with one locale),
   * a {@code List<String>} (STRING_ARRAY, I18NSTRING), a {@code long[]} (CHAR, INT8, INT16, INT32,
   * INT64) or a {@code byte[]} (BIN).
   */
  public record Value(int tag, int type, Object value) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Value v && v.tag == tag && v.type == type && Arrays.deepEquals(new Object[] {value},
          new Object[] {v.value});
    }

    @Override
    public int hashCode() {
      return 31 * (31 * tag + type) + Arrays.deepHashCode(new Object[] {value});
    }

    @Override
    public String toString() {
      Object shown = value instanceof long[] l ? Arrays.toString(l)
          : value instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : value;
      return "Value[tag=" + tag + ", type=" + type + ", value=" + shown + "]";
    }
  }

  private final byte[] blob;
  private final String source;
  private final List<Entry> entries;
  private final int[] lengths;
  private final int dataStart;
  private final int regionTag;
  private final int regionEntries;
  private final int regionData;
  private final Map<Integer, Integer> byTag;

  private Header(byte[] blob, String source, List<Entry> entries, int[] lengths, int regionTag, int regionEntries,
      int regionData) {
    this.blob = blob;
    this.source = source;
    this.entries = Collections.unmodifiableList(entries);
    this.lengths = lengths;
    this.dataStart = 8 + 16 * entries.size();
    this.regionTag = regionTag;
    this.regionEntries = regionEntries;
    this.regionData = regionData;
    Map<Integer, Integer> map = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      if (i == 0 && regionTag != 0) {
        continue;
      }
      map.put(entries.get(i).tag(), i); // the last occurrence wins, as rpm's dribbles replace region entries
    }
    this.byTag = map;
  }

  /** A header blob as the rpm database stores it: int32 il, int32 dl, il 16-byte entries, dl bytes of data (no magic). */
  public static Header ofBlob(byte[] blob, String source) throws IOException {
    return parse(blob.clone(), source, MAX_ENTRIES, MAX_DATA);
  }

  /** A header as a .rpm carries it: 8-byte magic (8e ad e8 01 00 00 00 00) then the blob. Reads exactly its bytes. */
  public static Header read(InputStream in, String source) throws IOException {
    return read(in, source, MAX_ENTRIES, MAX_DATA);
  }

  /** {@link #read(InputStream, String)} with tighter limits (the signature header's). */
  static Header read(InputStream in, String source, int maxEntries, int maxData) throws IOException {
    byte[] intro = in.readNBytes(16);
    if (intro.length < 16) {
      throw new IOException(source + ": truncated header (" + intro.length + " of 16 bytes of magic and sizes)");
    }
    if (!Arrays.equals(intro, 0, 8, MAGIC, 0, 8)) {
      throw new IOException(source + ": no rpm header magic (8e ad e8 01 00 00 00 00) but "
          + java.util.HexFormat.of().formatHex(intro, 0, 8));
    }
    ByteBuffer sizes = ByteBuffer.wrap(intro, 8, 8);
    int il = sizes.getInt();
    int dl = sizes.getInt();
    checkSizes(source, il, dl, maxEntries, maxData);
    int rest = 16 * il + dl;
    // Read before allocating the whole: a header claiming 256 MiB in a short file costs what the file holds.
    byte[] body = in.readNBytes(rest);
    if (body.length < rest) {
      throw new IOException(source + ": truncated header (" + body.length + " of " + rest
          + " bytes of index and data)");
    }
    byte[] blob = new byte[8 + rest];
    System.arraycopy(intro, 8, blob, 0, 8);
    System.arraycopy(body, 0, blob, 8, rest);
    return parse(blob, source, maxEntries, maxData);
  }

  private static void checkSizes(String source, int il, int dl, int maxEntries, int maxData) throws IOException {
    if (il < 1 || il > maxEntries) {
      throw new IOException(source + ": header index count " + Integer.toUnsignedString(il)
          + " outside 1.." + maxEntries);
    }
    if (dl < 0 || dl > maxData) {
      throw new IOException(source + ": header data length " + Integer.toUnsignedString(dl)
          + " outside 0.." + maxData);
    }
  }

  private static Header parse(byte[] blob, String source, int maxEntries, int maxData) throws IOException {
    if (blob.length < 8) {
      throw new IOException(source + ": header blob of " + blob.length + " bytes, shorter than its 8-byte sizes");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    int il = b.getInt(0);
    int dl = b.getInt(4);
    checkSizes(source, il, dl, maxEntries, maxData);
    long expected = 8L + 16L * il + dl;
    if (blob.length != expected) {
      throw new IOException(source + ": header blob of " + blob.length + " bytes, but 8 + 16 * il(" + il + ") + dl("
          + dl + ") = " + expected);
    }
    int ds = 8 + 16 * il;
    List<Entry> entries = new ArrayList<>(il);
    for (int i = 0; i < il; i++) {
      int p = 8 + 16 * i;
      entries.add(new Entry(b.getInt(p), b.getInt(p + 4), b.getInt(p + 8), b.getInt(p + 12)));
    }
    int[] lengths = new int[il];
    int regionTag = 0;
    int ril = 0;
    int rdl = 0;
    Entry first = entries.get(0);
    if (isRegionTag(first.tag())) {
      if (first.type() != Tags.BIN || first.count() != 16) {
        throw new IOException(source + ": invalid region tag " + first.tag() + " (type " + first.type() + ", count "
            + first.count() + ")");
      }
      if (first.offset() < 0 || (long) first.offset() + 16 > dl) {
        throw new IOException(source + ": region trailer offset " + first.offset() + " outside the " + dl
            + "-byte data store");
      }
      int t = ds + first.offset();
      int trailerTag = b.getInt(t);
      int trailerType = b.getInt(t + 4);
      int trailerOffset = b.getInt(t + 8);
      int trailerCount = b.getInt(t + 12);
      if (!isRegionTag(trailerTag) || trailerType != Tags.BIN || trailerCount != 16) {
        throw new IOException(source + ": invalid region trailer (tag " + trailerTag + ", type " + trailerType
            + ", count " + trailerCount + ")");
      }
      long size = -(long) trailerOffset;
      if (size <= 0 || size % 16 != 0 || size / 16 > il) {
        throw new IOException(source + ": invalid region size " + size + " for " + il + " entries");
      }
      regionTag = first.tag();
      ril = (int) (size / 16);
      rdl = first.offset() + 16;
      lengths[0] = 16;
    }
    // As rpm's hdrblobVerifyInfo: every entry but the region tag, in index order.
    long end = 0;
    for (int i = regionTag != 0 ? 1 : 0; i < il; i++) {
      Entry e = entries.get(i);
      String what = source + ": header entry " + i + " (tag " + e.tag() + ")";
      if (end > e.offset()) {
        throw new IOException(what + ": data at " + e.offset() + " overlaps the previous entry's (ending at " + end
            + ")");
      }
      if (e.tag() < Tags.HEADERI18NTABLE) {
        throw new IOException(what + ": tag below " + Tags.HEADERI18NTABLE);
      }
      if (e.type() < Tags.CHAR || e.type() > Tags.I18NSTRING) {
        throw new IOException(what + ": unknown type " + e.type());
      }
      if (e.count() < 1 || e.count() > dl) {
        throw new IOException(what + ": count " + Integer.toUnsignedString(e.count()) + " outside 1.." + dl);
      }
      if (e.offset() % Tags.alignment(e.type()) != 0) {
        throw new IOException(what + ": offset " + e.offset() + " not aligned for type " + e.type());
      }
      if (e.offset() < 0 || e.offset() > dl) {
        throw new IOException(what + ": offset " + e.offset() + " outside the " + dl + "-byte data store");
      }
      int len = dataLength(blob, ds + e.offset(), ds + dl, e.type(), e.count());
      if (len < 0) {
        throw new IOException(what + ": data (type " + e.type() + ", count " + e.count() + ") runs past the "
            + dl + "-byte data store");
      }
      lengths[i] = len;
      end = (long) e.offset() + len;
      if (regionTag != 0) {
        if (end > rdl - 16 && e.offset() < rdl) {
          throw new IOException(what + ": data overlaps the region trailer");
        }
        if (i < ril && end > rdl) {
          throw new IOException(what + ": data outside its region (which ends at " + rdl + ")");
        }
      }
    }
    return new Header(blob, source, entries, lengths, regionTag, ril, rdl);
  }

  private static boolean isRegionTag(int tag) {
    return tag == Tags.HEADERIMAGE || tag == Tags.HEADERSIGNATURES || tag == Tags.HEADERIMMUTABLE;
  }

  /** The bytes an entry's data takes at {@code p} (absolute), or -1 when it does not fit before {@code limit}. */
  private static int dataLength(byte[] blob, int p, int limit, int type, int count) {
    int size = Tags.size(type);
    if (size >= 0) {
      long len = (long) size * count;
      return len > limit - p ? -1 : (int) len;
    }
    if (type == Tags.STRING && count != 1) {
      return -1;
    }
    int q = p;
    for (int n = 0; n < count; n++) {
      while (q < limit && blob[q] != 0) {
        q++;
      }
      if (q >= limit) {
        return -1;
      }
      q++;
    }
    return q - p;
  }

  /** The exact bytes, as read or as built (no magic). */
  public byte[] blob() {
    return blob.clone();
  }

  /** The magic then the blob: the header as a .rpm carries it and as SHA1HEADER/SHA256HEADER digest it. */
  public byte[] withMagic() {
    byte[] out = new byte[8 + blob.length];
    System.arraycopy(MAGIC, 0, out, 0, 8);
    System.arraycopy(blob, 0, out, 8, blob.length);
    return out;
  }

  /** Where this header came from, as errors name it. */
  public String source() {
    return source;
  }

  /** The region tag (61, 62 or 63), or 0 for a header without an immutable region. */
  public int regionTag() {
    return regionTag;
  }

  /**
   * The immutable region alone as a header of its own (its entries and data up to and including the
   * trailer): what rpm digests and signs, and what a package header was before the database added
   * its install-time entries. This header itself when it has no entries outside the region or no region.
   */
  public Header immutableRegion() {
    if (regionTag == 0 || regionEntries == entries.size()) {
      return this;
    }
    byte[] out = new byte[8 + 16 * regionEntries + regionData];
    ByteBuffer.wrap(out).putInt(regionEntries).putInt(regionData);
    System.arraycopy(blob, 8, out, 8, 16 * regionEntries);
    System.arraycopy(blob, dataStart, out, 8 + 16 * regionEntries, regionData);
    try {
      return parse(out, source, MAX_ENTRIES, MAX_DATA);
    } catch (IOException e) {
      throw new IllegalStateException(source + ": immutable region does not stand alone", e);
    }
  }

  public boolean has(int tag) {
    return byTag.containsKey(tag);
  }

  /** Index order, with type, count and offset. */
  public List<Entry> entries() {
    return entries;
  }

  /** STRING, or the first of STRING_ARRAY / I18NSTRING (the C locale). */
  public Optional<String> string(int tag) {
    Integer i = byTag.get(tag);
    if (i == null) {
      return Optional.empty();
    }
    Entry e = entries.get(i);
    if (e.type() != Tags.STRING && e.type() != Tags.STRING_ARRAY && e.type() != Tags.I18NSTRING) {
      return Optional.empty();
    }
    return Optional.of(decodeStrings(i, 1).get(0));
  }

  /** STRING_ARRAY (all), I18NSTRING (the first locale's) or STRING (one); empty when absent. */
  public List<String> strings(int tag) {
    Integer i = byTag.get(tag);
    if (i == null) {
      return List.of();
    }
    Entry e = entries.get(i);
    return switch (e.type()) {
      case Tags.STRING, Tags.I18NSTRING -> decodeStrings(i, 1);
      case Tags.STRING_ARRAY -> decodeStrings(i, e.count());
      default -> List.of();
    };
  }

  /** All strings of an I18NSTRING (one per locale of HEADERI18NTABLE) or STRING_ARRAY entry. */
  public List<String> allLocales(int tag) {
    Integer i = byTag.get(tag);
    if (i == null) {
      return List.of();
    }
    Entry e = entries.get(i);
    return switch (e.type()) {
      case Tags.STRING -> decodeStrings(i, 1);
      case Tags.I18NSTRING, Tags.STRING_ARRAY -> decodeStrings(i, e.count());
      default -> List.of();
    };
  }

  /** The first value of a CHAR, INT8, INT16, INT32 or INT64 entry (unsigned but for INT64). */
  public OptionalLong number(int tag) {
    long[] all = numbers(tag);
    return all.length == 0 ? OptionalLong.empty() : OptionalLong.of(all[0]);
  }

  /** All values of an integer entry, unsigned where rpm treats them so (8, 16 and 32 bits); empty when absent. */
  public long[] numbers(int tag) {
    Integer i = byTag.get(tag);
    if (i == null) {
      return new long[0];
    }
    Entry e = entries.get(i);
    int p = dataStart + e.offset();
    ByteBuffer b = ByteBuffer.wrap(blob);
    long[] out;
    switch (e.type()) {
      case Tags.CHAR, Tags.INT8 -> {
        out = new long[e.count()];
        for (int k = 0; k < out.length; k++) {
          out[k] = blob[p + k] & 0xffL;
        }
      }
      case Tags.INT16 -> {
        out = new long[e.count()];
        for (int k = 0; k < out.length; k++) {
          out[k] = b.getShort(p + 2 * k) & 0xffffL;
        }
      }
      case Tags.INT32 -> {
        out = new long[e.count()];
        for (int k = 0; k < out.length; k++) {
          out[k] = b.getInt(p + 4 * k) & 0xffffffffL;
        }
      }
      case Tags.INT64 -> {
        out = new long[e.count()];
        for (int k = 0; k < out.length; k++) {
          out[k] = b.getLong(p + 8 * k);
        }
      }
      default -> out = new long[0];
    }
    return out;
  }

  /** A BIN entry's bytes. */
  public Optional<byte[]> bytes(int tag) {
    Integer i = byTag.get(tag);
    if (i == null || entries.get(i).type() != Tags.BIN) {
      return Optional.empty();
    }
    Entry e = entries.get(i);
    return Optional.of(Arrays.copyOfRange(blob, dataStart + e.offset(), dataStart + e.offset() + e.count()));
  }

  /** The entry's value as {@link #with} takes it (the entry rpm reads for the tag: the last one). */
  public Optional<Value> value(int tag) {
    Integer i = byTag.get(tag);
    return i == null ? Optional.empty() : Optional.of(valueAt(i));
  }

  private Value valueAt(int i) {
    Entry e = entries.get(i);
    Object v = switch (e.type()) {
      case Tags.STRING -> decodeStrings(i, 1).get(0);
      case Tags.STRING_ARRAY, Tags.I18NSTRING -> decodeStrings(i, e.count());
      case Tags.BIN -> Arrays.copyOfRange(blob, dataStart + e.offset(), dataStart + e.offset() + e.count());
      default -> numbersAt(e);
    };
    return new Value(e.tag(), e.type(), v);
  }

  private long[] numbersAt(Entry e) {
    return numbers(e.tag()); // only called for the entry byTag names
  }

  private List<String> decodeStrings(int i, int n) {
    Entry e = entries.get(i);
    List<String> out = new ArrayList<>(n);
    int p = dataStart + e.offset();
    for (int k = 0; k < n; k++) {
      int q = p;
      while (blob[q] != 0) {
        q++;
      }
      out.add(new String(blob, p, q - p, StandardCharsets.UTF_8));
      p = q + 1;
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * A new header: this one's entries (immutable region kept as it is) plus/replacing {@code added}
   * ones, laid out as rpm's headerExport does: the region entry, its entries and its data (trailer
   * included) byte for byte, then the entries outside the region that {@code added} does not
   * replace in their order, then the added ones sorted by tag, each datum aligned for its type. A
   * tag inside the region is not removed from it (the signatures cover it): the added entry after
   * it replaces it for every reader, as in rpm. A header without a region is rebuilt with all its
   * entries sorted by tag.
   */
  public Header with(List<Value> added) {
    Set<Integer> tags = new HashSet<>();
    for (Value v : added) {
      if (v.tag() < Tags.HEADERI18NTABLE) {
        throw new IllegalArgumentException(source + ": cannot add tag " + v.tag() + " (below "
            + Tags.HEADERI18NTABLE + ")");
      }
      if (!tags.add(v.tag())) {
        throw new IllegalArgumentException(source + ": tag " + v.tag() + " added twice");
      }
    }
    List<Entry> keptIndex = new ArrayList<>();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    List<Object[]> pending = new ArrayList<>(); // {tag, type, count, bytes}
    if (regionTag != 0) {
      for (int i = 0; i < regionEntries; i++) {
        keptIndex.add(entries.get(i));
      }
      data.write(blob, dataStart, regionData);
      for (int i = regionEntries; i < entries.size(); i++) {
        Entry e = entries.get(i);
        if (!tags.contains(e.tag())) {
          pending.add(raw(i));
        }
      }
    } else {
      List<Object[]> all = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        if (!tags.contains(entries.get(i).tag())) {
          all.add(raw(i));
        }
      }
      for (Value v : added) {
        all.add(encode(v));
      }
      all.sort(Comparator.comparingInt(o -> (Integer) o[0]));
      pending.addAll(all);
      added = List.of();
    }
    List<Value> sorted = new ArrayList<>(added);
    sorted.sort(Comparator.comparingInt(Value::tag));
    for (Value v : sorted) {
      pending.add(encode(v));
    }
    List<Entry> index = new ArrayList<>(keptIndex);
    for (Object[] p : pending) {
      int type = (Integer) p[1];
      int align = Tags.alignment(type);
      while (data.size() % align != 0) {
        data.write(0);
      }
      index.add(new Entry((Integer) p[0], type, data.size(), (Integer) p[2]));
      data.writeBytes((byte[]) p[3]);
    }
    if (index.size() > MAX_ENTRIES || data.size() > MAX_DATA) {
      throw new IllegalArgumentException(source + ": header of " + index.size() + " entries and " + data.size()
          + " data bytes exceeds rpm's limits");
    }
    ByteBuffer out = ByteBuffer.allocate(8 + 16 * index.size() + data.size());
    out.putInt(index.size()).putInt(data.size());
    for (int i = 0; i < index.size(); i++) {
      Entry e = index.get(i);
      if (i < keptIndex.size()) {
        out.put(blob, 8 + 16 * i, 16);
      } else {
        out.putInt(e.tag()).putInt(e.type()).putInt(e.offset()).putInt(e.count());
      }
    }
    out.put(data.toByteArray());
    try {
      return parse(out.array(), source, MAX_ENTRIES, MAX_DATA);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": the new header does not parse: " + e.getMessage(), e);
    }
  }

  private Object[] raw(int i) {
    Entry e = entries.get(i);
    byte[] bytes = Arrays.copyOfRange(blob, dataStart + e.offset(), dataStart + e.offset() + lengths[i]);
    return new Object[] {e.tag(), e.type(), e.count(), bytes};
  }

  private Object[] encode(Value v) {
    String what = source + ": tag " + v.tag() + " of type " + v.type();
    Object o = v.value();
    switch (v.type()) {
      case Tags.STRING -> {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException(what + " needs a String");
        }
        return new Object[] {v.tag(), v.type(), 1, cstrings(List.of(s), what)};
      }
      case Tags.STRING_ARRAY, Tags.I18NSTRING -> {
        List<?> list = o instanceof String s ? List.of(s) : o instanceof List<?> l ? l : null;
        if (list == null || list.isEmpty()) {
          throw new IllegalArgumentException(what + " needs a non-empty List<String>");
        }
        List<String> strings = new ArrayList<>();
        for (Object x : list) {
          if (!(x instanceof String s)) {
            throw new IllegalArgumentException(what + " needs strings, not " + x);
          }
          strings.add(s);
        }
        return new Object[] {v.tag(), v.type(), strings.size(), cstrings(strings, what)};
      }
      case Tags.BIN -> {
        if (!(o instanceof byte[] bytes) || bytes.length == 0) {
          throw new IllegalArgumentException(what + " needs a non-empty byte[]");
        }
        return new Object[] {v.tag(), v.type(), bytes.length, bytes.clone()};
      }
      case Tags.CHAR, Tags.INT8, Tags.INT16, Tags.INT32, Tags.INT64 -> {
        if (!(o instanceof long[] values) || values.length == 0) {
          throw new IllegalArgumentException(what + " needs a non-empty long[]");
        }
        int size = Tags.size(v.type());
        ByteBuffer b = ByteBuffer.allocate(size * values.length);
        for (long x : values) {
          switch (size) {
            case 1 -> b.put((byte) x);
            case 2 -> b.putShort((short) x);
            case 4 -> b.putInt((int) x);
            default -> b.putLong(x);
          }
        }
        return new Object[] {v.tag(), v.type(), values.length, b.array()};
      }
      default -> throw new IllegalArgumentException(what + ": unknown type");
    }
  }

  private static byte[] cstrings(List<String> strings, String what) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String s : strings) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      for (byte x : b) {
        if (x == 0) {
          throw new IllegalArgumentException(what + ": a string holds a NUL");
        }
      }
      out.writeBytes(b);
      out.write(0);
    }
    return out.toByteArray();
  }

  @Override
  public String toString() {
    return "Header[" + source + ", " + entries.size() + " entries, " + (blob.length - dataStart) + " data bytes]";
  }
}
