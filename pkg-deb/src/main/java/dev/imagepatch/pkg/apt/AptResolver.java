package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.version.DebianVersion;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import dev.imagepatch.pkg.deb.InstalledPackage;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides what {@code apt-get install --only-upgrade} of the named packages would change: each
 * named package goes to the highest candidate of the configured suites (which must reach the
 * fixed version); installed packages whose versioned Depends/Pre-Depends the new versions need
 * are upgraded too; missing dependencies are installed; installed packages whose own dependencies
 * an upgrade would break follow it; Breaks and Conflicts are honoured by upgrading the broken
 * package when a candidate allows it, and refused otherwise. Packages of the image's architecture
 * and {@code all} are considered; Multi-Arch: same packages stay at their architecture.
 */
public final class AptResolver {

  /** A package to bring to at least {@code minimumVersion}, for the listed vulnerabilities. */
  public record Request(String name, String minimumVersion, List<String> vulnerabilities) {}

  /** One change: an upgrade ({@code from} set) or a new install ({@code from} null). */
  public record Change(String name, String architecture, String from, PackageRecord to, String reason) {
    public boolean isInstall() {
      return from == null;
    }
  }

  /** What cannot be resolved, with the package, the candidates seen and the vulnerability ids. */
  public static final class ResolutionException extends Exception {
    public ResolutionException(String message) {
      super(message);
    }
  }

  /** A request already met by the installed version. */
  public record Satisfied(String name, String installedVersion, String minimumVersion) {}

  /** The outcome: changes in the order they were decided, and requests already met. */
  public record Resolution(List<Change> changes, List<Satisfied> satisfied) {}

  private final DpkgDatabase installed;
  private final PackageIndex index;
  private final String architecture;
  private final boolean installDependencies;

  public AptResolver(DpkgDatabase installed, PackageIndex index, String architecture) {
    this(installed, index, architecture, true);
  }

  /**
   * With {@code installDependencies} false (distroless images, which leave dependencies such as
   * debconf out on purpose), a dependency none of whose alternatives is installed is left unmet
   * rather than installed; versioned dependencies on installed packages still upgrade them.
   */
  public AptResolver(DpkgDatabase installed, PackageIndex index, String architecture, boolean installDependencies) {
    this.installed = installed;
    this.index = index;
    this.architecture = architecture;
    this.installDependencies = installDependencies;
  }

  public Resolution resolve(List<Request> requests) throws ResolutionException, IOException {
    Map<String, Change> changes = new LinkedHashMap<>();
    List<Satisfied> satisfied = new ArrayList<>();
    Deque<PackageRecord> pending = new ArrayDeque<>();
    for (Request r : requests) {
      Optional<InstalledPackage> have = installed.find(r.name(), architecture);
      if (have.isEmpty()) {
        throw new ResolutionException(r.name() + " is not installed in the image, so it cannot be upgraded ("
            + String.join(", ", r.vulnerabilities()) + ")");
      }
      InstalledPackage p = have.get();
      if (DebianVersion.ORDER.compare(p.version(), r.minimumVersion()) >= 0) {
        satisfied.add(new Satisfied(r.name(), p.version(), r.minimumVersion()));
        continue;
      }
      List<PackageRecord> candidates = candidates(r.name(), p.architecture());
      PackageRecord best = highest(candidates);
      if (best == null || DebianVersion.ORDER.compare(best.version(), r.minimumVersion()) < 0) {
        throw new ResolutionException("no candidate for " + r.name() + " reaches the fixed version "
            + r.minimumVersion() + " (" + String.join(", ", r.vulnerabilities()) + "); candidates seen: "
            + (candidates.isEmpty() ? "none" : String.join(", ", candidates.stream()
                .map(c -> c.version() + " from " + c.origin()).toList())));
      }
      if (put(changes, new Change(p.name(), p.architecture(), p.version(), best, "requested"))) {
        pending.add(best);
      }
    }
    // Follow the new versions' needs, and what they break, until nothing changes.
    boolean again = true;
    while (again) {
      while (!pending.isEmpty()) {
        PackageRecord next = pending.poll();
        for (List<Dependency> group : next.requirements()) {
          if (!satisfied(group, changes) && (installDependencies || anyPresent(group, changes))) {
            pending.addAll(satisfy(group, next, changes));
          }
        }
      }
      again = false;
      for (PackageRecord r : changes.values().stream().map(Change::to).toList()) {
        for (Dependency d : r.negative()) {
          Optional<String> version = futureVersion(d.name(), changes);
          if (version.isPresent() && !d.name().equals(r.name()) && d.allows(version.get())) {
            PackageRecord fix = upgradeAway(d, r, changes);
            pending.add(fix);
            again = true;
          }
        }
      }
      for (InstalledPackage p : installed.installed()) {
        if (changes.containsKey(p.name())) {
          continue;
        }
        for (List<Dependency> group : relations(p)) {
          // Only what the changes break counts: a relation the image already left unmet is not ours.
          if (!satisfied(group, changes) && satisfied(group, Map.of())) {
            PackageRecord follow = highest(candidates(p.name(), p.architecture()));
            if (follow == null || DebianVersion.ORDER.compare(follow.version(), p.version()) <= 0) {
              throw new ResolutionException("upgrading would break installed " + p + ": it needs " + group
                  + " and no newer " + p.name() + " is available");
            }
            put(changes, new Change(p.name(), p.architecture(), p.version(), follow, "follows " + group));
            pending.add(follow);
            again = true;
            break;
          }
        }
      }
    }
    return new Resolution(List.copyOf(changes.values()), List.copyOf(satisfied));
  }

