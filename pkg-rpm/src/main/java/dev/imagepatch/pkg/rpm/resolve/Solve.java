package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Change;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Request;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.ResolutionException;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Skipped;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Transaction;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One resolution: the system as it will be ({@code world}), changed by the jobs and then by what
 * their requirements, conflicts and obsoletes ask, in libsolv's order of preference.
 */
final class Solve {
  /** Bound on rounds over the installed packages (each round changes something or ends). */
  private static final int ROUNDS = 10_000;

  private final RpmResolver r;
  private final Set<Pkg> world = new HashSet<>();
  private final Set<Pkg> added = new LinkedHashSet<>();
  private final Set<Pkg> removed = new LinkedHashSet<>();
  private final Map<String, List<Pkg>> addedProviders = new HashMap<>();
  private final Map<String, List<Pkg>> addedByName = new HashMap<>();
  private final Set<Pkg> jobs = new HashSet<>();
  private final Set<String> requested = new HashSet<>();
  private final Deque<Pkg> queue = new ArrayDeque<>();
  private final List<Skipped> skipped = new ArrayList<>();
  private List<String> vulnerabilities = List.of();

  Solve(RpmResolver r) {
    this.r = r;
    world.addAll(r.installed);
  }

  Transaction upgrade(List<Request> requests) throws ResolutionException {
    for (Request q : requests) {
      List<Pkg> inst = r.installedByName.get(q.name());
      vulnerabilities = q.vulnerabilities();
      if (inst == null) {
        List<Pkg> avail = r.availableByName.getOrDefault(q.name(), List.of());
        throw new ResolutionException(q.name(), avail.isEmpty() ? "no match: no package of this name is installed or"
            + " available" : "is not installed (dnf: available, but not installed)", RpmResolver.describe(avail),
            q.vulnerabilities());
      }
      if (inst.stream().anyMatch(r::isInstallonly)) {
        skipped.add(new Skipped(q.name(), "installonly package (dnf installs a new kernel beside the running one;"
            + " an image is never upgraded in place)"));
        continue;
      }
      requested.add(q.name());
      List<Pkg> sorted = new ArrayList<>(inst);
      sorted.sort(Comparator.comparingInt((Pkg p) -> r.arch.score(p.arch())));
      for (Pkg p : sorted) {
        if (!world.contains(p)) {
          continue;
        }
        List<Pkg> candidates = r.updateCandidates(p, true);
        Pkg best = best(r, candidates);
        RpmVersion floor = q.minimumEvr() == null ? null : RpmVersion.parse(q.minimumEvr());
        if (floor != null) {
          RpmVersion reached = best == null ? p.evr : best.name().equals(p.name()) ? best.evr : null;
          if (reached != null && reached.compareTo(floor) < 0) {
            throw new ResolutionException(q.name(), "the best candidate " + (best == null ? "is the installed "
                + p.solvable.nevra() : best.solvable.nevra() + " (" + best.solvable.repository() + ")")
                + ", below the fixed version " + q.minimumEvr(), RpmResolver.describe(
                    r.availableByName.getOrDefault(q.name(), List.of())), q.vulnerabilities());
          }
        }
        if (best == null) {
          continue;
        }
        jobs.add(best);
        install(best);
      }
    }
    vulnerabilities = List.of();
    propagate();
    return transaction();
  }

  /**
   * libsolv's policy over candidates: highest repository priority, best arch color (noarch kept),
   * highest EVR per name (ties: lower cost, earlier repository), then the first name in byte order.
   */
  static Pkg best(RpmResolver r, List<Pkg> candidates) {
    if (candidates.isEmpty()) {
      return null;
    }
    int prio = candidates.stream().mapToInt(p -> p.priority).min().orElseThrow();
    List<Pkg> l = candidates.stream().filter(p -> p.priority == prio).toList();
    int bestScore = l.stream().mapToInt(p -> r.arch.score(p.arch())).filter(s -> s > 0).min().orElse(0);
    l = l.stream().filter(p -> {
      int s = r.arch.score(p.arch());
      return s == 0 || s == bestScore;
    }).toList();
    Map<String, Pkg> perName = new HashMap<>();
    for (Pkg p : l) {
      perName.merge(p.name(), p, (a, b) -> better(a, b) ? a : b);
    }
    return perName.values().stream().min(Comparator.comparing(Pkg::name)).orElseThrow();
  }

