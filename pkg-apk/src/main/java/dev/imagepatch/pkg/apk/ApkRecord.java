package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.version.ApkVersion;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One package stanza ({@code K:value} lines) of an APKINDEX, or the header of a record of the
 * installed database. Fields are kept in their order, unknown keys included, so a stanza is written
 * back as it was read. A stanza apk could not use (no {@code P:}, {@code V:} or {@code C:}, a
 * {@code C:} that is not a {@code Q1} SHA-1, a number that is not one, a repeated single-valued key)
 * or whose version {@link ApkVersion} refuses is passed over by {@link #parseIndex} with the reason,
 * not the whole index refused. (apk-tools 2 itself does not validate {@code V:}: the real v3.17
 * aarch64 index has {@code aspell-ru 0.99f7-r1}, which apk keeps and this passes over.) A dependency
 * list is read as apk reads it: the first token {@code apk_blob_pull_dep} refuses ends it.
 */
public final class ApkRecord {
  private static final Logger LOG = LoggerFactory.getLogger(ApkRecord.class);

  /**
   * One {@code K:value} line; the value can hold no line end or NUL. (A carriage return is kept: apk
   * splits on newlines only, and the real v2.6 x86 index has one in a {@code T:}.)
   */
  public record Field(char key, String value) {
    public Field {
      if (key <= ' ' || key == ':' || key >= 0x7f) {
        throw new IllegalArgumentException("not an apk field key: '" + key + "'");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '\n' || c == 0) {
          throw new IllegalArgumentException("field " + key + ": a line end or NUL in the value");
        }
      }
    }

    @Override
    public String toString() {
      return key + ":" + value;
    }
  }

  /** What {@link #readIndex} made of an index: the usable stanzas, and why each other one was passed over. */
  public record IndexRead(List<ApkRecord> records, List<String> passedOver) {
    public IndexRead {
      records = List.copyOf(records);
      passedOver = List.copyOf(passedOver);
    }
  }

  /** Keys apk reads once (a second one would silently overwrite the first); a stanza repeating one is refused. */
  private static final String SINGLE = "CPVASITULomtckqs";
  /** Keys holding dependency lists; apk appends a repeated one. */
  private static final String DEPENDENCY_LISTS = "Dpir";
  private static final String NUMBERS = "SItkq";

  private final List<Field> fields;
  private final Map<Character, List<Dependency>> dependencies;

  private ApkRecord(List<Field> fields, Map<Character, List<Dependency>> dependencies) {
    this.fields = List.copyOf(fields);
    this.dependencies = Map.copyOf(dependencies);
  }

  /** The usable stanzas of an APKINDEX, in order; the reasons for any passed over are logged. */
  public static List<ApkRecord> parseIndex(String apkindexText, String source) {
    IndexRead read = readIndex(apkindexText, source);
    for (String reason : read.passedOver()) {
      LOG.warn("{}", reason);
    }
    return read.records();
  }

  /** Like {@link #parseIndex}, returning the reasons instead of logging them. */
  public static IndexRead readIndex(String apkindexText, String source) {
    List<ApkRecord> records = new ArrayList<>();
    List<String> passedOver = new ArrayList<>();
    List<Field> current = new ArrayList<>();
    String problem = null;
    int lineNo = 0;
    int stanzaLine = 0;
    String[] lines = apkindexText.split("\n", -1);
    for (int i = 0; i <= lines.length; i++) {
      String line = i < lines.length ? lines[i] : "";
      lineNo++;
      // apk-tools 2.12+ apk_db_index_read: a line shorter than "K:" ends the stanza.
      if (line.length() < 2) {
        if (!current.isEmpty() || problem != null) {
          String where = source + " line " + stanzaLine;
          if (problem == null) {
            try {
              records.add(of(current, where));
            } catch (IllegalArgumentException e) {
              problem = e.getMessage();
            }
          }
          if (problem != null) {
            passedOver.add(where + ": stanza " + nameOf(current) + " passed over: " + problem);
          }
        }
        current = new ArrayList<>();
        problem = null;
        continue;
      }
      if (current.isEmpty() && problem == null) {
        stanzaLine = lineNo;
      }
      if (problem != null) {
        continue;
      }
      if (line.charAt(1) != ':') {
        problem = "line " + lineNo + " is not 'K:value'";
        continue;
      }
      try {
        current.add(new Field(line.charAt(0), line.substring(2)));
      } catch (IllegalArgumentException e) {
        problem = "line " + lineNo + ": " + e.getMessage();
      }
    }
    return new IndexRead(records, passedOver);
  }

  private static String nameOf(List<Field> fields) {
    for (Field f : fields) {
      if (f.key() == 'P') {
        return "'" + f.value() + "'";
      }
    }
    return "(no P:)";
  }

  /**
   * A record of the given fields, checked: {@code P:} (a name apk and a file system can hold),
   * {@code V:} (valid per {@link ApkVersion}), {@code C:} ({@code Q1} and the base64 of a SHA-1),
   * numbers in {@code S I t k q}; dependencies in {@code D p i r} are read as apk reads them. Anything
   * else is an {@link IllegalArgumentException} naming {@code source}.
   */
  public static ApkRecord of(List<Field> fields, String source) {
    return of(fields, source, true);
  }

  /**
   * {@link #of(List, String)}; without {@code validVersion} the version is not checked, as apk-tools 2
   * does not check it (an installed record is read whatever its version, to be written back).
   */
  static ApkRecord of(List<Field> fields, String source, boolean validVersion) {
    Map<Character, String> single = new HashMap<>();
    Map<Character, List<Dependency>> deps = new HashMap<>();
    for (Field f : fields) {
      char k = f.key();
      if (SINGLE.indexOf(k) >= 0 && single.put(k, f.value()) != null) {
        throw new IllegalArgumentException(source + ": field " + k + ": repeated");
      }
      if (NUMBERS.indexOf(k) >= 0 && !f.value().matches("[0-9]{1,18}")) {
        throw new IllegalArgumentException(source + ": field " + k + ": not a number: '" + f.value() + "'");
      }
      if (DEPENDENCY_LISTS.indexOf(k) >= 0) {
        List<Dependency> list = deps.computeIfAbsent(k, x -> new ArrayList<>());
        list.addAll(Dependency.parseListAsApk(f.value(), source + " field " + k));
      }
    }
    String name = single.get('P');
    if (name == null) {
      throw new IllegalArgumentException(source + ": no package name (P:)");
    }
    checkName(name, source);
    String version = single.get('V');
    if (version == null) {
      throw new IllegalArgumentException(source + ": package " + name + ": no version (V:)");
    }
    if (validVersion && !ApkVersion.isValid(version)) {
      throw new IllegalArgumentException(source + ": package " + name + ": invalid version '" + version + "'");
    }
    String checksum = single.get('C');
    if (checksum == null) {
      throw new IllegalArgumentException(source + ": package " + name + ": no checksum (C:)");
    }
    checkChecksum(checksum, source + ": package " + name);
    Map<Character, List<Dependency>> frozen = new HashMap<>();
    deps.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return new ApkRecord(fields, frozen);
  }

  /** A package name apk accepts that is also safe in a file name ({@code scripts.tar}, the cache). */
  static void checkName(String name, String source) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith("-")) {
      throw new IllegalArgumentException(source + ": invalid package name '" + name + "'");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c == 0x7f || c == '/' || "<>=~!@".indexOf(c) >= 0) {
        throw new IllegalArgumentException(source + ": invalid package name '" + name + "'");
      }
    }
  }

  /** {@code Q1} and the base64 of a 20-byte SHA-1, as {@code apk_blob_push_csum} writes it. */
  static void checkChecksum(String checksum, String what) {
    boolean ok = checksum.length() == 30 && checksum.startsWith("Q1");
    if (ok) {
      try {
        ok = Base64.getDecoder().decode(checksum.substring(2)).length == 20;
      } catch (IllegalArgumentException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException(what + ": checksum '" + checksum + "' is not Q1 and a base64 SHA-1");
    }
  }

  /**
   * The index stanza apk-tools 2 writes for a package ({@code apk_pkg_write_index_entry},
   * {@code src/package.c}): {@code C P V}, {@code A} when there is an arch, {@code S I T U L} always
   * (empty when absent), {@code o m} when present, {@code t} when the build date is not 0, {@code c}
   * when present, {@code k} when the provider priority is not 0, then {@code D p i} when not empty.
   * The {@code .PKGINFO} keys are mapped as {@code read_info_line} maps them (pkgname P, pkgver V,
   * pkgdesc T, url U, size I, license L, arch A, depend D, install_if i, provides p, origin o,
   * maintainer m, builddate t, commit c, provider_priority k); a repeated single-valued key keeps the
   * last value and repeated {@code depend}/{@code provides}/{@code install_if} lines add up, as apk's
   * {@code apk_pkg_add_info} does. Other keys (packager, datahash, replaces, replaces_priority,
   * triggers) are not index fields: replaces become the installed record's {@code r:}/{@code q:},
   * triggers the {@code triggers} file.
   */
  public static ApkRecord of(PkgInfo info, String checksum, long size) {
    String what = ".PKGINFO of " + info.first("pkgname").orElse("(no pkgname)");
    List<Field> f = new ArrayList<>();
    f.add(new Field('C', checksum));
    f.add(new Field('P', last(info, "pkgname").orElseThrow(() -> new IllegalArgumentException(what + ": no pkgname"))));
    f.add(new Field('V', last(info, "pkgver").orElseThrow(() -> new IllegalArgumentException(what + ": no pkgver"))));
    last(info, "arch").ifPresent(v -> f.add(new Field('A', v)));
    if (size < 0) {
      throw new IllegalArgumentException(what + ": negative size");
    }
    f.add(new Field('S', Long.toString(size)));
    f.add(new Field('I', Long.toString(number(info, "size", what))));
    f.add(new Field('T', last(info, "pkgdesc").orElse("")));
    f.add(new Field('U', last(info, "url").orElse("")));
    f.add(new Field('L', last(info, "license").orElse("")));
    last(info, "origin").ifPresent(v -> f.add(new Field('o', v)));
    last(info, "maintainer").ifPresent(v -> f.add(new Field('m', v)));
    long builddate = number(info, "builddate", what);
    if (builddate != 0) {
      f.add(new Field('t', Long.toString(builddate)));
    }
    last(info, "commit").ifPresent(v -> f.add(new Field('c', v)));
    long priority = number(info, "provider_priority", what);
    if (priority != 0) {
      f.add(new Field('k', Long.toString(priority)));
    }
    dependencyField(f, 'D', info, "depend", what);
    dependencyField(f, 'p', info, "provides", what);
    dependencyField(f, 'i', info, "install_if", what);
    return of(f, what);
  }

  private static Optional<String> last(PkgInfo info, String key) {
    List<String> all = info.all(key);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  private static long number(PkgInfo info, String key, String what) {
    Optional<String> v = last(info, key);
    if (v.isEmpty()) {
      return 0;
    }
    if (!v.get().matches("[0-9]{1,18}")) {
      throw new IllegalArgumentException(what + ": " + key + " is not a number: '" + v.get() + "'");
    }
    return Long.parseLong(v.get());
  }

  private static void dependencyField(List<Field> f, char key, PkgInfo info, String pkginfoKey, String what) {
    List<Dependency> deps = new ArrayList<>();
    for (String v : info.all(pkginfoKey)) {
      deps.addAll(Dependency.parseList(v, what + " " + pkginfoKey));
    }
    if (!deps.isEmpty()) {
      f.add(new Field(key, Dependency.indexForm(deps)));
    }
  }

  /** A copy with the first {@code key} field's value replaced, or the field added at the end when there is none. */
  public ApkRecord with(char key, String value) {
    List<Field> out = new ArrayList<>(fields);
    boolean done = false;
    for (int i = 0; i < out.size() && !done; i++) {
      if (out.get(i).key() == key) {
        out.set(i, new Field(key, value));
        done = true;
      }
    }
    if (!done) {
      out.add(new Field(key, value));
    }
    return of(out, "package " + name());
  }

  /** The fields in order. */
  public List<Field> fields() {
    return fields;
  }

  /** The first value of {@code key}. */
  public Optional<String> get(char key) {
    for (Field f : fields) {
      if (f.key() == key) {
        return Optional.of(f.value());
      }
    }
    return Optional.empty();
  }

  /** The stanza's lines, each ended by a newline (no blank line after the last). */
  public String text() {
    StringBuilder b = new StringBuilder();
    for (Field f : fields) {
      b.append(f.key()).append(':').append(f.value()).append('\n');
    }
    return b.toString();
  }

  public String name() {
    return get('P').orElseThrow();
  }

  public String version() {
    return get('V').orElseThrow();
  }

  /** {@code A:}, "" when absent. */
  public String arch() {
    return get('A').orElse("");
  }

  /** {@code C:}, the {@code Q1...} checksum of the package's control member. */
  public String checksum() {
    return get('C').orElseThrow();
  }

  /** {@code S:}, the package file's size; 0 when absent. */
  public long size() {
    return numberField('S');
  }

  /** {@code I:}, the installed size; 0 when absent. */
  public long installedSize() {
    return numberField('I');
  }

  /** {@code o:}, the origin (source package) scanners match on; "" when absent. */
  public String origin() {
    return get('o').orElse("");
  }

  /** {@code c:}, the aports commit; "" when absent. */
  public String commit() {
    return get('c').orElse("");
  }

  /** {@code D:} */
  public List<Dependency> depends() {
    return dependencies.getOrDefault('D', List.of());
  }

  /** {@code p:} */
  public List<Dependency> provides() {
    return dependencies.getOrDefault('p', List.of());
  }

  /** {@code i:} */
  public List<Dependency> installIf() {
    return dependencies.getOrDefault('i', List.of());
  }

  /** {@code r:} (installed database only: the package's {@code replaces}). */
  public List<Dependency> replaces() {
    return dependencies.getOrDefault('r', List.of());
  }

  /** {@code k:}, 0 when absent. */
  public int providerPriority() {
    return (int) Math.min(Integer.MAX_VALUE, numberField('k'));
  }

  private long numberField(char key) {
    return get(key).map(Long::parseLong).orElse(0L);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ApkRecord r && r.fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return fields.hashCode();
  }

  @Override
  public String toString() {
    return name() + "-" + version();
  }
}