  /** Installs or upgrades the first alternative of a group a candidate can meet. */
  private List<PackageRecord> satisfy(List<Dependency> group, PackageRecord needer, Map<String, Change> changes)
      throws ResolutionException {
    for (Dependency d : group) {
      Optional<InstalledPackage> have = installed.find(d.name(), architecture);
      PackageRecord best = highest(candidates(d.name(), have.map(InstalledPackage::architecture).orElse(architecture)));
      if (best != null && d.allows(best.version())) {
        Change c = new Change(d.name(), best.architecture(), have.map(InstalledPackage::version).orElse(null), best,
            "needed by " + needer.name() + " " + needer.version());
        return put(changes, c) ? List.of(best) : List.of();
      }
    }
    throw new ResolutionException(needer + " needs " + group + ", which no installed package or candidate meets");
  }

  /** A package the new {@code breaker} breaks or conflicts with must move to a version outside the relation. */
  private PackageRecord upgradeAway(Dependency d, PackageRecord breaker, Map<String, Change> changes)
      throws ResolutionException {
    Optional<InstalledPackage> have = installed.find(d.name(), architecture);
    PackageRecord best = highest(candidates(d.name(), have.map(InstalledPackage::architecture).orElse(architecture)));
    if (best == null || d.allows(best.version()) || have.isEmpty()) {
      throw new ResolutionException(breaker + " breaks or conflicts with " + d + ", and no candidate of " + d.name()
          + " avoids it");
    }
    put(changes, new Change(d.name(), best.architecture(), have.get().version(), best,
        "broken by " + breaker.name() + " " + breaker.version()));
    return best;
  }

  private boolean satisfied(List<Dependency> group, Map<String, Change> changes) throws ResolutionException {
    for (Dependency d : group) {
      Optional<String> v = futureVersion(d.name(), changes);
      if (v.isPresent() && d.allows(v.get())) {
        return true;
      }
      if (providedInFuture(d, changes)) {
        return true;
      }
    }
    return false;
  }

  private boolean anyPresent(List<Dependency> group, Map<String, Change> changes) {
    return group.stream().anyMatch(d -> futureVersion(d.name(), changes).isPresent());
  }

  private Optional<String> futureVersion(String name, Map<String, Change> changes) {
    Change c = changes.get(name);
    if (c != null) {
      return Optional.of(c.to().version());
    }
    return installed.find(name, architecture).map(InstalledPackage::version);
  }

  /** A virtual package met through Provides, by an installed package or a chosen one. */
  private boolean providedInFuture(Dependency d, Map<String, Change> changes) throws ResolutionException {
    try {
      for (Change c : changes.values()) {
        for (Dependency p : c.to().provided()) {
          if (p.name().equals(d.name()) && (d.operator() == null || (p.version() != null && d.allows(p.version())))) {
            return true;
          }
        }
      }
      for (InstalledPackage i : installed.installed()) {
        if (changes.containsKey(i.name())) {
          continue;
        }
        for (List<Dependency> g : Dependency.parseField(i.stanza().get("Provides").orElse(null), i + " Provides")) {
          for (Dependency p : g) {
            if (p.name().equals(d.name()) && (d.operator() == null || (p.version() != null && d.allows(p.version())))) {
              return true;
            }
          }
        }
      }
      return false;
    } catch (IOException e) {
      throw new ResolutionException(e.getMessage());
    }
  }

  private List<List<Dependency>> relations(InstalledPackage p) throws ResolutionException {
    try {
      List<List<Dependency>> all = new ArrayList<>(
          Dependency.parseField(p.stanza().get("Pre-Depends").orElse(null), p + " Pre-Depends"));
      all.addAll(Dependency.parseField(p.stanza().get("Depends").orElse(null), p + " Depends"));
      return all;
    } catch (IOException e) {
      throw new ResolutionException(e.getMessage());
    }
  }

  private List<PackageRecord> candidates(String name, String arch) {
    return index.named(name).stream()
        .filter(r -> r.architecture().equals(arch) || r.architecture().equals("all"))
        .toList();
  }

  private static PackageRecord highest(List<PackageRecord> candidates) {
    PackageRecord best = null;
    for (PackageRecord r : candidates) {
      if (best == null || DebianVersion.ORDER.compare(r.version(), best.version()) > 0) {
        best = r;
      }
    }
    return best;
  }

  /** Records a change unless the same or a higher target is already chosen; true when it changed. */
  private static boolean put(Map<String, Change> changes, Change c) {
    Change had = changes.get(c.name());
    if (had != null && DebianVersion.ORDER.compare(had.to().version(), c.to().version()) >= 0) {
      return false;
    }
    changes.put(c.name(), had == null ? c : new Change(c.name(), c.architecture(), had.from(), c.to(), had.reason()));
    return true;
  }
}