  private static boolean better(Pkg a, Pkg b) {
    int c = a.evr.compareTo(b.evr);
    if (c != 0) {
      return c > 0;
    }
    if (a.cost != b.cost) {
      return a.cost < b.cost;
    }
    return a.repoIndex <= b.repoIndex;
  }

  /** Puts a package into the system: same-name packages of a compatible arch and what it obsoletes go. */
  private void install(Pkg n) throws ResolutionException {
    if (world.contains(n)) {
      return;
    }
    for (Pkg q : byName(n.name())) {
      if (r.arch.compatible(q.arch(), n.arch())) {
        if (!q.installed()) {
          throw new ResolutionException(n.name(), "two versions needed at once: " + q + " and " + n,
              List.of(), vulnerabilities);
        }
        remove(q);
      }
    }
    for (Dependency.Simple o : n.obsoletes()) {
      for (Pkg q : byName(o.name())) {
        if (q != n && q.matchesNevr(o) && r.arch.compatible(q.arch(), n.arch())) {
          if (!q.installed()) {
            throw new ResolutionException(n.name(), n + " obsoletes " + q + ", which the transaction also needs",
                List.of(), vulnerabilities);
          }
          remove(q);
        }
      }
    }
    world.add(n);
    added.add(n);
    addedByName.computeIfAbsent(n.name(), k -> new ArrayList<>(1)).add(n);
    for (String name : n.provideNames()) {
      addedProviders.computeIfAbsent(name, k -> new ArrayList<>(1)).add(n);
    }
    queue.add(n);
  }

  private void remove(Pkg q) {
    world.remove(q);
    if (q.installed()) {
      removed.add(q);
    }
  }

