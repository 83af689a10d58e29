package dev.imagepatch.pkg.apk;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code lib/apk/db/installed} read and written exactly as apk-tools 2.x writes it: records in the
 * order of apk's {@code installed.packages} list, each ended by a blank line ({@code apk_db_write_fdb}).
 *
 * <p>Order after a change, from apk-tools 2 ({@code src/package.c}, {@code src/database.c},
 * {@code src/commit.c}, {@code src/solver.c}): a package being installed is put at the end of the list
 * ({@code apk_pkg_install}: {@code list_add_tail(&ipkg->installed_pkgs_list, &db->installed.packages)}),
 * and the package it replaces is taken out of it ({@code apk_pkg_uninstall}: {@code list_del}), so an
 * upgraded package's record moves to the end of the file. {@code apk_solver_commit_changeset} commits
 * the changes in changeset order, which {@code generate_changeset} builds by walking world with each
 * package's dependencies before the package, then the removals in installed order. {@link #replace}
 * takes {@code added} in that commit order.
 */
public final class InstalledDatabase {
  private final List<InstalledPackage> packages;
  /** Blank lines before the first record, and after each record (apk writes 0 and 1). */
  private final int leading;
  private final List<Integer> blanksAfter;

  private InstalledDatabase(List<InstalledPackage> packages, int leading, List<Integer> blanksAfter) {
    this.packages = List.copyOf(packages);
    this.leading = leading;
    this.blanksAfter = List.copyOf(blanksAfter);
  }

  /**
   * Reads the file; a line that is not {@code K:value} or a record apk could not read is an
   * {@link IllegalArgumentException} naming {@code source} and the line.
   */
  public static InstalledDatabase parse(String text, String source) {
    List<InstalledPackage> packages = new ArrayList<>();
    List<Integer> blanks = new ArrayList<>();
    int leading = 0;
    List<ApkRecord.Field> current = new ArrayList<>();
    int start = 0;
    String[] lines = text.split("\n", -1);
    // The text after the last newline is "" for a file ending in a newline.
    int n = lines.length;
    if (!lines[n - 1].isEmpty()) {
      throw new IllegalArgumentException(source + ": does not end with a newline");
    }
    n--;
    Set<String> names = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        if (!current.isEmpty()) {
          InstalledPackage p = InstalledPackage.of(current, source + " line " + start);
          if (!names.add(p.name())) {
            throw new IllegalArgumentException(source + " line " + start + ": package " + p.name()
                + " is installed twice");
          }
          packages.add(p);
          blanks.add(1);
          current = new ArrayList<>();
        } else if (packages.isEmpty()) {
          leading++;
        } else {
          blanks.set(blanks.size() - 1, blanks.get(blanks.size() - 1) + 1);
        }
        continue;
      }
      if (line.length() < 2 || line.charAt(1) != ':') {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": not 'K:value'");
      }
      if (current.isEmpty()) {
        start = i + 1;
      }
      try {
        current.add(new ApkRecord.Field(line.charAt(0), line.substring(2)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    if (!current.isEmpty()) {
      InstalledPackage p = InstalledPackage.of(current, source + " line " + start);
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(source + " line " + start + ": package " + p.name() + " is installed twice");
      }
      packages.add(p);
      blanks.add(0);
    }
    return new InstalledDatabase(packages, leading, blanks);
  }

  /** The installed packages in the file's order. */
  public List<InstalledPackage> packages() {
    return packages;
  }

  /** The installed package of {@code name}. */
  public Optional<InstalledPackage> find(String name) {
    return packages.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /**
   * A copy with {@code removed} taken out (matched by name) and {@code added} appended in the order
   * given (apk 2 appends what it installs, in commit order); an added package whose name is still
   * installed, or a removed one that is not, is an {@link IllegalArgumentException}.
   */
  public InstalledDatabase replace(List<InstalledPackage> removed, List<InstalledPackage> added) {
    Set<String> gone = new HashSet<>();
    for (InstalledPackage r : removed) {
      if (find(r.name()).isEmpty()) {
        throw new IllegalArgumentException("package " + r.name() + " is not installed");
      }
      gone.add(r.name());
    }
    List<InstalledPackage> out = new ArrayList<>();
    List<Integer> blanks = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < packages.size(); i++) {
      if (!gone.contains(packages.get(i).name())) {
        out.add(packages.get(i));
        blanks.add(blanksAfter.get(i));
        names.add(packages.get(i).name());
      }
    }
    if (!blanks.isEmpty() && blanks.get(blanks.size() - 1) == 0 && !added.isEmpty()) {
      blanks.set(blanks.size() - 1, 1);
    }
    for (InstalledPackage a : added) {
      if (!names.add(a.name())) {
        throw new IllegalArgumentException("package " + a.name() + " would be installed twice");
      }
      out.add(a);
      blanks.add(1);
    }
    return new InstalledDatabase(out, out.isEmpty() ? 0 : leading, blanks);
  }

  /** The file's text: byte for byte what was parsed when nothing changed, apk's form for what did. */
  public String write() {
    StringBuilder b = new StringBuilder();
    b.append("\n".repeat(leading));
    for (int i = 0; i < packages.size(); i++) {
      b.append(packages.get(i).text());
      b.append("\n".repeat(blanksAfter.get(i)));
    }
    return b.toString();
  }
}
