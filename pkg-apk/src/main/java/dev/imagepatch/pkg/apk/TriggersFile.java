package dev.imagepatch.pkg.apk;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code lib/apk/db/triggers}: {@code <Q1checksum> <glob> <glob>...} for each installed package with
 * triggers. apk-tools 2 writes the packages of its {@code installed.triggers} list
 * ({@code apk_db_triggers_write}, {@code src/database.c}): the file's own order as read
 * ({@code apk_db_triggers_read}), and a package installed with a {@code triggers} line in its
 * {@code .PKGINFO} appended at the end ({@code list_add_tail} in the install's {@code read_info_line}),
 * the version it replaces taken out ({@code apk_pkg_uninstall}). Globs are split on spaces, empty
 * ones dropped ({@code parse_triggers}).
 */
public final class TriggersFile {
  /** One line. */
  public record Entry(String checksum, List<String> globs) {
    public Entry {
      ApkRecord.checkChecksum(checksum, "triggers");
      globs = List.copyOf(globs);
      for (String g : globs) {
        if (g.isEmpty() || g.contains(" ") || g.contains("\n") || g.contains("\0")) {
          throw new IllegalArgumentException("triggers: not a glob apk can write: '" + g + "'");
        }
      }
    }
  }

  private final List<Entry> entries;

  private TriggersFile(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Reads the file; a line that is not {@code <Q1checksum> globs...} is an {@link IllegalArgumentException} naming the line. */
  public static TriggersFile parse(String text, String source) {
    List<Entry> out = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      // -1: a line of spaces alone splits into empty parts (a missing checksum, refused below), not into none.
      String[] parts = line.split(" ", -1);
      List<String> globs = new ArrayList<>();
      for (int i = 1; i < parts.length; i++) {
        if (!parts[i].isEmpty()) {
          globs.add(parts[i]);
        }
      }
      try {
        out.add(new Entry(parts[0], globs));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + n + ": " + e.getMessage(), e);
      }
    }
    return new TriggersFile(out);
  }

  /** The {@code triggers} globs of a package's {@code .PKGINFO} (the last {@code triggers} line, split on spaces). */
  public static List<String> globs(PkgInfo info) {
    List<String> all = info.all("triggers");
    if (all.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String g : all.get(all.size() - 1).split(" ")) {
      if (!g.isEmpty()) {
        out.add(g);
      }
    }
    return out;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** A copy with the lines of {@code removedChecksums} taken out and {@code added} (those with globs) appended in order. */
  public TriggersFile replace(Collection<String> removedChecksums, List<Entry> added) {
    Set<String> gone = new HashSet<>(removedChecksums);
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (!gone.contains(e.checksum())) {
        out.add(e);
      }
    }
    for (Entry e : added) {
      if (!e.globs().isEmpty()) {
        out.add(e);
      }
    }
    return new TriggersFile(out);
  }

  /** The file as apk writes it. */
  public String write() {
    StringBuilder b = new StringBuilder();
    for (Entry e : entries) {
      b.append(e.checksum());
      for (String g : e.globs()) {
        b.append(' ').append(g);
      }
      b.append('\n');
    }
    return b.toString();
  }
}
