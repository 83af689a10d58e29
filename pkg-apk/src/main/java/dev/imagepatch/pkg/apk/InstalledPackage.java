package dev.imagepatch.pkg.apk;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One record of {@code lib/apk/db/installed}: the header (an {@link ApkRecord}: {@code C P V A S I T
 * U L o m t c k D p i}, then {@code r q s f}) and the file section ({@code F:} directories, each with
 * its {@code M:} when not 0:0:755, and its {@code R:} files, each with {@code a:} when not 0:0:644 and
 * {@code Z:}). Every line is kept in its order, so a record read is written back byte for byte.
 *
 * <p>What {@link #installed} reproduces is apk-tools 2's {@code apk_db_install_archive_entry}
 * ({@code src/database.c}; 2.10 to 2.14 agree on all of it) followed by {@code apk_db_write_fdb}:
 * <ul>
 * <li>a directory entry of the data tar creates the package's {@code F:} line the first time its path
 * is seen (later entries of the same path only set its owner and mode), so {@code F:} lines are in
 * first-seen order; its {@code M:uid:gid:mode} (mode in octal, {@code & 07777}) is written when it is
 * not the default 0:0:755 ({@code diri->acl != apk_default_acl_dir});
 * <li>a file is added to its directory's list, so {@code R:} lines are grouped under their {@code F:}
 * in the order the files came; {@code a:uid:gid:mode} is written when not 0:0:644
 * ({@code file->acl != apk_default_acl_file}), a symlink's 0777 included;
 * <li>a directory that is only implied (the parent of a file, with no entry of its own in the tar) is
 * not created: apk 2 says "no dirent in archive", skips the file and marks the package broken
 * ({@code f:f}). Only a file at the root gets an implied (empty) {@code F:} directory. Here such a
 * package is refused instead;
 * <li>files named {@code .keep_*} are not recorded;
 * <li>{@code Z:} is the {@code Q1} form of the entry's SHA-1 (from its {@code APK-TOOLS.checksum.SHA1}
 * PAX record; a symlink's is the SHA-1 of its target, as abuild writes it); a hard link takes the
 * checksum of the file it links to, which must be in the same package;
 * <li>the header is the index stanza's fields in {@code apk_pkg_write_index_entry} order (unknown
 * index fields are not kept), then {@code r:} (replaces), {@code q:} (replaces_priority, when not
 * 0), {@code s:} (the repository tag, when the package was installed from a pinned repository).
 * </ul>
 * apk 2.12+ may add an xattr checksum to {@code a:}/{@code M:} ({@code :Q1...}); entries with
 * extended attributes are refused by {@link #installed}, lines carrying one are read and kept.
 */
public final class InstalledPackage {
  private static final String FILE_KEYS = "FMRaZ";
  private static final String HEADER_ORDER = "CPVASITULomtckDpi";

  private final ApkRecord header;
  private final List<ApkRecord.Field> lines;
  private final List<FileRecord> files;
  private final List<String> directories;

  private InstalledPackage(ApkRecord header, List<ApkRecord.Field> lines, List<FileRecord> files,
      List<String> directories) {
    this.header = header;
    this.lines = List.copyOf(lines);
    this.files = List.copyOf(files);
    this.directories = List.copyOf(directories);
  }

  /**
   * A record from its lines, checked as {@code apk_db_index_read} checks it (an {@code R:} before any
   * {@code F:}, an {@code a:} or {@code Z:} before any {@code R:}, an {@code M:} before any {@code F:},
   * a bad {@code uid:gid:mode}: {@link IllegalArgumentException} naming {@code source}).
   */
  static InstalledPackage of(List<ApkRecord.Field> lines, String source) {
    List<ApkRecord.Field> head = new ArrayList<>();
    List<FileRecord> files = new ArrayList<>();
    List<String> dirs = new ArrayList<>();
    String dir = null;
    String file = null;
    long[] acl = null;
    String sum = null;
    for (ApkRecord.Field f : lines) {
      char k = f.key();
      if (FILE_KEYS.indexOf(k) < 0) {
        head.add(f);
        continue;
      }
      switch (k) {
        case 'F' -> {
          if (file != null) {
            files.add(record(dir, file, acl, sum));
            file = null;
          }
          dir = f.value();
          // The image's database names the files imagepatch whites out: a path leaving the root is refused.
          checkPath(dir, source, "F:");
          dirs.add(dir);
        }
        case 'M' -> {
          if (dir == null) {
            throw new IllegalArgumentException(source + ": M: before any F:");
          }
          acl(f.value(), source);
        }
        case 'R' -> {
          if (dir == null) {
            throw new IllegalArgumentException(source + ": R:" + f.value() + " before any F:");
          }
          if (file != null) {
            files.add(record(dir, file, acl, sum));
          }
          file = f.value();
          acl = null;
          sum = null;
          if (file.isEmpty() || file.contains("/") || file.equals(".") || file.equals("..")) {
            throw new IllegalArgumentException(source + ": R:" + Names.quote(file) + " is not a file name");
          }
          checkPath(file, source, "R:");
        }
        case 'a' -> {
          if (file == null) {
            throw new IllegalArgumentException(source + ": a: before any R:");
          }
          acl = acl(f.value(), source);
        }
        default -> {
          if (file == null) {
            throw new IllegalArgumentException(source + ": Z: before any R:");
          }
          sum = f.value();
        }
      }
    }
    if (file != null) {
      files.add(record(dir, file, acl, sum));
    }
    ApkRecord header = ApkRecord.of(head, source, false);
    return new InstalledPackage(header, lines, files, dirs);
  }

  /** A database path as the path discipline allows it: no '..' component, no carriage return (a NUL or newline cannot be in a field). */
  private static void checkPath(String path, String source, String key) {
    if (path.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(source + ": " + key + Names.quote(path) + " holds a carriage return");
    }
    for (String part : path.split("/")) {
      if (part.equals("..")) {
        throw new IllegalArgumentException(source + ": " + key + Names.quote(path) + " has a '..' component, which"
            + " would leave the root");
      }
    }
  }

  private static FileRecord record(String dir, String name, long[] acl, String sum) {
    String path = dir.isEmpty() ? name : dir + "/" + name;
    return acl == null ? new FileRecord(path, 0, 0, 0644, sum)
        : new FileRecord(path, acl[0], acl[1], (int) acl[2], sum);
  }

  /** {@code uid:gid:mode[:xattr checksum]}, mode in octal. */
  private static long[] acl(String v, String source) {
    String[] p = v.split(":", -1);
    if ((p.length != 3 && p.length != 4) || !p[0].matches("[0-9]{1,10}") || !p[1].matches("[0-9]{1,10}")
        || !p[2].matches("[0-7]{1,7}")) {
      throw new IllegalArgumentException(source + ": not uid:gid:mode: '" + v + "'");
    }
    return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2], 8)};
  }

  /** The header: {@code C P V A S I T U L o m t c k D p i}, {@code r q s f} kept. */
  public ApkRecord header() {
    return header;
  }

  /** {@code header().name()} */
  public String name() {
    return header.name();
  }

  /** {@code header().version()} */
  public String version() {
    return header.version();
  }

  /** The files, in the record's order. */
  public List<FileRecord> files() {
    return files;
  }

  /** The {@code F:} lines, in order ({@code ""} is the root). */
  public List<String> directories() {
    return directories;
  }

  /** Every line of the record, in order. */
  public List<ApkRecord.Field> lines() {
    return lines;
  }

  /** The record's text: each line ended by a newline, no blank line after it. */
  public String text() {
    StringBuilder b = new StringBuilder();
    for (ApkRecord.Field f : lines) {
      b.append(f.key()).append(':').append(f.value()).append('\n');
    }
    return b.toString();
  }

  /** The record's file section ({@code F M R a Z} lines), as {@link #text()} writes it. */
  public String fileSection() {
    StringBuilder b = new StringBuilder();
    for (ApkRecord.Field f : lines) {
      if (FILE_KEYS.indexOf(f.key()) >= 0) {
        b.append(f.key()).append(':').append(f.value()).append('\n');
      }
    }
    return b.toString();
  }

  /**
   * Builds the record apk writes after installing {@code record} whose data tar entries are
   * {@code entries} (in tar order); {@code tag} is the repository pin ({@code s:}), null or empty for
   * none. {@code r:}/{@code q:} are taken from {@code record} when it has them (an index stanza has
   * not: use {@link #installed(ApkRecord, PkgInfo, List, String)}).
   */
  public static InstalledPackage installed(ApkRecord record, List<ApkEntry> entries, String tag) {
    return installed(record, record.get('r').orElse(null), record.get('q').orElse(null), entries, tag);
  }

  /** {@link #installed(ApkRecord, List, String)} with {@code r:}/{@code q:} from the package's {@code .PKGINFO}. */
  public static InstalledPackage installed(ApkRecord record, PkgInfo info, List<ApkEntry> entries, String tag) {
    String what = "package " + record.name();
    List<Dependency> replaces = new ArrayList<>();
    for (String v : info.all("replaces")) {
      replaces.addAll(Dependency.parseList(v, what + " replaces"));
    }
    List<String> prio = info.all("replaces_priority");
    return installed(record, replaces.isEmpty() ? null : Dependency.indexForm(replaces),
        prio.isEmpty() ? null : prio.get(prio.size() - 1), entries, tag);
  }

  private static InstalledPackage installed(ApkRecord record, String replaces, String replacesPriority,
      List<ApkEntry> entries, String tag) {
    String what = "package " + record.name() + "-" + record.version();
    List<ApkRecord.Field> out = new ArrayList<>();
    for (char k : HEADER_ORDER.toCharArray()) {
      record.get(k).ifPresent(v -> out.add(new ApkRecord.Field(k, v)));
    }
    if (replaces != null && !replaces.isEmpty()) {
      out.add(new ApkRecord.Field('r', replaces));
    }
    if (replacesPriority != null) {
      if (!replacesPriority.matches("[0-9]{1,9}")) {
        throw new IllegalArgumentException(what + ": replaces_priority is not a number: '" + replacesPriority + "'");
      }
      long q = Long.parseLong(replacesPriority);
      if (q != 0) {
        out.add(new ApkRecord.Field('q', Long.toString(q)));
      }
    }
    if (tag != null && !tag.isEmpty()) {
      out.add(new ApkRecord.Field('s', tag));
    }
    // Directory instances in first-seen order, each with its acl and its files in arrival order.
    Map<String, Dir> dirs = new LinkedHashMap<>();
    Map<String, String> checksumByPath = new LinkedHashMap<>();
    for (ApkEntry e : entries) {
      for (String key : e.paxHeaders().keySet()) {
        if (key.startsWith("SCHILY.xattr.")) {
          throw new IllegalArgumentException(what + ": " + e.path() + " has extended attributes, whose"
              + " apk checksum is not reproduced");
        }
      }
      String path = e.path();
      if (e.type() == ApkEntry.Type.DIRECTORY) {
        Dir d = dirs.computeIfAbsent(path, x -> new Dir());
        d.uid = e.uid();
        d.gid = e.gid();
        d.mode = e.mode() & 07777;
        continue;
      }
      int slash = path.lastIndexOf('/');
      String dir = slash < 0 ? "" : path.substring(0, slash);
      String name = path.substring(slash + 1);
      if (name.startsWith(".keep_") && name.length() > 6) {
        continue;
      }
      Dir d = dirs.get(dir);
      if (d == null) {
        if (!dir.isEmpty()) {
          throw new IllegalArgumentException(what + ": " + path + ": no directory entry for " + dir
              + " in the archive (apk 2 skips the file and marks the package broken)");
        }
        d = new Dir();
        dirs.put(dir, d);
      }
      String sum;
      if (e.type() == ApkEntry.Type.HARDLINK) {
        if (!checksumByPath.containsKey(e.linkTarget())) {
          throw new IllegalArgumentException(what + ": " + path + ": hard link target " + e.linkTarget()
              + " is not a file of the package before it");
        }
        sum = checksumByPath.get(e.linkTarget());
      } else if (e.sha1Hex() != null) {
        sum = q1(HexFormat.of().parseHex(e.sha1Hex()));
      } else if (e.type() == ApkEntry.Type.SYMLINK && e.linkTarget() != null) {
        sum = q1(sha1(e.linkTarget().getBytes(StandardCharsets.UTF_8)));
      } else {
        sum = null;
      }
      checksumByPath.put(path, sum);
      d.files.add(new FileRecord(path, e.uid(), e.gid(), e.mode() & 07777, sum));
      d.names.add(name);
    }
    for (Map.Entry<String, Dir> de : dirs.entrySet()) {
      Dir d = de.getValue();
      out.add(new ApkRecord.Field('F', de.getKey()));
      if (d.uid != 0 || d.gid != 0 || d.mode != 0755) {
        out.add(new ApkRecord.Field('M', d.uid + ":" + d.gid + ":" + Integer.toOctalString(d.mode)));
      }
      for (int i = 0; i < d.files.size(); i++) {
        FileRecord f = d.files.get(i);
        out.add(new ApkRecord.Field('R', d.names.get(i)));
        if (f.uid() != 0 || f.gid() != 0 || f.mode() != 0644) {
          out.add(new ApkRecord.Field('a', f.uid() + ":" + f.gid() + ":" + Integer.toOctalString(f.mode())));
        }
        if (f.checksum() != null) {
          out.add(new ApkRecord.Field('Z', f.checksum()));
        }
      }
    }
    return of(out, what);
  }

  private static final class Dir {
    long uid;
    long gid;
    int mode = 0755;
    final List<FileRecord> files = new ArrayList<>();
    final List<String> names = new ArrayList<>();
  }

  static String q1(byte[] sha1) {
    return "Q1" + Base64.getEncoder().encodeToString(sha1);
  }

  static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InstalledPackage p && p.lines.equals(lines);
  }

  @Override
  public int hashCode() {
    return lines.hashCode();
  }

  @Override
  public String toString() {
    return header.toString();
  }
}
