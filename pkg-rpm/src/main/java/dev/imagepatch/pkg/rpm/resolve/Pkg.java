package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A solvable with what the solver needs precomputed: its EVR, parsed dependencies and repository rank. */
final class Pkg {
  final RpmSolvable solvable;
  final RpmRecord record;
  final int priority;
  final int cost;
  /** Position of the repository among the configured ones (ties after priority and cost). */
  final int repoIndex;
  final RpmVersion evr;
  final Dependency.Simple self;
  /** Its files for file dependencies: a set when there are many (installed headers), else the list. */
  private final Collection<String> files;
  private List<Dependency> requires;
  private List<Dependency> conflicts;
  private List<Dependency.Simple> obsoletes;
  private List<Dependency> recommends;
  private List<Dependency> suggests;

  Pkg(RpmSolvable s, RpmRecord record, int priority, int cost, int repoIndex) {
    this.solvable = s;
    this.record = record;
    this.priority = priority;
    this.cost = cost;
    this.repoIndex = repoIndex;
    this.evr = RpmVersion.parse(s.evr());
    this.self = Dependency.Simple.self(s);
    // Provides stay as the metadata has them (parsed when matched): 20,000 packages' worth of
    // parsed maps would double the resolver's memory.
    this.files = s.files().size() > 16 ? new HashSet<>(s.files()) : s.files();
  }

  String name() {
    return solvable.name();
  }

  String arch() {
    return solvable.arch();
  }

  boolean installed() {
    return solvable.isInstalled();
  }

  /** Names (and file paths) under which it is indexed as a provider. */
  Set<String> provideNames() {
    Set<String> out = new LinkedHashSet<>();
    out.add(name());
    for (RpmDependency d : solvable.provides()) {
      out.add(d.name());
    }
    out.addAll(files);
    return out;
  }

  /**
   * Whether it provides the simple dependency: its own {@code name = evr} (libsolv adds it), its
   * provides, its files.
   */
  boolean provides(Dependency.Simple d) {
    if (d.name().equals(name()) && d.matchedBy(self)) {
      return true;
    }
    for (RpmDependency p : solvable.provides()) {
      if (p.name().equals(d.name()) && d.matchedBy(Dependency.Simple.of(p))) {
        return true;
      }
    }
    return d.isFile() && files.contains(d.name());
  }

  /** Whether an obsoletes or a package-name conflict matches this package's name and EVR (pool_match_nevr). */
  boolean matchesNevr(Dependency.Simple d) {
    return d.name().equals(name()) && d.matchedBy(self);
  }

  List<Dependency> requires() {
    if (requires == null) {
      requires = parse(solvable.requires());
    }
    return requires;
  }

  List<Dependency> conflicts() {
    if (conflicts == null) {
      conflicts = parse(solvable.conflicts());
    }
    return conflicts;
  }

  List<Dependency.Simple> obsoletes() {
    if (obsoletes == null) {
      List<Dependency.Simple> out = new ArrayList<>();
      for (RpmDependency d : solvable.obsoletes()) {
        out.add(Dependency.Simple.of(d));
      }
      obsoletes = out;
    }
    return obsoletes;
  }

  /** Weak dependencies (of available packages: the resolver's installed solvables carry none). */
  List<Dependency> recommends() {
    if (recommends == null) {
      recommends = record == null ? List.of() : parseWeak(record.recommends());
    }
    return recommends;
  }

  List<Dependency> suggests() {
    if (suggests == null) {
      suggests = record == null ? List.of() : parseWeak(record.suggests());
    }
    return suggests;
  }

  /** Weak dependencies only steer choices: one rpm cannot parse is left out rather than failing. */
  private static List<Dependency> parseWeak(List<RpmDependency> deps) {
    List<Dependency> out = new ArrayList<>(deps.size());
    for (RpmDependency d : deps) {
      try {
        out.add(Dependency.of(d));
      } catch (IllegalArgumentException e) {
        // not a preference libsolv could use either
      }
    }
    return out;
  }

  private List<Dependency> parse(List<RpmDependency> deps) {
    List<Dependency> out = new ArrayList<>(deps.size());
    for (RpmDependency d : deps) {
      if (d.name().startsWith("rpmlib(")) {
        continue;
      }
      try {
        out.add(Dependency.of(d));
      } catch (IllegalArgumentException e) {
        // A rich dependency rpm could not have parsed: nothing provides it, so a package needing it
        // cannot be installed and the failure names the text.
        out.add(new Dependency.Simple(d.name(), 0, "0", null, null));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return solvable.nevra();
  }
}
