package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.rpm.repo.RpmFile;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * A package as the solver sees it: installed (from its rpm database header) or available (from a
 * repository's primary metadata).
 *
 * @param epoch null when the package has none (or epoch 0, which rpm and libsolv treat alike)
 * @param files the paths it provides for file dependencies: every file of an installed header,
 *     the subset primary lists for an available package
 * @param repository the repository id; {@code "@System"} when installed
 */
public record RpmSolvable(String name, String epoch, String version, String release, String arch,
    List<RpmDependency> provides, List<RpmDependency> requires, List<RpmDependency> conflicts,
    List<RpmDependency> obsoletes, List<String> files, String repository) {
  /** The repository id of installed packages, as dnf prints it. */
  public static final String SYSTEM = "@System";

  /** rpm's RPMSENSE bits of a dependency's flags. */
  static final int LESS = 2;
  static final int GREATER = 4;
  static final int EQUAL = 8;
  static final int PREREQ = 64;
  static final int SCRIPT_PRE = 1 << 9;
  static final int RPMLIB = 1 << 24;

  public RpmSolvable {
    provides = List.copyOf(provides);
    requires = List.copyOf(requires);
    conflicts = List.copyOf(conflicts);
    obsoletes = List.copyOf(obsoletes);
    files = List.copyOf(files);
    if (epoch != null && (epoch.isEmpty() || epoch.chars().allMatch(c -> c == '0'))) {
      epoch = null;
    }
  }

  /** An installed package from its header (rpmlib() requirements left out, as libsolv does). */
  public static RpmSolvable installed(Header header) {
    String name = header.string(Tags.NAME).orElseThrow(() -> new IllegalArgumentException(
        header.source() + ": a header without a name"));
    long epoch = header.number(Tags.EPOCH).orElse(-1);
    List<String> files = new ArrayList<>();
    List<String> basenames = header.strings(Tags.BASENAMES);
    List<String> dirnames = header.strings(Tags.DIRNAMES);
    long[] dirindexes = header.numbers(Tags.DIRINDEXES);
    for (int i = 0; i < basenames.size() && i < dirindexes.length; i++) {
      int d = (int) dirindexes[i];
      if (d >= 0 && d < dirnames.size()) {
        files.add(dirnames.get(d) + basenames.get(i));
      }
    }
    if (basenames.isEmpty()) {
      files.addAll(header.strings(Tags.OLDFILENAMES));
    }
    return new RpmSolvable(name, epoch < 0 ? null : Long.toString(epoch),
        header.string(Tags.VERSION).orElse(""), header.string(Tags.RELEASE).orElse(""),
        header.string(Tags.ARCH).orElse("noarch"),
        dependencies(header, Tags.PROVIDENAME, Tags.PROVIDEFLAGS, Tags.PROVIDEVERSION),
        dependencies(header, Tags.REQUIRENAME, Tags.REQUIREFLAGS, Tags.REQUIREVERSION),
        dependencies(header, Tags.CONFLICTNAME, Tags.CONFLICTFLAGS, Tags.CONFLICTVERSION),
        dependencies(header, Tags.OBSOLETENAME, Tags.OBSOLETEFLAGS, Tags.OBSOLETEVERSION), files, SYSTEM);
  }

  /** An available package of a repository. */
  public static RpmSolvable available(RpmRecord record, String repositoryId) {
    List<String> files = new ArrayList<>(record.files().size());
    for (RpmFile f : record.files()) {
      files.add(f.path());
    }
    return new RpmSolvable(record.name(), record.epoch(), record.version(), record.release(), record.arch(),
        record.provides(), record.requires(), record.conflicts(), record.obsoletes(), files, repositoryId);
  }

  private static List<RpmDependency> dependencies(Header h, int nameTag, int flagsTag, int versionTag) {
    List<String> names = h.strings(nameTag);
    long[] flags = h.numbers(flagsTag);
    List<String> versions = h.strings(versionTag);
    List<RpmDependency> out = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      long f = i < flags.length ? flags[i] : 0;
      String n = names.get(i);
      if ((f & RPMLIB) != 0 || n.startsWith("rpmlib(")) {
        continue;
      }
      out.add(of(n, f, i < versions.size() ? versions.get(i) : ""));
    }
    return out;
  }

  /** A dependency from a header's name, RPMSENSE flags and {@code [epoch:]version[-release]}. */
  static RpmDependency of(String name, long flags, String evr) {
    RpmDependency.Flags f = switch ((int) (flags & (LESS | GREATER | EQUAL))) {
      case LESS -> RpmDependency.Flags.LT;
      case GREATER -> RpmDependency.Flags.GT;
      case EQUAL -> RpmDependency.Flags.EQ;
      case LESS | EQUAL -> RpmDependency.Flags.LE;
      case GREATER | EQUAL -> RpmDependency.Flags.GE;
      default -> null;
    };
    boolean pre = (flags & (PREREQ | SCRIPT_PRE)) != 0;
    if (f == null || evr == null || evr.isEmpty()) {
      return new RpmDependency(name, null, null, null, null, pre);
    }
    String epoch = null;
    String rest = evr;
    int colon = evr.indexOf(':');
    if (colon >= 0 && evr.substring(0, colon).chars().allMatch(Character::isDigit)) {
      epoch = evr.substring(0, colon);
      rest = evr.substring(colon + 1);
    }
    String release = null;
    int dash = rest.lastIndexOf('-');
    if (dash >= 0) {
      release = rest.substring(dash + 1);
      rest = rest.substring(0, dash);
    }
    return new RpmDependency(name, f, epoch, rest, release, pre);
  }

  /** {@code [epoch:]version-release}, the epoch shown only when it is above 0, as rpm -q %{EVR}. */
  public String evr() {
    return (epoch == null ? "" : epoch + ":") + version + "-" + release;
  }

  /** {@code name-[epoch:]version-release.arch}, as dnf prints it. */
  public String nevra() {
    return name + "-" + evr() + "." + arch;
  }

  /** Whether it comes from the rpm database. */
  public boolean isInstalled() {
    return SYSTEM.equals(repository);
  }

  @Override
  public String toString() {
    return nevra() + " (" + repository + ")";
  }
}