  /** Packages of the name now in the system. */
  private List<Pkg> byName(String name) {
    List<Pkg> out = new ArrayList<>();
    for (Pkg p : r.installedByName.getOrDefault(name, List.of())) {
      if (world.contains(p)) {
        out.add(p);
      }
    }
    for (Pkg p : addedByName.getOrDefault(name, List.of())) {
      if (world.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Packages now in the system providing the dependency. */
  private List<Pkg> providers(Dependency.Simple d) {
    List<Pkg> out = new ArrayList<>(1);
    for (Pkg p : r.installedProviders.getOrDefault(d.name(), List.of())) {
      if (world.contains(p) && p.provides(d)) {
        out.add(p);
      }
    }
    for (Pkg p : addedProviders.getOrDefault(d.name(), List.of())) {
      if (world.contains(p) && p.provides(d)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Whether the dependency holds in the system now ({@code original}: before any change). */
  private boolean satisfied(Dependency d, boolean original) {
    if (d instanceof Dependency.Simple s) {
      if (original) {
        for (Pkg p : r.installedProviders.getOrDefault(s.name(), List.of())) {
          if (p.provides(s)) {
            return true;
          }
        }
        return false;
      }
      return !providers(s).isEmpty();
    }
    Dependency.Rich rich = (Dependency.Rich) d;
    return switch (rich.op()) {
      case AND -> satisfied(rich.left(), original) && satisfied(rich.right(), original);
      case OR -> satisfied(rich.left(), original) || satisfied(rich.right(), original);
      case IF -> satisfied(rich.right(), original) ? satisfied(rich.left(), original)
          : rich.otherwise() == null || satisfied(rich.otherwise(), original);
      case UNLESS -> !satisfied(rich.right(), original) ? satisfied(rich.left(), original)
          : rich.otherwise() == null || satisfied(rich.otherwise(), original);
      case WITH, WITHOUT -> {
        for (Pkg p : original ? r.installed : world) {
          if (providesAll(p, rich.left()) && (rich.op() == Dependency.Op.WITH) == providesAll(p, rich.right())) {
            yield true;
          }
        }
        yield false;
      }
    };
  }

  /** For {@code with}/{@code without}: whether one package provides every leaf. */
  private static boolean providesAll(Pkg p, Dependency d) {
    for (Dependency.Simple s : Dependency.leaves(d)) {
      if (!p.provides(s)) {
        return false;
      }
    }
    return true;
  }

  /** Available packages that could be installed to provide the dependency. */
  private List<Pkg> installable(Dependency.Simple d) {
    List<Pkg> out = new ArrayList<>();
    for (Pkg c : r.availableProviders.getOrDefault(d.name(), List.of())) {
      if (c.provides(d) && installable(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Not a downgrade or reinstall of what the system has, not obsoleted by it. */
  private boolean installable(Pkg c) {
    if (world.contains(c)) {
      return false;
    }
    for (Pkg q : byName(c.name())) {
      if (r.arch.compatible(q.arch(), c.arch()) && (!q.installed() || c.evr.compareTo(q.evr) <= 0)) {
        return false;
      }
    }
    for (Pkg w : world) {
      for (Dependency.Simple o : w.obsoletes()) {
        if (o.name().equals(c.name()) && c.matchesNevr(o)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Installs what makes an unsatisfied requirement of {@code by} hold; false when nothing can. */
  private boolean fix(Dependency d) throws ResolutionException {
    if (d instanceof Dependency.Simple s) {
      Pkg c = best(r, installable(s));
      if (c == null) {
        return false;
      }
      install(c);
      return true;
    }
    Dependency.Rich rich = (Dependency.Rich) d;
    switch (rich.op()) {
      case AND -> {
        return (satisfied(rich.left(), false) || fix(rich.left())) && (satisfied(rich.right(), false)
            || fix(rich.right()));
      }
      case OR -> {
        List<Pkg> all = new ArrayList<>();
        boolean simple = true;
        for (Dependency.Simple s : orLeaves(rich)) {
          if (s == null) {
            simple = false;
            break;
          }
          all.addAll(installable(s));
        }
        if (simple) {
          Pkg c = best(r, all);
          if (c == null) {
            return false;
          }
          install(c);
          return true;
        }
        return fix(rich.left()) || fix(rich.right());
      }
      case IF -> {
        return satisfied(rich.right(), false) ? fix(rich.left()) : rich.otherwise() == null || fix(rich.otherwise());
      }
      case UNLESS -> {
        return !satisfied(rich.right(), false) ? fix(rich.left())
            : rich.otherwise() == null || fix(rich.otherwise());
      }
      default -> {
        List<Pkg> all = new ArrayList<>();
        for (Pkg c : r.available) {
          if (providesAll(c, rich.left()) && (rich.op() == Dependency.Op.WITH) == providesAll(c, rich.right())
              && installable(c)) {
            all.add(c);
          }
        }
        Pkg c = best(r, all);
        if (c == null) {
          return false;
        }
        install(c);
        return true;
      }
    }
  }

  /** The alternatives of an or-chain of simple dependencies; a null element when one is not simple. */
  private static List<Dependency.Simple> orLeaves(Dependency.Rich rich) {
    List<Dependency.Simple> out = new ArrayList<>();
    for (Dependency side : List.of(rich.left(), rich.right())) {
      if (side instanceof Dependency.Simple s) {
        out.add(s);
      } else if (side instanceof Dependency.Rich x && x.op() == Dependency.Op.OR) {
        out.addAll(orLeaves(x));
      } else {
        out.add(null);
      }
    }
    return out;
  }

  /** Upgrades an installed package to its best update that {@code acceptable} allows. */
  private boolean upgradeInstalled(Pkg q, java.util.function.Predicate<Pkg> acceptable) throws ResolutionException {
    List<Pkg> c = new ArrayList<>();
    for (Pkg u : r.updateCandidates(q, false)) {
      if (acceptable.test(u) && installable(u)) {
        c.add(u);
      }
    }
    Pkg u = best(r, c);
    if (u == null) {
      return false;
    }
    install(u);
    return true;
  }

  private void propagate() throws ResolutionException {
    for (int round = 0; round < ROUNDS; round++) {
      while (!queue.isEmpty()) {
        Pkg n = queue.poll();
        if (world.contains(n)) {
          process(n);
        }
      }
      if (!repairInstalled()) {
        return;
      }
    }
    throw new ResolutionException("(transaction)", "no stable resolution after " + ROUNDS + " rounds", List.of(),
        List.of());
  }

  /** Conflicts both ways and requirements of a newly installed package. */
  private void process(Pkg n) throws ResolutionException {
    for (Dependency c : n.conflicts()) {
      if (c instanceof Dependency.Simple s) {
        for (Pkg q : providers(s)) {
          if (q != n && world.contains(n) && world.contains(q)) {
            conflict(q, u -> !u.provides(s), n + " conflicts with " + s + ", provided by " + q);
          }
        }
      } else if (satisfied(c, false)) {
        throw new ResolutionException(n.name(), n + " conflicts with " + c, List.of(), vulnerabilities);
      }
    }
    for (Pkg w : new ArrayList<>(world)) {
      if (w == n || !world.contains(w) || !world.contains(n)) {
        continue;
      }
      for (Dependency c : w.conflicts()) {
        if (c instanceof Dependency.Simple s && n.provides(s)) {
          conflict(w, u -> !u.conflicts().contains(s), w + " conflicts with " + s + ", provided by " + n);
        }
      }
    }
    if (!world.contains(n)) {
      return;
    }
    for (Dependency d : n.requires()) {
      if (!satisfied(d, false) && !fix(d)) {
        List<Pkg> seen = d instanceof Dependency.Simple s ? r.availableProviders.getOrDefault(s.name(), List.of())
            : List.of();
        throw new ResolutionException(n.name(), n + " requires " + d + ", but none of the providers can be"
            + " installed", RpmResolver.describe(seen), vulnerabilities);
      }
    }
  }

  /** An installed package in conflict is upgraded (dnf never erases without --allowerasing). */
  private void conflict(Pkg q, java.util.function.Predicate<Pkg> resolves, String what) throws ResolutionException {
    if (!q.installed() || !upgradeInstalled(q, resolves)) {
      throw new ResolutionException(q.name(), what + " and it cannot be upgraded away",
          RpmResolver.describe(r.updateCandidates(q, false)), vulnerabilities);
    }
  }

  /**
   * Installed packages whose requirements the changes broke (and that held before: libsolv does not
   * fix what was already broken) get a provider installed, else are upgraded. True when something changed.
   */
  private boolean repairInstalled() throws ResolutionException {
    boolean changed = false;
    List<Pkg> check = new ArrayList<>();
    for (Pkg p : r.installed) {
      if (world.contains(p)) {
        check.add(p);
      }
    }
    check.addAll(added);
    for (Pkg p : check) {
      if (!world.contains(p)) {
        continue;
      }
      for (Dependency d : p.requires()) {
        if (satisfied(d, false) || (p.installed() && !satisfied(d, true))) {
          continue;
        }
        if (fix(d) || (p.installed() && upgradeInstalled(p, u -> true))) {
          changed = true;
          break;
        }
        throw new ResolutionException(p.name(), p + " requires " + d + ", which the transaction removes and"
            + " nothing installable provides", List.of(), vulnerabilities);
      }
      if (!queue.isEmpty()) {
        return true;
      }
    }
    return changed;
  }

  private Transaction transaction() {
    List<Change> changes = new ArrayList<>();
    Set<Pkg> matched = new HashSet<>();
    for (Pkg q : removed) {
      Pkg to = null;
      for (Pkg n : added) {
        if (world.contains(n) && !matched.contains(n) && n.name().equals(q.name())
            && r.arch.compatible(q.arch(), n.arch())) {
          to = n;
          break;
        }
      }
      if (to != null) {
        matched.add(to);
        changes.add(new Change(to.name(), to.arch(), q.solvable, to.solvable, to.record, to.solvable.repository(),
            reason(to)));
      } else {
        changes.add(new Change(q.name(), q.arch(), q.solvable, null, null, q.solvable.repository(), "obsoleted"));
      }
    }
    for (Pkg n : added) {
      if (world.contains(n) && !matched.contains(n)) {
        changes.add(new Change(n.name(), n.arch(), null, n.solvable, n.record, n.solvable.repository(), reason(n)));
      }
    }
    return new Transaction(changes, skipped);
  }

  private String reason(Pkg n) {
    if (jobs.contains(n) || requested.contains(n.name())) {
      return r.arch.primary(n.arch()) ? "requested" : "multilib";
    }
    return "dependency";
  }
}
