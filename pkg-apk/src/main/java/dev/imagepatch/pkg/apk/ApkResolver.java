package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.version.ApkVersion;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code apk upgrade NAME...} (apk-tools 2.x) would do, decided by a port of apk's own solver
 * ({@code src/solver.c}): the named packages get apk's upgrade flag (not inherited), everything else
 * prefers what is installed. So each named package goes to the highest version its allowed
 * repositories hold (untagged repositories, or a {@code @tag}ged one only for a world dependency
 * pinned {@code name@tag} and that dependency's dependencies); {@code D:} dependencies, {@code p:}
 * provides ({@code so:}, {@code cmd:}, {@code pc:}, virtual names) with provider priority {@code k:},
 * {@code !conflicts} and {@code i:} install_if are honoured as apk honours them; an installed package
 * whose dependency would break is upgraded with it; a missing dependency is installed; an installed
 * package whose name a new version now provides is removed. The changes come in the order apk commits
 * them (its changeset order: dependencies before dependents, install_if packages after what triggers
 * them), which is the order apk appends the new records to {@code lib/apk/db/installed}. The world is
 * never changed: apk's {@code upgrade} writes back the world it read.
 */
public final class ApkResolver {

  /** A package to bring to at least {@code minimumVersion} ("" or null: the best there is), for the listed vulnerabilities. */
  public record Request(String name, String minimumVersion, List<String> vulnerabilities) {
    public Request {
      Objects.requireNonNull(name, "name");
      vulnerabilities = vulnerabilities == null ? List.of() : List.copyOf(vulnerabilities);
    }
  }

  /**
   * One configured repository ({@code /etc/apk/repositories} line) with its index's records; {@code tag}
   * is its {@code @tag} without the {@code @} (null: untagged, one of the default set). Order matters
   * as in apk: at equal version the first repository wins.
   */
  public record Repository(String source, String tag, List<ApkRecord> records) {
    public Repository {
      Objects.requireNonNull(source, "source");
      if (tag != null && tag.startsWith("@")) {
        tag = tag.substring(1);
      }
      if (tag != null && tag.isEmpty()) {
        tag = null;
      }
      records = List.copyOf(records);
    }
  }

  /**
   * One change in commit order: an upgrade ({@code from} and {@code to}), a new package ({@code from}
   * null) or a removal ({@code to} null, apk's "Purging", e.g. a package whose name a new version of
   * another now provides). {@code to} is the repository's index stanza. {@code tag} is the repository
   * tag apk records for the new package (the installed record's {@code s:}), null for the default.
   * {@code reason}: {@code requested}, {@code upgrade} (update-all), {@code dependency} (a dependency
   * of a changed package, new or co-upgraded), {@code install_if}, {@code removed}, or {@code pin}
   * (same package, only its repository tag changes).
   */
  public record Change(String name, String fromVersion, ApkRecord from, ApkRecord to, String tag, String reason) {
    /** True for a package not installed before. */
    public boolean isInstall() {
      return from == null && to != null;
    }

    /** True for a package apk removes. */
    public boolean isRemoval() {
      return to == null;
    }

    /** The {@code r:} replaces of the new version: the packages whose files it may take over without a conflict. */
    public List<Dependency> replaces() {
      return to == null ? List.of() : to.replaces();
    }
  }

  /** A request whose package was already at or above its minimum before (apk may still upgrade it further). */
  public record Satisfied(String name, String installedVersion, String minimumVersion) {}

  /** The changes in commit order, the requests already met, and the world (unchanged, as apk leaves it). */
  public record Resolution(List<Change> changes, List<Satisfied> satisfied, String world) {
    public Resolution {
      changes = List.copyOf(changes);
      satisfied = List.copyOf(satisfied);
    }
  }

  /** What apk would refuse, or a request no candidate can meet: names the package, the candidates seen and the vulnerability ids. */
  public static final class ResolutionException extends Exception {
    public ResolutionException(String message) {
      super(message);
    }
  }

  /** apk_pkg_replaces_file's verdict on a file both an installed package and a new one ship. */
  public enum FileOwnership {
    /** The new package takes the file (same name, same origin, or its {@code r:} names the owner). */
    REPLACE,
    /** The owner keeps the file (its own {@code r:} names the new package, with a higher {@code q:} priority). */
    KEEP,
    /** apk refuses: "trying to overwrite ... owned by ...". */
    CONFLICT
  }

  private final List<InstalledRef> installed;
  private final String world;
  private final List<Repository> repositories;
  private final String arch;

  private record InstalledRef(ApkRecord record, String tag) {}

  private ApkResolver(List<InstalledRef> installed, String world, List<Repository> repositories, String arch) {
    this.installed = List.copyOf(installed);
    this.world = world;
    this.repositories = List.copyOf(repositories);
    this.arch = arch;
  }

  /**
   * A resolver over the installed records (headers of {@code lib/apk/db/installed}, in the database's
   * order; the {@code s:} field is the repository tag the package was installed from), the text of
   * {@code /etc/apk/world}, and the repositories in {@code /etc/apk/repositories} order. With
   * {@code arch} set, repository records of another architecture (other than {@code noarch}) are left
   * out, for an index serving several (apk itself reads one index per architecture).
   */
  public static ApkResolver of(List<ApkRecord> installed, String world, List<Repository> repositories, String arch) {
    List<InstalledRef> refs = new ArrayList<>();
    for (ApkRecord r : installed) {
      refs.add(new InstalledRef(r, r.get('s').filter(s -> !s.isEmpty()).orElse(null)));
    }
    return new ApkResolver(refs, world == null ? "" : world, repositories, arch);
  }

  /** {@link #of(List, String, List, String)} over an installed database's records, in its order. */
  public static ApkResolver of(InstalledDatabase installed, String world, List<Repository> repositories, String arch) {
    return of(installed.packages().stream().map(InstalledPackage::header).toList(), world, repositories, arch);
  }

  /** The world as given; {@link Resolution#world()} returns it unchanged. */
  public String world() {
    return world;
  }

  /** {@code apk upgrade NAME...} for the requested names, each checked against its minimum version. */
  public Resolution upgrade(List<Request> requests) throws ResolutionException {
    try {
      return upgradeUnguarded(requests);
    } catch (StackOverflowError e) {
      throw tooDeep();
    }
  }

  /**
   * apk's solver walks dependency chains recursively (as apk-tools does, in C): a hostile index's
   * chain tens of thousands deep would overflow the stack. Real chains are a few dozen deep; such a
   * chain is refused with a message rather than a StackOverflowError escaping.
   */
  private static ResolutionException tooDeep() {
    return new ResolutionException("the repositories' dependency chains are too deep to resolve (tens of"
        + " thousands of packages, each depending on the next): a broken or hostile index");
  }

  private Resolution upgradeUnguarded(List<Request> requests) throws ResolutionException {
    ApkSolver s = build(installed);
    List<ApkSolver.Dep> worldDeps = worldDeps(s);
    List<Satisfied> satisfied = new ArrayList<>();
    Set<String> requested = new HashSet<>();
    Map<String, Request> byName = new LinkedHashMap<>();
    s.reset();
    for (Request r : requests) {
      ApkSolver.Name name = s.names.get(r.name());
      ApkSolver.Pkg have = name == null ? null : installedPkg(s, name);
      if (have == null) {
        throw new ResolutionException(r.name() + ": not installed, nothing to upgrade"
            + vulns(r) + (name == null || name.providers.isEmpty() ? "; no repository has it either" : ""));
      }
      if (!blank(r.minimumVersion()) && ApkVersion.compare(have.version, r.minimumVersion(), false) >= 0) {
        satisfied.add(new Satisfied(r.name(), have.version, r.minimumVersion()));
      }
      requested.add(r.name());
      byName.merge(r.name(), r, ApkResolver::stricter);
      s.setNameFlags(name, ApkSolver.SOLVERF_UPGRADE, 0);
    }
    s.performingSelfUpgrade = false;
    if (s.solve(0, worldDeps) != 0) {
      throw new ResolutionException("apk upgrade " + String.join(" ", byName.keySet()) + " cannot be resolved: "
          + problems(s) + vulnsOf(byName.values()));
    }
    List<Change> changes = changes(s, requested, "requested");
    for (Request r : byName.values()) {
      if (blank(r.minimumVersion())) {
        continue;
      }
      ApkSolver.Name name = s.names.get(r.name());
      ApkSolver.Pkg now = name.chosen.pkg() != null && name.chosen.pkg().name == name ? name.chosen.pkg() : null;
      if (now == null || ApkVersion.compare(now.version, r.minimumVersion(), false) < 0) {
        throw new ResolutionException(missingFix(s, r, now));
      }
    }
    return new Resolution(changes, satisfied, world);
  }

  /**
   * Plain {@code apk upgrade}: apk-tools first upgrades itself with as few other changes as it can
   * (its self-upgrade transaction, committed before the rest), then everything gets the upgrade flag.
   * Changes of both transactions, in commit order.
   */
  public Resolution upgradeAll() throws ResolutionException {
    try {
      return upgradeAllUnguarded();
    } catch (StackOverflowError e) {
      throw tooDeep();
    }
  }

  private Resolution upgradeAllUnguarded() throws ResolutionException {
    List<Change> all = new ArrayList<>();
    List<InstalledRef> state = installed;
    ApkSolver s = build(state);
    ApkSolver.Name apkTools = s.names.get("apk-tools");
    ApkSolver.Pkg have = apkTools == null ? null : installedPkg(s, apkTools);
    boolean newer = false;
    if (have != null) {
      for (ApkSolver.Provider p : apkTools.providers) {
        if (p.pkg().name == apkTools && p.pkg().repos != 0
            && ApkVersion.compare(p.pkg().version, have.version, false) > 0) {
          newer = true;
        }
      }
    }
    if (newer) {
      // apk_do_self_upgrade: performing_self_upgrade, apk-tools flagged, solved with no global flags.
      List<ApkSolver.Dep> w = worldDeps(s);
      s.reset();
      s.performingSelfUpgrade = true;
      s.setNameFlags(apkTools, ApkSolver.SOLVERF_UPGRADE, 0);
      if (s.solve(0, w) == 0) {
        List<Change> first = changes(s, Set.of(), "upgrade");
        all.addAll(first);
        state = apply(state, first);
        s = build(state);
      } else {
        s = build(state); // apk warns and continues with the full upgrade
      }
    }
    List<ApkSolver.Dep> w = worldDeps(s);
    s.reset();
    if (s.solve(ApkSolver.SOLVERF_UPGRADE, w) != 0) {
      throw new ResolutionException("apk upgrade cannot be resolved: " + problems(s));
    }
    for (Change c : changes(s, Set.of(), "upgrade")) {
      Change earlier = null;
      for (Change e : all) {
        if (e.name().equals(c.name())) {
          earlier = e;
        }
      }
      if (earlier != null) {
        all.remove(earlier);
        c = new Change(c.name(), earlier.fromVersion(), earlier.from(), c.to(), c.tag(), earlier.reason());
      }
      all.add(c);
    }
    return new Resolution(all, List.of(), world);
  }

  /**
   * Update-all without a report: a request for every installed package plain {@code apk upgrade} would
   * bring to a higher version, at that version.
   */
  public List<Request> updateAll() throws ResolutionException {
    List<Request> out = new ArrayList<>();
    for (Change c : upgradeAll().changes()) {
      if (c.from() != null && c.to() != null && ApkVersion.compare(c.to().version(), c.fromVersion(), false) > 0) {
        out.add(new Request(c.name(), c.to().version(), List.of()));
      }
    }
    return out;
  }

  /**
   * apk_pkg_replaces_file (apk-tools 2.12+): may {@code incoming} overwrite a file {@code owner} (an
   * installed package) owns? Same name or same origin: yes; else by their {@code r:} replaces and
   * {@code q:} replaces priorities.
   */
  public static FileOwnership replacesFile(ApkRecord owner, ApkRecord incoming) {
    if (owner.name().equals(incoming.name())) {
      return FileOwnership.REPLACE;
    }
    if (!owner.origin().isEmpty() && owner.origin().equals(incoming.origin())) {
      return FileOwnership.REPLACE;
    }
    long ownerPrio = -1;
    long incomingPrio = -1;
    for (Dependency d : owner.replaces()) {
      if (materialized(d, incoming)) {
        ownerPrio = owner.get('q').map(Long::parseLong).orElse(0L);
        break;
      }
    }
    for (Dependency d : incoming.replaces()) {
      if (materialized(d, owner)) {
        incomingPrio = incoming.get('q').map(Long::parseLong).orElse(0L);
        break;
      }
    }
    if (ownerPrio > incomingPrio) {
      return FileOwnership.KEEP;
    }
    if (incomingPrio >= 0) {
      return FileOwnership.REPLACE;
    }
    return FileOwnership.CONFLICT;
  }

  private static boolean materialized(Dependency d, ApkRecord pkg) {
    if (!d.name().equals(pkg.name())) {
      return d.conflict();
    }
    if (Dependency.CHECKSUM.equals(d.op())) {
      return pkg.checksum().equals(d.version());
    }
    return d.matches(pkg.version()) != d.conflict();
  }

  // ---- building apk's database ----

  private ApkSolver build(List<InstalledRef> state) throws ResolutionException {
    ApkSolver s = new ApkSolver();
    List<Dependency> worldList = parseWorld();
    // apk reads the world, then the installed database, then the repositories: tags are numbered in that order.
    for (Dependency d : worldList) {
      s.tagId(d.tag());
    }
    for (InstalledRef ref : state) {
      s.add(ref.record(), true, 0, s.tagId(ref.tag()));
    }
    int bit = 1; // bit 0 is apk's cache repository
    for (Repository repo : repositories) {
      if (bit > 62) {
        throw new ResolutionException("more repositories than apk can hold: " + repo.source());
      }
      int tag = s.tagId(repo.tag());
      s.allowedRepos.set(tag, s.allowedRepos.get(tag) | (1L << bit));
      s.availableRepos |= 1L << bit;
      for (ApkRecord r : repo.records()) {
        if (arch != null && !r.arch().isEmpty() && !r.arch().equals(arch) && !r.arch().equals("noarch")) {
          continue;
        }
        s.add(r, false, bit, 0);
      }
      bit++;
    }
    for (Dependency d : worldList) {
      s.name(d.name());
    }
    s.computeReverseDependencies();
    return s;
  }

  private List<Dependency> parseWorld() throws ResolutionException {
    try {
      return Dependency.parseList(world, "/etc/apk/world");
    } catch (IllegalArgumentException e) {
      throw new ResolutionException(e.getMessage());
    }
  }

  /** The world's dependencies; apk_db_check_world refuses one pinned to a tag no repository has. */
  private List<ApkSolver.Dep> worldDeps(ApkSolver s) throws ResolutionException {
    List<ApkSolver.Dep> out = new ArrayList<>();
    for (Dependency d : parseWorld()) {
      ApkSolver.Dep dep = s.dep(d);
      if (dep.tag() != 0 && s.allowedRepos.get(dep.tag()) == 0) {
        throw new ResolutionException("the repository tag for world dependency '" + d + "' does not exist: no"
            + " configured repository is @" + d.tag() + " (apk: \"Not continuing with upgrade due to missing"
            + " repository tags\")");
      }
      out.add(dep);
    }
    return out;
  }

  private static ApkSolver.Pkg installedPkg(ApkSolver s, ApkSolver.Name name) {
    for (ApkSolver.Pkg p : s.installed) {
      if (p.name == name) {
        return p;
      }
    }
    return null;
  }

  private List<Change> changes(ApkSolver s, Set<String> requested, String flagged) {
    List<Change> out = new ArrayList<>();
    for (ApkSolver.Change c : s.changeset) {
      ApkSolver.Pkg o = c.oldPkg();
      ApkSolver.Pkg n = c.newPkg();
      if (o == n && c.oldTag() == c.newTag()) {
        continue;
      }
      String tag = n == null || c.newTag() == 0 ? null : s.tags.get(c.newTag());
      String reason;
      if (n == null) {
        reason = "removed";
      } else if (o == n) {
        reason = "pin";
      } else if (requested.contains(n.name.name) || (requested.isEmpty() && o != null)) {
        reason = flagged;
      } else if (n.selectedByIif && !n.installIf.isEmpty()) {
        reason = "install_if";
      } else {
        reason = "dependency";
      }
      ApkSolver.Pkg shown = n != null ? n : o;
      ApkRecord to = n == null ? null : n.indexRecord != null ? n.indexRecord : n.installedRecord;
      out.add(new Change(shown.name.name, o == null ? null : o.version, o == null ? null : o.installedRecord, to,
          tag, reason));
    }
    return out;
  }

  /** The installed list after committing {@code changes}: removed and replaced records out, new ones appended in order. */
  private static List<InstalledRef> apply(List<InstalledRef> state, List<Change> changes) {
    List<InstalledRef> out = new ArrayList<>(state);
    for (Change c : changes) {
      if (c.from() != null) {
        out.removeIf(r -> r.record().equals(c.from()));
      }
      if (c.to() != null) {
        out.add(new InstalledRef(c.to(), c.tag()));
      }
    }
    return out;
  }

  // ---- messages ----

  private static Request stricter(Request a, Request b) {
    if (blank(a.minimumVersion())) {
      return merge(b, a);
    }
    if (blank(b.minimumVersion())) {
      return merge(a, b);
    }
    return ApkVersion.compare(a.minimumVersion(), b.minimumVersion(), false) >= 0 ? merge(a, b) : merge(b, a);
  }

  private static Request merge(Request keep, Request other) {
    List<String> v = new ArrayList<>(keep.vulnerabilities());
    for (String id : other.vulnerabilities()) {
      if (!v.contains(id)) {
        v.add(id);
      }
    }
    return new Request(keep.name(), keep.minimumVersion(), v);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String vulns(Request r) {
    return r.vulnerabilities().isEmpty() ? "" : " (for " + String.join(", ", r.vulnerabilities()) + ")";
  }

  private static String vulnsOf(Iterable<Request> rs) {
    List<String> all = new ArrayList<>();
    for (Request r : rs) {
      for (String v : r.vulnerabilities()) {
        if (!all.contains(v)) {
          all.add(v);
        }
      }
    }
    return all.isEmpty() ? "" : " (requested for " + String.join(", ", all) + ")";
  }

  private String missingFix(ApkSolver s, Request r, ApkSolver.Pkg now) {
    ApkSolver.Name name = s.names.get(r.name());
    StringBuilder b = new StringBuilder();
    b.append(r.name()).append(": no candidate reaches ").append(r.minimumVersion()).append(vulns(r))
        .append("; apk upgrade would leave it at ").append(now == null ? "nothing" : now.version)
        .append("; candidates seen: ");
    List<String> seen = new ArrayList<>();
    for (ApkSolver.Provider p : name.providers) {
      ApkSolver.Pkg pkg = p.pkg();
      if (pkg.name != name) {
        continue;
      }
      StringBuilder c = new StringBuilder(pkg.version).append(" (");
      List<String> where = new ArrayList<>();
      if (pkg.installed) {
        where.add("installed");
      }
      for (int i = 0; i < repositories.size(); i++) {
        if ((pkg.repos & (1L << (i + 1))) != 0) {
          Repository repo = repositories.get(i);
          where.add(repo.source() + (repo.tag() != null ? " @" + repo.tag() : ""));
        }
      }
      c.append(String.join(", ", where));
      boolean reaches = ApkVersion.compare(pkg.version, r.minimumVersion(), false) >= 0;
      if (reaches && !pkg.tagOk) {
        c.append("; pinned repository the world does not ask for");
      } else if (reaches && pkg.errorReason != null) {
        c.append("; ").append(pkg.errorReason);
      }
      seen.add(c.append(')').toString());
    }
    b.append(seen.isEmpty() ? "none" : String.join(", ", seen));
    return b.toString();
  }

  private static String problems(ApkSolver s) {
    List<String> out = new ArrayList<>();
    for (ApkSolver.Name n : s.names.values()) {
      if (n.noProvider) {
        StringBuilder b = new StringBuilder(n.name).append(" (");
        b.append(n.providers.isEmpty() ? "no such package" : "no installable provider among "
            + n.providers.stream().map(p -> p.pkg().toString()).distinct().toList());
        out.add(b.append(")").toString());
      }
      for (ApkSolver.Provider p : n.providers) {
        if (p.pkg().name == n && p.pkg().error) {
          out.add(p.pkg() + ": " + p.pkg().errorReason);
        }
      }
    }
    return out.isEmpty() ? "(apk's solver found errors)" : String.join("; ", out);
  }
}
