package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Change;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Request;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.ResolutionException;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Skipped;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Transaction;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One resolution: the system as it will be ({@code world}), changed by the jobs and then by what
 * their requirements, conflicts and obsoletes ask. Choices follow libsolv's policy
 * ({@code policy_filter_unwanted}); a choice whose consequences fail is undone and the next
 * candidate tried, as libsolv's conflict learning ends up doing, within a bounded number of tries.
 */
final class Solve {
  /** Bound on tried choices: past it the problem is reported rather than searched on. */
  private static final int TRIES = 300;

  private final RpmResolver r;
  /** The mutable state, copied before a choice and restored when the choice fails. */
  private Set<Pkg> world = new HashSet<>();
  private Set<Pkg> added = new LinkedHashSet<>();
  private Set<Pkg> removed = new LinkedHashSet<>();
  /** Added packages whose conflicts and requirements are not yet known to hold. */
  private Set<Pkg> pending = new LinkedHashSet<>();
  private Set<Pkg> conflictsChecked = new HashSet<>();
  private Map<String, List<Pkg>> addedProviders = new HashMap<>();
  private Map<String, List<Pkg>> addedByName = new HashMap<>();

  private final Set<Pkg> jobs = new HashSet<>();
  private final Set<String> requested = new HashSet<>();
  private final List<Skipped> skipped = new ArrayList<>();
  private List<String> vulnerabilities = List.of();
  private int tries;

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
        // best=True: the job must end on the best candidate (solver_addbestrules, POLICY_MODE_RECOMMEND).
        List<Pkg> ordered = policy(r.updateCandidates(p, true), false);
        Pkg best = ordered.isEmpty() ? null : ordered.get(0);
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
        if (best == null || world.contains(best)) {
          continue;
        }
        jobs.add(best);
        install(best);
      }
    }
    // A failure while resolving what the jobs imply concerns them all.
    vulnerabilities = requests.stream().flatMap(q -> q.vulnerabilities().stream()).distinct().toList();
    drain();
    return transaction();
  }

  /**
   * libsolv's {@code policy_filter_unwanted} over candidates, the preferred first: highest
   * repository priority; best arch color (noarch kept); the best EVR of each name (ties: lower
   * cost, earlier repository); names in byte order; candidates another candidate obsoletes dropped;
   * names already installed first; and (when choosing, {@code choose}) what the system's packages
   * recommend, then what they suggest.
   */
  /** The best of candidates by {@link #policy}, or null. */
  Pkg best(List<Pkg> candidates) {
    List<Pkg> l = policy(candidates, false);
    return l.isEmpty() ? null : l.get(0);
  }

  private List<Pkg> policy(List<Pkg> candidates, boolean choose) {
    if (candidates.size() <= 1) {
      return candidates;
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
    List<Pkg> out = new ArrayList<>(perName.values());
    out.sort(Comparator.comparing(Pkg::name));
    if (out.size() > 1) {
      List<Pkg> kept = new ArrayList<>();
      for (Pkg p : out) {
        boolean obsoleted = false;
        for (Pkg o : out) {
          if (o != p && !o.name().equals(p.name()) && RpmResolver.obsoletes(o, p)
              && !(RpmResolver.obsoletes(p, o))) {
            obsoleted = true;
            break;
          }
        }
        if (!obsoleted) {
          kept.add(p);
        }
      }
      out = kept.isEmpty() ? out : kept;
      List<Pkg> front = new ArrayList<>();
      List<Pkg> back = new ArrayList<>();
      for (Pkg p : out) {
        (r.installedByName.containsKey(p.name()) ? front : back).add(p);
      }
      front.addAll(back);
      out = front;
    }
    if (choose && out.size() > 1) {
      out = preferred(out, true);
      if (out.size() > 1) {
        out = preferred(out, false);
      }
    }
    return out;
  }

  /** prune_to_recommended: the candidates the system's packages recommend (or suggest), when some are. */
  private List<Pkg> preferred(List<Pkg> candidates, boolean recommends) {
    List<Pkg> out = new ArrayList<>();
    for (Pkg c : candidates) {
      for (Pkg w : added) {
        if (!world.contains(w)) {
          continue;
        }
        boolean hit = false;
        for (Dependency d : recommends ? w.recommends() : w.suggests()) {
          for (Dependency.Simple s : Dependency.leaves(d)) {
            if (c.provides(s)) {
              hit = true;
              break;
            }
          }
          if (hit) {
            break;
          }
        }
        if (hit) {
          out.add(c);
          break;
        }
      }
    }
    return out.isEmpty() ? candidates : out;
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
    if (lockstepNeeded(n)) {
      List<Pkg> siblings = r.lockstep(n);
      if (siblings.stream().noneMatch(world::contains)) {
        List<Pkg> can = siblings.stream().filter(s -> !s.installed() && installableSameArch(s)).toList();
        if (can.isEmpty()) {
          throw new ResolutionException(n.name(), n + " has an inferior architecture: it needs " + n.name() + "-"
              + n.solvable.evr() + " of the best one beside it, which cannot be installed",
              RpmResolver.describe(siblings), vulnerabilities);
        }
        install(policy(can, false).get(0));
      }
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
    index(n);
    pending.add(n);
  }

  private void index(Pkg n) {
    addedByName.computeIfAbsent(n.name(), k -> new ArrayList<>(1)).add(n);
    for (String name : n.provideNames()) {
      addedProviders.computeIfAbsent(name, k -> new ArrayList<>(1)).add(n);
    }
  }

  private void remove(Pkg q) {
    world.remove(q);
    pending.remove(q);
    if (q.installed()) {
      removed.add(q);
    }
  }

  /** A copy of the mutable state. */
  private record State(Set<Pkg> world, Set<Pkg> added, Set<Pkg> removed, Set<Pkg> pending, Set<Pkg> checked) {}

  private State save() {
    return new State(new HashSet<>(world), new LinkedHashSet<>(added), new LinkedHashSet<>(removed),
        new LinkedHashSet<>(pending), new HashSet<>(conflictsChecked));
  }

  private void restore(State s) {
    world = s.world();
    added = s.added();
    removed = s.removed();
    pending = s.pending();
    conflictsChecked = s.checked();
    addedProviders = new HashMap<>();
    addedByName = new HashMap<>();
    added.forEach(this::index);
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

  /**
   * Not in the system, not a downgrade or reinstall of what the system has, not obsoleted by it,
   * and of an inferior arch (i686 beside x86_64) only in lock-step: libsolv's infarch rules allow it
   * when a package of its name and EVR of the best arch is (or can be) installed too.
   */
  private boolean installable(Pkg c) {
    if (world.contains(c)) {
      return false;
    }
    if (lockstepNeeded(c)) {
      boolean ok = false;
      for (Pkg s : r.lockstep(c)) {
        ok |= world.contains(s) || (!s.installed() && installableSameArch(s));
      }
      if (!ok) {
        return false;
      }
    }
    return installableSameArch(c);
  }

  /** Whether an inferior-arch package may only come in lock-step with its best-arch sibling. */
  private boolean lockstepNeeded(Pkg c) {
    return r.inferiorArch(c) && !r.freeInferiorArch(c.name(), c.arch());
  }

  private boolean installableSameArch(Pkg c) {
    if (world.contains(c)) {
      return false;
    }
    for (Pkg q : byName(c.name())) {
      if (r.arch.compatible(q.arch(), c.arch()) && (!q.installed() || c.evr.compareTo(q.evr) <= 0)) {
        return false;
      }
    }
    for (Pkg w : added) {
      if (world.contains(w)) {
        for (Dependency.Simple o : w.obsoletes()) {
          if (o.name().equals(c.name()) && c.matchesNevr(o)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * The available packages whose installation makes an unsatisfied dependency hold (for a rich one,
   * the part that must hold now); empty when none can.
   */
  private List<Pkg> candidates(Dependency d) {
    List<Pkg> out = new ArrayList<>();
    if (d instanceof Dependency.Simple s) {
      for (Pkg c : r.availableProviders.getOrDefault(s.name(), List.of())) {
        if (c.provides(s) && installable(c)) {
          out.add(c);
        }
      }
      return out;
    }
    Dependency.Rich rich = (Dependency.Rich) d;
    switch (rich.op()) {
      case AND -> {
        return candidates(satisfied(rich.left(), false) ? rich.right() : rich.left());
      }
      case OR -> {
        out.addAll(candidates(rich.left()));
        out.addAll(candidates(rich.right()));
        return out;
      }
      case IF -> {
        return satisfied(rich.right(), false) ? candidates(rich.left())
            : rich.otherwise() == null ? out : candidates(rich.otherwise());
      }
      case UNLESS -> {
        return !satisfied(rich.right(), false) ? candidates(rich.left())
            : rich.otherwise() == null ? out : candidates(rich.otherwise());
      }
      default -> {
        for (Pkg c : r.available) {
          if (providesAll(c, rich.left()) && (rich.op() == Dependency.Op.WITH) == providesAll(c, rich.right())
              && installable(c)) {
            out.add(c);
          }
        }
        return out;
      }
    }
  }

  /**
   * Tries the candidates in policy order: each installed and everything it implies resolved; a
   * failure undoes it and the next one is tried. Returns normally when one held.
   */
  private void choose(List<Pkg> candidates, Supplier<ResolutionException> none) throws ResolutionException {
    List<Pkg> remaining = new ArrayList<>(candidates);
    ResolutionException last = null;
    while (!remaining.isEmpty()) {
      if (++tries > TRIES) {
        throw new ResolutionException("(transaction)", "no resolution found within " + TRIES + " tried choices",
            List.of(), vulnerabilities);
      }
      Pkg c = policy(remaining, true).get(0);
      remaining.remove(c);
      State saved = save();
      try {
        install(c);
        drain();
        return;
      } catch (ResolutionException e) {
        restore(saved);
        last = last == null ? e : last;
      }
    }
    throw last != null ? last : none.get();
  }

  /** Resolves everything pending, then what the changes broke among installed packages. */
  private void drain() throws ResolutionException {
    while (true) {
      Pkg next = null;
      Dependency nextDep = null;
      boolean progress = false;
      for (Pkg p : new ArrayList<>(pending)) {
        if (!world.contains(p)) {
          pending.remove(p);
          continue;
        }
        if (conflictsChecked.add(p)) {
          conflicts(p);
          progress = true;
          break; // the state may have changed: look again
        }
        boolean open = false;
        for (Dependency d : p.requires()) {
          if (satisfied(d, false)) {
            continue;
          }
          open = true;
          List<Pkg> c = candidates(d);
          if (c.isEmpty()) {
            List<Pkg> seen = d instanceof Dependency.Simple s ? r.availableProviders.getOrDefault(s.name(),
                List.of()) : List.of();
            throw new ResolutionException(p.name(), p + " requires " + d + ", but none of the providers can be"
                + " installed", RpmResolver.describe(seen), vulnerabilities);
          }
          if (c.stream().map(Pkg::name).distinct().count() == 1) {
            // One name can satisfy it: libsolv decides these before it makes choices between names.
            final Pkg owner = p;
            final Dependency dep = d;
            choose(c, () -> new ResolutionException(owner.name(), owner + " requires " + dep, List.of(),
                vulnerabilities));
            return;
          }
          if (next == null) {
            next = p;
            nextDep = d;
          }
        }
        if (!open) {
          pending.remove(p);
        }
      }
      if (progress) {
        continue;
      }
      if (next != null) {
        final Pkg owner = next;
        final Dependency dep = nextDep;
        choose(candidates(nextDep), () -> new ResolutionException(owner.name(), owner + " requires " + dep,
            List.of(), vulnerabilities));
        return;
      }
      if (!repairInstalled()) {
        return;
      }
    }
  }

  /** Conflicts both ways between a new package and the system: an installed party is upgraded away. */
  private void conflicts(Pkg n) throws ResolutionException {
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
  }

  /** An installed package in conflict is upgraded (dnf never erases without --allowerasing). */
  private void conflict(Pkg q, Predicate<Pkg> resolves, String what) throws ResolutionException {
    if (!q.installed()) {
      throw new ResolutionException(q.name(), what, List.of(), vulnerabilities);
    }
    upgradeInstalled(q, resolves, what);
  }

  private void upgradeInstalled(Pkg q, Predicate<Pkg> acceptable, String why) throws ResolutionException {
    List<Pkg> c = new ArrayList<>();
    for (Pkg u : r.updateCandidates(q, false)) {
      if (acceptable.test(u) && installable(u)) {
        c.add(u);
      }
    }
    choose(c, () -> new ResolutionException(q.name(), why + ", and no update of " + q + " helps",
        RpmResolver.describe(r.updateCandidates(q, false)), vulnerabilities));
  }

  /**
   * Installed packages whose requirements the changes broke (and that held before: libsolv does not
   * fix what was already broken) get a provider installed, else are upgraded. True when something changed.
   */
  private boolean repairInstalled() throws ResolutionException {
    // Only packages requiring something a removed package provided can have been broken.
    Set<Pkg> affected = new HashSet<>();
    for (Pkg q : removed) {
      for (String n : q.provideNames()) {
        affected.addAll(r.installedRequirers.getOrDefault(n, List.of()));
      }
    }
    for (Pkg p : r.installed) {
      if (!world.contains(p) || !affected.contains(p)) {
        continue;
      }
      for (Dependency d : p.requires()) {
        if (satisfied(d, false) || !satisfied(d, true)) {
          continue;
        }
        List<Pkg> c = candidates(d);
        if (!c.isEmpty()) {
          try {
            choose(c, () -> new ResolutionException(p.name(), "unreachable", List.of(), List.of()));
            return true;
          } catch (ResolutionException e) {
            // every provider failed (choose restored the state): libsolv then updates the package itself
          }
        }
        upgradeInstalled(p, u -> true, p + " requires " + d + ", which the transaction removes and nothing"
            + " installable provides");
        return true;
      }
    }
    return false;
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
      boolean pair = r.installedByName.getOrDefault(n.name(), List.of()).stream()
          .anyMatch(q -> r.arch.primary(q.arch()) && !q.arch().equals(n.arch()));
      return r.arch.primary(n.arch()) || !pair ? "requested" : "multilib";
    }
    return "dependency";
  }
}
