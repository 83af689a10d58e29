package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The secondary indexes rpm keeps beside the headers, and the (key, header number, element index)
 * entries rpm 4.18 puts in each for one installed header: lib/rpmdb.c {@code tag2index} and
 * {@code td2key}, shared by every backend (SQLite tables, Berkeley DB and NDB index files).
 *
 * <ul>
 *   <li>Every element of the index tag gives one entry, keyed by its bytes (strings without the
 *       NUL; integers in little-endian byte order, as rpm writes them on x86 and arm64; BIN data
 *       whole, as one element), with idx = the element's position.</li>
 *   <li>Group: a header without GROUP is indexed under "Unknown"; I18N strings give their first
 *       (the C locale's) string only.</li>
 *   <li>Requirename leaves out transient requirements: flags with a %pre/%post/rpmlib/keyring/
 *       %pretrans/%posttrans bit, no %preun/%postun bit and no meta bit ({@code isTransientReq}).</li>
 *   <li>Triggername leaves out a name an earlier element already has.</li>
 *   <li>Filetriggername/Transfiletriggername entries carry the trigger's index
 *       (FILETRIGGERINDEX/TRANSFILETRIGGERINDEX) instead of the element's position.</li>
 *   <li>A rich dependency "(...)" in Requirename, Conflictname, Recommendname, Suggestname,
 *       Supplementname or Enhancename is indexed whole and then under each name in it
 *       ({@link RichDeps}), with the same idx.</li>
 * </ul>
 */
public final class RpmIndexes {
  private RpmIndexes() {}

  static final int RPM_CHAR = 1;
  static final int RPM_INT8 = 2;
  static final int RPM_INT16 = 3;
  static final int RPM_INT32 = 4;
  static final int RPM_INT64 = 5;
  static final int RPM_STRING = 6;
  static final int RPM_BIN = 7;
  static final int RPM_STRING_ARRAY = 8;
  static final int RPM_I18NSTRING = 9;

  static final int TAG_REQUIREFLAGS = Tags.REQUIREFLAGS;
  static final int TAG_FILETRIGGERINDEX = Tags.FILETRIGGERINDEX;
  static final int TAG_TRANSFILETRIGGERINDEX = Tags.TRANSFILETRIGGERINDEX;

  /**
   * rpm's indexes, in rpm's order (lib/rpmdb.c {@code dbiTags}), with the table/file name, the
   * tag, whether the key is text, and which SQLite indexes rpm's sqlite backend creates on the table
   * (lib/backend/sqlite.c {@code init_index}: on key for string tags, on hnum for array tags).
   */
  public enum Index {
    NAME("Name", 1000, true, false),
    BASENAMES("Basenames", 1117, true, true),
    GROUP("Group", 1016, true, false),
    REQUIRENAME("Requirename", 1049, true, true),
    PROVIDENAME("Providename", 1047, true, true),
    CONFLICTNAME("Conflictname", 1054, true, true),
    OBSOLETENAME("Obsoletename", 1090, true, true),
    TRIGGERNAME("Triggername", 1066, true, true),
    DIRNAMES("Dirnames", 1118, true, true),
    INSTALLTID("Installtid", 1128, false, false),
    SIGMD5("Sigmd5", 261, false, false),
    SHA1HEADER("Sha1header", 269, true, false),
    FILETRIGGERNAME("Filetriggername", 5069, true, true),
    TRANSFILETRIGGERNAME("Transfiletriggername", 5079, true, true),
    RECOMMENDNAME("Recommendname", 5046, true, true),
    SUGGESTNAME("Suggestname", 5049, true, true),
    SUPPLEMENTNAME("Supplementname", 5052, true, true),
    ENHANCENAME("Enhancename", 5055, true, true);

    private final String table;
    private final int tag;
    private final boolean text;
    private final boolean array;

    Index(String table, int tag, boolean text, boolean array) {
      this.table = table;
      this.tag = tag;
      this.text = text;
      this.array = array;
    }

    /** The SQLite table / Berkeley DB file name. */
    public String table() {
      return table;
    }

    /** The header tag the index is built from. */
    public int tag() {
      return tag;
    }

    /** Whether rpm types the key as text (string class tags); else it is a blob. */
    public boolean textKey() {
      return text;
    }

    /** Whether the tag is an array tag (rpm then also indexes the SQLite table on hnum). */
    public boolean arrayTag() {
      return array;
    }

    boolean richDeps() {
      return this == REQUIRENAME || this == CONFLICTNAME || this == SUGGESTNAME
          || this == SUPPLEMENTNAME || this == RECOMMENDNAME || this == ENHANCENAME;
    }
  }

  /** One index entry: key bytes, header number, element index. */
  public record Entry(byte[] key, int hnum, int idx) {
    public Entry {
      key = key.clone();
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    /** The key as text (UTF-8), for text indexes and messages. */
    public String keyText() {
      return new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.hnum == hnum && e.idx == idx && Arrays.equals(e.key, key);
    }

    @Override
    public int hashCode() {
      return (Arrays.hashCode(key) * 31 + hnum) * 31 + idx;
    }

    @Override
    public String toString() {
      return "(" + keyText() + ", " + hnum + ", " + idx + ")";
    }
  }

  /** Every index's entries for {@code h} installed as header number {@code hnum}, in rpm's order. */
  public static Map<Index, List<Entry>> all(Header h, int hnum) {
    Map<Index, List<Entry>> out = new EnumMap<>(Index.class);
    for (Index index : Index.values()) {
      out.put(index, entries(index, h, hnum));
    }
    return out;
  }

  /** One index's entries for {@code h} installed as header number {@code hnum}, in rpm's order. */
  public static List<Entry> entries(Index index, Header h, int hnum) {
    List<byte[]> elements = elements(h, index.tag());
    if (elements.isEmpty()) {
      if (index != Index.GROUP) {
        return List.of();
      }
      elements = List.of("Unknown".getBytes(StandardCharsets.US_ASCII));
    }
    long[] reqflags = new long[0];
    if (index == Index.REQUIRENAME) {
      reqflags = h.has(TAG_REQUIREFLAGS) ? h.numbers(TAG_REQUIREFLAGS) : new long[0];
    }
    long[] trigIndex = null;
    if (index == Index.FILETRIGGERNAME) {
      trigIndex = h.has(TAG_FILETRIGGERINDEX) ? h.numbers(TAG_FILETRIGGERINDEX) : new long[0];
    } else if (index == Index.TRANSFILETRIGGERNAME) {
      trigIndex = h.has(TAG_TRANSFILETRIGGERINDEX) ? h.numbers(TAG_TRANSFILETRIGGERINDEX) : new long[0];
    }
    boolean stringArray = typeOf(h, index.tag()) == RPM_STRING_ARRAY;
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < elements.size(); i++) {
      byte[] key = elements.get(i);
      int idx = i;
      if (trigIndex != null) {
        idx = i < trigIndex.length ? (int) trigIndex[i] : 0;
      }
      if (index == Index.REQUIRENAME && i < reqflags.length && isTransientReq(reqflags[i])) {
        continue;
      }
      if (index == Index.TRIGGERNAME && i > 0) {
        boolean dup = false;
        for (int j = 0; j < i && !dup; j++) {
          dup = Arrays.equals(elements.get(j), key);
        }
        if (dup) {
          continue;
        }
      }
      out.add(new Entry(key, hnum, idx));
      if (key.length > 0 && key[0] == '(' && index.richDeps() && stringArray) {
        for (String name : RichDeps.names(new String(key, StandardCharsets.ISO_8859_1))) {
          out.add(new Entry(name.getBytes(StandardCharsets.ISO_8859_1), hnum, idx));
        }
      }
    }
    return Collections.unmodifiableList(out);
  }

  // rpm 4.18 include/rpm/rpmds.h
  private static final long SCRIPT_PRE = 1 << 9;
  private static final long SCRIPT_POST = 1 << 10;
  private static final long SCRIPT_PREUN = 1 << 11;
  private static final long SCRIPT_POSTUN = 1 << 12;
  private static final long PRETRANS = 1 << 7;
  private static final long POSTTRANS = 1 << 5;
  private static final long RPMLIB = 1 << 24;
  private static final long KEYRING = 1 << 26;
  private static final long META = 1 << 29;
  private static final long INSTALL_ONLY = SCRIPT_PRE | SCRIPT_POST | RPMLIB | KEYRING | PRETRANS | POSTTRANS;
  private static final long ERASE_ONLY = SCRIPT_PREUN | SCRIPT_POSTUN;

  /** rpm 4.18 {@code isTransientReq}: needed only while installing, so not indexed. */
  static boolean isTransientReq(long flags) {
    return (flags & INSTALL_ONLY) != 0 && (flags & ERASE_ONLY) == 0 && (flags & META) == 0;
  }

  static int typeOf(Header h, int tag) {
    for (Header.Entry e : h.entries()) {
      if (e.tag() == tag) {
        return e.type();
      }
    }
    return 0;
  }

  /** The elements of a tag as {@code td2key} makes them: one key per element. */
  static List<byte[]> elements(Header h, int tag) {
    if (!h.has(tag)) {
      return List.of();
    }
    int type = typeOf(h, tag);
    List<byte[]> out = new ArrayList<>();
    switch (type) {
      case RPM_STRING, RPM_STRING_ARRAY -> {
        for (String s : h.strings(tag)) {
          out.add(s.getBytes(StandardCharsets.UTF_8));
        }
      }
      case RPM_I18NSTRING -> {
        List<String> all = h.strings(tag);
        if (!all.isEmpty()) {
          out.add(all.get(0).getBytes(StandardCharsets.UTF_8));
        }
      }
      case RPM_BIN -> h.bytes(tag).ifPresent(out::add);
      case RPM_CHAR, RPM_INT8, RPM_INT16, RPM_INT32, RPM_INT64 -> {
        int size = switch (type) {
          case RPM_INT16 -> 2;
          case RPM_INT32 -> 4;
          case RPM_INT64 -> 8;
          default -> 1;
        };
        for (long v : h.numbers(tag)) {
          byte[] b = new byte[size];
          for (int k = 0; k < size; k++) {
            b[k] = (byte) (v >>> (8 * k)); // little-endian, as rpm on x86/arm64
          }
          out.add(b);
        }
      }
      default -> {
        // NULL and unknown types give no key (td2key returns NULL)
      }
    }
    return out;
  }
}
