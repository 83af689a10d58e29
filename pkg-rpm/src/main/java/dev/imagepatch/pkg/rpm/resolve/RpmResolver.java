package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Resolves {@code dnf upgrade <names>} as dnf 4 (over libsolv) does with {@code best=True} (RHEL's
 * and Fedora's dnf.conf) and {@code install_weak_deps=False}: every installed package of each
 * named package goes to its best candidate (libsolv's {@code policy_findupdatepackages}: newer
 * packages of its name and a legal arch, packages obsoleting it; then the highest repository
 * priority, the best arch, the highest EVR), new requirements are installed (a provider already
 * in the system first, then libsolv's {@code policy_filter_unwanted} order: priority, arch color,
 * best EVR per name, names in byte order, names already installed first, what the system's
 * packages recommend or suggest first), conflicting installed packages and installed packages the
 * changes break are upgraded (dnf never erases without {@code --allowerasing}; requirements that
 * were already broken are left alone, as libsolv does), packages the new ones obsolete are
 * removed, an arch of another color than the best its name has (i686 beside x86_64) is only
 * installed beside an installed package of that arch (libsolv's infarch rules). Installonly
 * packages (kernels) are never upgraded in an image: they are {@link Skipped}. A report's fixed
 * version is a floor: a best candidate below it is a {@link ResolutionException}.
 *
 * <p>Differences from dnf, known and kept: the search is libsolv's preferences without its SAT
 * solver: a choice whose consequences fail is undone and the next candidate tried, within a
 * bounded number of tries, after which the problem is reported (libsolv's clause learning may find
 * a solution deeper); requirements a single package name can satisfy are decided before choices
 * between names, which stands in for libsolv's rule order; available packages provide the files
 * primary lists (dnf also reads filelists); installed packages' weak dependencies do not steer
 * choices, and supplements and enhances never do; only plain package names are requested (no
 * globs, provides, name.arch or NEVRA specs), and a name that matches nothing fails the whole
 * upgrade where dnf skips it; {@code best=False} fallbacks and skips are not made.
 */
public final class RpmResolver {
  /** A repository's packages, as primary lists them; dnf's {@code priority} (lower wins, default 99) and {@code cost}. */
  public record Repository(String id, int priority, int cost, List<RpmRecord> records) {
    public Repository {
      records = List.copyOf(records);
    }

    /** A repository with dnf's default priority (99) and cost (1000). */
    public static Repository of(String id, List<RpmRecord> records) {
      return new Repository(id, 99, 1000, records);
    }

    /** This repository without the packages dnf's modular filtering hides. */
    public Repository visible(ModularFilter filter) {
      return new Repository(id, priority, cost, records.stream().filter(r -> filter.visible(id, r)).toList());
    }
  }

  /**
   * One name to upgrade.
   *
   * @param minimumEvr the fixed version a report asks for; null for "the best there is"
   * @param vulnerabilities the ids a failure names
   */
  public record Request(String name, String minimumEvr, List<String> vulnerabilities) {
    public Request {
      vulnerabilities = vulnerabilities == null ? List.of() : List.copyOf(vulnerabilities);
    }

    public static Request of(String name) {
      return new Request(name, null, List.of());
    }
  }

  /**
   * One package change of the transaction.
   *
   * @param from the installed package replaced or removed; null for a new package
   * @param to the package installed; null for a removal (obsoleted)
   * @param record {@code to}'s repository record; null for a removal
   * @param repository {@code to}'s repository id ({@code from}'s, "@System", for a removal)
   * @param reason {@code requested}, {@code multilib} (another arch of a requested name),
   *     {@code dependency} or {@code obsoleted}
   */
  public record Change(String name, String arch, RpmSolvable from, RpmSolvable to, RpmRecord record,
      String repository, String reason) {}

  /** A requested package left alone, and why (e.g. an installonly kernel). */
  public record Skipped(String name, String reason) {}

  /** What {@code dnf upgrade} would do. */
  public record Transaction(List<Change> changes, List<Skipped> skipped) {
    public Transaction {
      changes = List.copyOf(changes);
      skipped = List.copyOf(skipped);
    }
  }

  /** No transaction: names the package, the candidates seen and the vulnerability ids. */
  public static final class ResolutionException extends Exception {
    private final String packageName;
    private final List<String> candidates;
    private final List<String> vulnerabilities;

    public ResolutionException(String packageName, String message, List<String> candidates,
        List<String> vulnerabilities) {
      super(packageName + ": " + message + (candidates.isEmpty() ? "" : " (candidates seen: "
          + String.join(", ", candidates) + ")") + (vulnerabilities.isEmpty() ? "" : " [fixes "
          + String.join(", ", vulnerabilities) + "]"));
      this.packageName = packageName;
      this.candidates = List.copyOf(candidates);
      this.vulnerabilities = List.copyOf(vulnerabilities);
    }

    public String packageName() {
      return packageName;
    }

    /** NEVRAs of the candidates the resolver saw, with their repository. */
    public List<String> candidates() {
      return candidates;
    }

    public List<String> vulnerabilities() {
      return vulnerabilities;
    }
  }

  final Arch arch;
  final Set<String> installonlyNames;
  final List<Pkg> installed = new ArrayList<>();
  final List<Pkg> available = new ArrayList<>();
  final Map<String, List<Pkg>> installedByName = new HashMap<>();
  final Map<String, List<Pkg>> availableByName = new HashMap<>();
  /** provide name or file path -> available packages providing it. */
  final Map<String, List<Pkg>> availableProviders = new HashMap<>();
  /** obsoleted name -> available packages with an obsoletes of that name. */
  final Map<String, List<Pkg>> obsoleters = new HashMap<>();
  /** provide name or file path -> installed packages providing it. */
  final Map<String, List<Pkg>> installedProviders = new HashMap<>();
  /** requirement name (rich ones: each name they mention) -> installed packages requiring it. */
  final Map<String, List<Pkg>> installedRequirers = new HashMap<>();
  private final Map<String, Integer> bestArch = new java.util.concurrent.ConcurrentHashMap<>();

  private RpmResolver(String basearch, Set<String> installonlyNames) {
    this.arch = new Arch(basearch);
    this.installonlyNames = Set.copyOf(installonlyNames);
  }

  /**
   * A resolver over the image's installed packages and the repositories' (already modular-filtered)
   * packages; packages of other architectures and source packages are left out.
   *
   * @param installonlyNames dnf's {@code installonlypkgs}, names or provides (kernel,
   *     {@code multiversion(kernel)}, ...); packages providing any {@code installonlypkg(...)} count too
   */
  public static RpmResolver of(List<RpmSolvable> installed, List<Repository> repositories, String basearch,
      Set<String> installonlyNames) {
    RpmResolver r = new RpmResolver(basearch, installonlyNames);
    for (RpmSolvable s : installed) {
      if (s.name().equals("gpg-pubkey")) {
        continue; // rpm's imported keys: not packages libsolv solves over
      }
      Pkg p = new Pkg(s, null, Integer.MIN_VALUE, 0, -1);
      r.installed.add(p);
      r.installedByName.computeIfAbsent(s.name(), k -> new ArrayList<>(1)).add(p);
      for (String n : p.provideNames()) {
        r.installedProviders.computeIfAbsent(n, k -> new ArrayList<>(1)).add(p);
      }
      for (Dependency d : p.requires()) {
        for (Dependency.Simple leaf : Dependency.leaves(d)) {
          List<Pkg> l = r.installedRequirers.computeIfAbsent(leaf.name(), k -> new ArrayList<>(1));
          if (l.isEmpty() || l.get(l.size() - 1) != p) {
            l.add(p);
          }
        }
      }
    }
    int index = 0;
    for (Repository repo : repositories) {
      for (RpmRecord rec : repo.records()) {
        if (rec.isSource() || !r.arch.allowed(rec.arch())) {
          continue;
        }
        Pkg p = new Pkg(RpmSolvable.available(rec, repo.id()), rec, repo.priority(), repo.cost(), index);
        r.available.add(p);
        r.availableByName.computeIfAbsent(rec.name(), k -> new ArrayList<>(2)).add(p);
        for (String n : p.provideNames()) {
          r.availableProviders.computeIfAbsent(n, k -> new ArrayList<>(1)).add(p);
        }
        for (var o : rec.obsoletes()) {
          List<Pkg> l = r.obsoleters.computeIfAbsent(o.name(), k -> new ArrayList<>(1));
          if (l.isEmpty() || l.get(l.size() - 1) != p) {
            l.add(p);
          }
        }
      }
      index++;
    }
    return r;
  }

  /** {@code dnf upgrade <names>}. */
  public Transaction upgrade(List<Request> requests) throws ResolutionException {
    return new Solve(this).upgrade(requests);
  }

  /**
   * Every installed name whose best candidate is newer than what is installed, with that
   * candidate's EVR as the floor (installonly names left out).
   */
  public List<Request> updateAll() {
    Map<String, Request> out = new TreeMap<>();
    Solve policy = new Solve(this);
    for (Pkg p : installed) {
      if (isInstallonly(p)) {
        continue;
      }
      Pkg best = policy.best(updateCandidates(p, true));
      if (best != null && best.name().equals(p.name())) {
        out.putIfAbsent(p.name(), new Request(p.name(), best.solvable.evr(), List.of()));
      }
    }
    return new ArrayList<>(out.values());
  }

  /**
   * The best (lowest) arch score among the available packages of a name (libsolv's infarch rules
   * leave installed ones out); 0 when there are none or all are noarch.
   */
  int bestArchScore(String name) {
    return bestArch.computeIfAbsent(name, n -> {
      int best = 0;
      for (Pkg p : availableByName.getOrDefault(n, List.of())) {
        int s = arch.score(p.arch());
        if (s > 0 && (best == 0 || s < best)) {
          best = s;
        }
      }
      return best;
    });
  }

  /** Whether a package is of an inferior arch for its name (i686 where x86_64 exists). */
  boolean inferiorArch(Pkg p) {
    int score = arch.score(p.arch());
    int best = bestArchScore(p.name());
    return score > 0 && best > 0 && score != best;
  }

  /**
   * The packages of the same name and EVR of the best arch or noarch: an inferior-arch package is
   * only installed in lock-step with one of them (libsolv's infarch rules with
   * implicitobsoleteusescolors, as dnf sets it).
   */
  List<Pkg> lockstep(Pkg p) {
    List<Pkg> out = new ArrayList<>();
    for (List<Pkg> l : List.of(installedByName.getOrDefault(p.name(), List.of()), availableByName.getOrDefault(
        p.name(), List.of()))) {
      for (Pkg s : l) {
        if (s != p && !s.arch().equals(p.arch()) && s.evr.compareTo(p.evr) == 0 && !inferiorArch(s)
            && s.solvable.evr().equals(p.solvable.evr())) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /**
   * The inferior arches of a name allowed freely: those of installed packages not in lock-step
   * with a best-arch package of their EVR (an i686-only library stays upgradable as i686).
   */
  boolean freeInferiorArch(String name, String a) {
    for (Pkg q : installedByName.getOrDefault(name, List.of())) {
      if (q.arch().equals(a) && inferiorArch(q) && lockstep(q).isEmpty()) {
        return true;
      }
    }
    return false;
  }

  boolean isInstallonly(Pkg p) {
    if (installonlyNames.contains(p.name())) {
      return true;
    }
    for (var d : p.solvable.provides()) {
      if (d.name().startsWith("installonlypkg(") || installonlyNames.contains(d.name())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The candidates libsolv's {@code policy_findupdatepackages} gives an installed package: packages
   * of its name not older and of a legal arch, packages providing its name that obsolete it, and
   * (only when there is none of the latter and {@code obsoleters}) every package obsoleting it.
   */
  List<Pkg> updateCandidates(Pkg p, boolean obsoleters) {
    Map<Pkg, Boolean> out = new LinkedHashMap<>();
    boolean provobs = false;
    for (Pkg a : availableProviders.getOrDefault(p.name(), List.of())) {
      if (!arch.compatible(p.arch(), a.arch())) {
        continue;
      }
      if (a.name().equals(p.name())) {
        if (a.evr.compareTo(p.evr) > 0) {
          out.put(a, true);
        }
      } else if (obsoletes(a, p)) {
        out.put(a, true);
        provobs = true;
      }
    }
    if (obsoleters && !provobs) {
      for (Pkg a : this.obsoleters.getOrDefault(p.name(), List.of())) {
        if (!a.name().equals(p.name()) && arch.compatible(p.arch(), a.arch()) && obsoletes(a, p)) {
          out.put(a, true);
        }
      }
    }
    return new ArrayList<>(out.keySet());
  }

  /** Whether {@code a}'s obsoletes match {@code p}'s name and EVR (pool_match_nevr). */
  static boolean obsoletes(Pkg a, Pkg p) {
    for (Dependency.Simple o : a.obsoletes()) {
      if (p.matchesNevr(o)) {
        return true;
      }
    }
    return false;
  }

  static List<String> describe(List<Pkg> candidates) {
    List<String> out = new ArrayList<>();
    candidates.stream().sorted(Comparator.comparing((Pkg p) -> p.name()).thenComparing((Pkg p) -> p.evr,
        Comparator.<RpmVersion>naturalOrder())).forEach(p -> out.add(p.solvable.nevra() + " ("
            + p.solvable.repository() + ")"));
    return out;
  }
}
