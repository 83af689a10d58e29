package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.version.ApkVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;

/**
 * A port of apk-tools 2.x {@code src/solver.c} (the deductive solver and the changeset generation)
 * over the names, packages and providers {@code src/database.c} builds. Names follow the C: one
 * method per C function, same order of evaluation, same lists (the dirty list is FIFO, the
 * unresolved list takes new names at its head), so ties are broken as apk breaks them.
 */
final class ApkSolver {
  static final int SOLVERF_UPGRADE = 0x0001;
  static final int DEFAULT_PINNING_MASK = 1;
  private static final int DEP_SATISFIES = 1;
  private static final int DEP_CONFLICTS = 2;

  /** An apk_name: a package name or a provided one (so:, cmd:, pc:, /bin/sh, virtuals). */
  static final class Name {
    final String name;
    final List<Provider> providers = new ArrayList<>();
    final List<Name> rdepends = new ArrayList<>();
    final List<Name> rinstallIf = new ArrayList<>();
    int priority;
    // solver state (name->ss)
    boolean seen;
    boolean locked;
    boolean noIif;
    boolean hasIif;
    boolean reevaluateDeps;
    boolean reevaluateIif;
    boolean hasOptions;
    boolean reverseDepsDone;
    boolean hasVirtualProvides;
    boolean inUnresolved;
    boolean inChangeset;
    boolean noProvider;
    int requirers;
    int maxDepChain;
    int mergeDepends;
    int mergeProvides;
    Provider chosen = Provider.NONE;
    Pkg installedPkg;
    Name installedName;

    Name(String name) {
      this.name = name;
    }

    void reset() {
      seen = locked = noIif = hasIif = reevaluateDeps = reevaluateIif = false;
      hasOptions = reverseDepsDone = hasVirtualProvides = inUnresolved = inChangeset = noProvider = false;
      requirers = maxDepChain = mergeDepends = mergeProvides = 0;
      chosen = Provider.NONE;
      installedPkg = null;
      installedName = null;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A dependency with its name resolved and its repository tag numbered. */
  record Dep(Name name, boolean conflict, String op, String version, int tag) {
    boolean checksum() {
      return Dependency.CHECKSUM.equals(op);
    }

    @Override
    public String toString() {
      return (conflict ? "!" : "") + name.name + (op != null ? op + version : "");
    }
  }

  /** An apk_provider: a package and the version it provides the name at (null: without version). */
  record Provider(Pkg pkg, String version) {
    static final Provider NONE = new Provider(null, null);
  }

  /** An apk_package: one record, installed and/or in repositories (merged by its checksum). */
  static final class Pkg {
    final ApkRecord record;
    final Name name;
    final String version;
    final List<Dep> depends = new ArrayList<>();
    final List<Dep> provides = new ArrayList<>();
    final List<Dep> installIf = new ArrayList<>();
    final long installedSize;
    final int providerPriority;
    ApkRecord installedRecord;
    ApkRecord indexRecord;
    long repos;
    boolean installed;
    int installedTag;
    // solver state (pkg->ss)
    boolean seen;
    boolean available;
    boolean selectable;
    boolean iifFailed;
    boolean iifTriggered;
    boolean tagPreferred;
    boolean tagOk;
    boolean dependenciesMerged;
    boolean dependenciesUsed;
    boolean error;
    boolean inChangeset;
    boolean selectedByIif;
    int pinningAllowed;
    int pinningPreferred;
    int maxDepChain;
    int conflicts;
    int solverFlags;
    int solverFlagsInheritable;
    String errorReason;

    Pkg(ApkRecord record, Name name) {
      this.record = record;
      this.name = name;
      this.version = record.version();
      this.installedSize = record.installedSize();
      this.providerPriority = record.providerPriority();
    }

    void reset() {
      seen = available = selectable = iifFailed = iifTriggered = tagPreferred = tagOk = false;
      dependenciesMerged = dependenciesUsed = error = inChangeset = selectedByIif = false;
      pinningAllowed = pinningPreferred = maxDepChain = conflicts = solverFlags = solverFlagsInheritable = 0;
      errorReason = null;
    }

    @Override
    public String toString() {
      return name.name + "-" + version;
    }
  }

  /** One entry of the changeset; old == new for a package that stays. */
  record Change(Pkg oldPkg, int oldTag, Pkg newPkg, int newTag) {}

  final Map<String, Name> names = new LinkedHashMap<>();
  final Map<String, Pkg> byChecksum = new HashMap<>();
  final List<Pkg> installed = new ArrayList<>();
  final List<String> tags = new ArrayList<>(List.of(""));
  final List<Long> allowedRepos = new ArrayList<>(List.of(0L));
  long availableRepos;
  boolean performingSelfUpgrade;

  // per solve
  private final LinkedHashSet<Name> dirty = new LinkedHashSet<>();
  private final LinkedList<Name> unresolved = new LinkedList<>();
  int errors;
  private int solverFlagsInherit;
  private int pinningInherit;
  private long defaultRepos;
  final List<Change> changeset = new ArrayList<>();

  Name name(String n) {
    return names.computeIfAbsent(n, Name::new);
  }

  /** apk_db_get_tag_id: the number of a tag (plain name, no '@'), made when first seen; 0 for none. */
  int tagId(String tag) {
    if (tag == null || tag.isEmpty()) {
      return 0;
    }
    String plain = tag.startsWith("@") ? tag.substring(1) : tag;
    int i = tags.indexOf(plain);
    if (i > 0) {
      return i;
    }
    if (tags.size() >= 16) {
      throw new IllegalArgumentException("more than 15 repository tags (apk's limit): @" + plain);
    }
    tags.add(plain);
    allowedRepos.add(0L);
    return tags.size() - 1;
  }

  Dep dep(Dependency d) {
    return new Dep(name(d.name()), d.conflict(), d.op(), d.version(), tagId(d.tag()));
  }

  /** apk_db_pkg_add: a package known by its checksum gains the repository; a new one becomes a provider. */
  Pkg add(ApkRecord record, boolean isInstalled, int repoBit, int installedTag) {
    Pkg pkg = byChecksum.get(record.checksum());
    if (pkg == null) {
      pkg = new Pkg(record, name(record.name()));
      for (Dependency d : record.depends()) {
        pkg.depends.add(depNoTag(d));
      }
      for (Dependency d : record.provides()) {
        pkg.provides.add(depNoTag(d));
      }
      for (Dependency d : record.installIf()) {
        pkg.installIf.add(depNoTag(d));
      }
      byChecksum.put(record.checksum(), pkg);
      pkg.name.providers.add(new Provider(pkg, pkg.version));
      for (Dep d : pkg.provides) {
        d.name.providers.add(new Provider(pkg, d.version));
      }
    }
    if (isInstalled) {
      pkg.installed = true;
      pkg.installedTag = installedTag;
      pkg.installedRecord = record;
      installed.add(pkg);
    } else {
      pkg.repos |= 1L << repoBit;
      if (pkg.indexRecord == null) {
        pkg.indexRecord = record;
      }
    }
    return pkg;
  }

  /** Package fields are read without a database: a tag written in them is not kept (apk_blob_pull_dep). */
  private Dep depNoTag(Dependency d) {
    return new Dep(name(d.name()), d.conflict(), d.op(), d.version(), 0);
  }

  /** apk_db_name_rdepends over every name (apk walks its name hash; here the order names were made). */
  void computeReverseDependencies() {
    for (Name name : names.values()) {
      int numVirtual = 0;
      for (Provider p : name.providers) {
        numVirtual += p.pkg.name != name ? 1 : 0;
        for (Dep d : p.pkg.depends) {
          if (!d.name.rdepends.contains(name)) {
            d.name.rdepends.add(name);
          }
        }
        for (Dep d : p.pkg.installIf) {
          if (!d.name.rinstallIf.contains(name)) {
            d.name.rinstallIf.add(name);
          }
        }
      }
      name.priority = numVirtual == 0 ? 0 : numVirtual != name.providers.size() ? 1 : 2;
    }
  }

  /** apk_solver_set_name_flags */
  void setNameFlags(Name name, int flags, int inheritable) {
    for (Provider p : name.providers) {
      p.pkg.solverFlags |= flags;
      p.pkg.solverFlagsInheritable |= inheritable;
    }
  }

  /** The solver state of every name and package cleared (free_name / free_package). */
  void reset() {
    for (Name n : names.values()) {
      n.reset();
      for (Provider p : n.providers) {
        if (p.pkg.name == n) {
          p.pkg.reset();
        }
      }
    }
    changeset.clear();
    errors = 0;
  }

  long pinningMaskRepos(int mask) {
    long repos = 0;
    for (int i = 0; i < tags.size(); i++) {
      if ((mask & (1 << i)) != 0) {
        repos |= allowedRepos.get(i);
      }
    }
    return repos;
  }

  /** get_tag */
  int tagOf(int pinningMask, long repos) {
    for (int i = 0; i < tags.size(); i++) {
      if ((pinningMask & (1 << i)) == 0) {
        continue;
      }
      if ((allowedRepos.get(i) & repos) != 0) {
        return i;
      }
    }
    return 0;
  }

  /** get_pkg_repos */
  long pkgRepos(Pkg pkg) {
    return pkg.repos | (pkg.installed ? allowedRepos.get(pkg.installedTag) : 0);
  }

  // ---- package.c ----

  /** apk_dep_is_provided */
  static boolean isProvided(Dep dep, Provider p) {
    if (p == null || p.pkg == null) {
      return dep.conflict;
    }
    if (dep.checksum()) {
      return p.pkg.record.checksum().equals(dep.version);
    }
    if (dep.op == null) {
      return !dep.conflict;
    }
    if (p.version == null) {
      return dep.conflict;
    }
    return ApkVersion.matches(p.version, dep.op, dep.version) != dep.conflict;
  }

  /** apk_dep_is_materialized */
  static boolean isMaterialized(Dep dep, Pkg pkg) {
    if (pkg == null || dep.name != pkg.name) {
      return dep.conflict;
    }
    return isProvided(dep, new Provider(pkg, pkg.version));
  }

  /** apk_dep_analyze */
  static int analyze(Dep dep, Pkg pkg) {
    if (pkg == null) {
      return 0;
    }
    if (dep.name == pkg.name) {
      return isMaterialized(dep, pkg) ? DEP_SATISFIES : DEP_CONFLICTS;
    }
    for (Dep p : pkg.provides) {
      if (p.name != dep.name) {
        continue;
      }
      return isProvided(dep, new Provider(pkg, p.version)) ? DEP_SATISFIES : DEP_CONFLICTS;
    }
    return 0;
  }

  // ---- solver.c ----

  private void markError(Pkg pkg, String reason) {
    if (pkg == null || pkg.error) {
      return;
    }
    pkg.error = true;
    pkg.errorReason = reason;
    errors++;
  }

  private void queueDirty(Name name) {
    if (dirty.contains(name) || name.locked || (name.requirers == 0 && !name.reevaluateIif)) {
      return;
    }
    dirty.add(name);
  }

  private void queueUnresolved(Name name) {
    if (name.locked) {
      return;
    }
    boolean want = name.requirers > 0 || name.hasIif;
    if (want && !name.inUnresolved) {
      unresolved.addFirst(name);
      name.inUnresolved = true;
    } else if (!want && name.inUnresolved) {
      unresolved.remove(name);
      name.inUnresolved = false;
    }
  }

  private void reevaluateReverseDeps(Name name) {
    for (Name name0 : name.rdepends) {
      if (!name0.seen) {
        continue;
      }
      name0.reevaluateDeps = true;
      queueDirty(name0);
    }
  }

  private void reevaluateReverseInstallIf(Name name) {
    for (Name name0 : name.rinstallIf) {
      if (!name0.seen || name0.noIif) {
        continue;
      }
      name0.reevaluateIif = true;
      queueDirty(name0);
    }
  }

  private void disqualify(Pkg pkg, String reason) {
    pkg.selectable = false;
    if (pkg.errorReason == null) {
      pkg.errorReason = reason;
    }
    reevaluateReverseDeps(pkg.name);
    for (Dep p : pkg.provides) {
      reevaluateReverseDeps(p.name);
    }
    reevaluateReverseInstallIf(pkg.name);
  }

  private boolean dependencySatisfiable(Dep dep) {
    Name name = dep.name;
    if (name.locked) {
      return isProvided(dep, name.chosen);
    }
    if (name.requirers == 0 && isProvided(dep, Provider.NONE)) {
      return true;
    }
    for (Provider p : name.providers) {
      if (p.pkg.selectable && isProvided(dep, p)) {
        return true;
      }
    }
    return false;
  }

  private void discoverName(Name name) {
    if (name.seen) {
      return;
    }
    name.seen = true;
    name.noIif = true;
    for (Provider p : name.providers) {
      Pkg pkg = p.pkg;
      if (!pkg.seen) {
        pkg.seen = true;
        pkg.pinningAllowed = DEFAULT_PINNING_MASK;
        pkg.pinningPreferred = DEFAULT_PINNING_MASK;
        pkg.available = (pkg.repos & availableRepos) != 0;
        pkg.selectable = (pkg.repos & availableRepos) != 0 || pkg.installed;
        pkg.iifFailed = pkg.installIf.isEmpty();
        long repos = pkgRepos(pkg);
        pkg.tagPreferred = pkg.installedSize == 0 || (repos & defaultRepos) != 0;
        pkg.tagOk = pkg.tagPreferred || pkg.installed;
        for (Dep d : pkg.depends) {
          discoverName(d.name);
          pkg.maxDepChain = Math.max(pkg.maxDepChain, d.name.maxDepChain + 1);
        }
      }
      name.noIif &= pkg.iifFailed;
      name.maxDepChain = Math.max(name.maxDepChain, pkg.maxDepChain);
    }
    for (Name n : List.copyOf(name.rinstallIf)) {
      discoverName(n);
    }
  }

  private void nameRequirersChanged(Name name) {
    queueUnresolved(name);
    reevaluateReverseInstallIf(name);
    queueDirty(name);
  }

  private void inheritPinningAndFlags(Pkg pkg, Pkg ppkg) {
    long repos = pkgRepos(pkg);
    if (ppkg != null) {
      pkg.solverFlags |= ppkg.solverFlagsInheritable;
      pkg.solverFlagsInheritable |= ppkg.solverFlagsInheritable;
      pkg.pinningAllowed |= ppkg.pinningAllowed;
    } else {
      pkg.solverFlags |= solverFlagsInherit;
      pkg.solverFlagsInheritable |= solverFlagsInherit;
      pkg.pinningAllowed |= pinningInherit;
      pkg.pinningPreferred = pinningInherit;
      pkg.tagPreferred = (repos & pinningMaskRepos(pkg.pinningPreferred)) != 0;
    }
    pkg.tagOk |= (repos & pinningMaskRepos(pkg.pinningAllowed)) != 0;
  }

  private void applyConstraint(Pkg ppkg, Dep dep) {
    Name name = dep.name;
    name.requirers += dep.conflict ? 0 : 1;
    if (name.requirers == 1 && !dep.conflict) {
      nameRequirersChanged(name);
    }
    for (Provider p0 : name.providers) {
      Pkg pkg0 = p0.pkg;
      boolean provided = isProvided(dep, p0);
      pkg0.conflicts += provided ? 0 : 1;
      if (pkg0.selectable && pkg0.conflicts > 0) {
        disqualify(pkg0, "conflicts with " + (ppkg == null ? "world" : ppkg) + "[" + dep + "]");
      }
      if (provided) {
        inheritPinningAndFlags(pkg0, ppkg);
      }
    }
  }

  private void excludeNonProviders(Name name, Name mustProvide, boolean skipVirtuals) {
    if (name == mustProvide) {
      return;
    }
    next:
    for (Provider p : name.providers) {
      if (p.pkg.name == mustProvide || !p.pkg.selectable || (skipVirtuals && p.version == null)) {
        continue;
      }
      for (Dep d : p.pkg.provides) {
        if (d.name == mustProvide || (skipVirtuals && d.version == null)) {
          continue next;
        }
      }
      disqualify(p.pkg, "provides transitivity");
    }
  }

  private static boolean mergeDepends(Name n, int numOptions) {
    if (n.mergeDepends != numOptions) {
      return false;
    }
    n.mergeDepends = numOptions + 1;
    return true;
  }

  private static boolean mergeDependsComplete(Name n, int numOptions) {
    boolean ret = n.mergeDepends == numOptions;
    n.mergeDepends = 0;
    return ret;
  }

  private static boolean mergeProvides(Name n, int numOptions) {
    if (n.mergeProvides != numOptions) {
      return false;
    }
    n.mergeProvides = numOptions + 1;
    return true;
  }

  private static boolean mergeProvidesComplete(Name n, int numOptions) {
    boolean ret = n.mergeProvides == numOptions;
    n.mergeProvides = 0;
    return ret;
  }

  private void reconsiderName(Name name) {
    Pkg firstCandidate = null;
    int numOptions = 0;
    int numTagNotOk = 0;
    boolean hasIif = false;
    boolean noIif = true;
    boolean reevaluateDeps = name.reevaluateDeps;
    boolean reevaluateIif = name.reevaluateIif;
    name.reevaluateDeps = false;
    name.reevaluateIif = false;

    for (Provider p : name.providers) {
      Pkg pkg = p.pkg;
      pkg.dependenciesMerged = false;
      if (reevaluateDeps) {
        if (!pkg.selectable) {
          continue;
        }
        for (Dep dep : pkg.depends) {
          if (!dependencySatisfiable(dep)) {
            disqualify(pkg, "dependency " + dep + " no longer satisfiable");
            break;
          }
        }
      }
      if (!pkg.selectable) {
        continue;
      }
      if (reevaluateIif && !pkg.iifTriggered && !pkg.iifFailed) {
        pkg.iifTriggered = true;
        pkg.iifFailed = false;
        for (Dep dep : pkg.installIf) {
          if (!dep.name.locked) {
            pkg.iifTriggered = false;
            pkg.iifFailed = false;
            break;
          }
          if (!isProvided(dep, dep.name.chosen)) {
            pkg.iifTriggered = false;
            pkg.iifFailed = true;
            break;
          }
        }
      }
      if (reevaluateIif && pkg.iifTriggered) {
        for (Dep dep : pkg.installIf) {
          inheritPinningAndFlags(pkg, dep.name.chosen.pkg);
        }
      }
      hasIif |= pkg.iifTriggered;
      noIif &= pkg.iifFailed;

      if (name.requirers == 0) {
        continue;
      }
      pkg.dependenciesMerged = true;
      if (firstCandidate == null) {
        firstCandidate = pkg;
      }
      for (Dep dep : pkg.depends) {
        if (!dep.conflict) {
          mergeDepends(dep.name, numOptions);
        }
      }
      if (mergeProvides(pkg.name, numOptions)) {
        pkg.name.hasVirtualProvides |= p.version == null;
      }
      for (Dep dep : pkg.provides) {
        if (mergeProvides(dep.name, numOptions)) {
          dep.name.hasVirtualProvides |= dep.version == null;
        }
      }
      numTagNotOk += pkg.tagOk ? 0 : 1;
      numOptions++;
    }
    name.hasOptions = numOptions > 1 || numTagNotOk > 0;
    name.hasIif = hasIif;
    name.noIif = noIif;
    queueUnresolved(name);

    if (firstCandidate != null) {
      Pkg pkg = firstCandidate;
      for (Provider p : name.providers) {
        p.pkg.dependenciesUsed = p.pkg.dependenciesMerged;
      }
      if (numOptions == 1) {
        for (Dep dep : pkg.depends) {
          if (mergeDependsComplete(dep.name, numOptions)) {
            applyConstraint(pkg, dep);
          }
        }
      } else {
        for (Dep dep : pkg.depends) {
          Name name0 = dep.name;
          if (mergeDependsComplete(name0, numOptions) && name0.requirers == 0) {
            name0.requirers++;
            nameRequirersChanged(name0);
            for (Provider p : name0.providers) {
              inheritPinningAndFlags(p.pkg, pkg);
            }
          }
        }
      }
      if (mergeProvidesComplete(pkg.name, numOptions)) {
        excludeNonProviders(pkg.name, name, pkg.name.hasVirtualProvides);
      }
      for (Dep dep : pkg.provides) {
        if (mergeProvidesComplete(dep.name, numOptions)) {
          excludeNonProviders(dep.name, name, dep.name.hasVirtualProvides);
        }
      }
      pkg.name.hasVirtualProvides = false;
      for (Dep dep : pkg.provides) {
        dep.name.hasVirtualProvides = false;
      }
    }

    name.reverseDepsDone = true;
    for (Name name0 : name.rdepends) {
      if (name0.seen && !name0.locked) {
        name.reverseDepsDone = false;
        break;
      }
    }
  }

  private static int ffs(long x) {
    return x == 0 ? 0 : Long.numberOfTrailingZeros(x) + 1;
  }

  private static int b(boolean x) {
    return x ? 1 : 0;
  }

  /** compare_providers (the branch without --latest/--available, which apk upgrade NAMES does not set). */
  int compareProviders(Provider pA, Provider pB) {
    Pkg a = pA.pkg;
    Pkg b = pB.pkg;
    if (a == null || b == null) {
      return b(a != null) - b(b != null);
    }
    int flags = a.solverFlags | b.solverFlags;
    int r;
    if ((r = b(a.selectable) - b(b.selectable)) != 0) {
      return r;
    }
    if ((r = b(a.dependenciesUsed) - b(b.dependenciesUsed)) != 0) {
      return r;
    }
    if ((r = b.conflicts - a.conflicts) != 0) {
      return r;
    }
    if (performingSelfUpgrade && (flags & SOLVERF_UPGRADE) == 0) {
      if ((r = b(a.installed) - b(b.installed)) != 0) {
        return r;
      }
    }
    if ((r = b(a.tagOk) - b(b.tagOk)) != 0) {
      return r;
    }
    if ((r = b(a.tagPreferred) - b(b.tagPreferred)) != 0) {
      return r;
    }
    if ((flags & SOLVERF_UPGRADE) == 0) {
      if ((r = b(a.installed) - b(b.installed)) != 0) {
        return r;
      }
    }
    if ((r = compareVersions(pA.version, pB.version)) != 0) {
      return r;
    }
    if (a.name == b.name && (r = compareVersions(a.version, b.version)) != 0) {
      return r;
    }
    if ((r = b(a.installed) - b(b.installed)) != 0) {
      return r;
    }
    if ((r = a.providerPriority - b.providerPriority) != 0) {
      return r;
    }
    if ((r = b(a.selectable) - b(b.selectable)) != 0) {
      return r;
    }
    return ffs(b.repos) - ffs(a.repos);
  }

  /** apk_version_compare_blob; a provider without version is an empty blob. */
  static int compareVersions(String a, String b) {
    if (a == null && b == null) {
      return 0;
    }
    return Integer.signum(ApkVersion.compare(a == null ? "" : a, b == null ? "" : b, false));
  }

  private void assignName(Name name, Provider p) {
    if (name.locked) {
      if (p.version == null && name.chosen.version == null) {
        return;
      }
      markError(p.pkg, "conflict: " + name.name + " provided by both " + p.pkg + " and " + name.chosen.pkg);
      markError(name.chosen.pkg, "conflict: " + name.name + " provided by both " + name.chosen.pkg + " and " + p.pkg);
      return;
    }
    name.locked = true;
    name.chosen = p;
    if (name.inUnresolved) {
      unresolved.remove(name);
      name.inUnresolved = false;
    }
    dirty.remove(name);
    for (Provider p0 : name.providers) {
      if (p0.pkg == p.pkg) {
        continue;
      }
      if (p.version == null && p0.version == null) {
        continue;
      }
      disqualify(p0.pkg, "conflicting provides: " + name.name + " is " + p.pkg);
    }
    reevaluateReverseDeps(name);
    reevaluateReverseInstallIf(name);
  }

  private void selectPackage(Name name) {
    Provider chosen = Provider.NONE;
    if (name.requirers > 0 || name.hasIif) {
      for (Provider p : name.providers) {
        if (name.requirers == 0 && (!p.pkg.iifTriggered || !p.pkg.tagOk)) {
          continue;
        }
        if (p.version == null && p.pkg.name.requirers == 0
            && p.pkg.providerPriority == 0 && name.providers.size() > 1) {
          continue;
        }
        if (compareProviders(p, chosen) > 0) {
          chosen = p;
        }
      }
    }
    Pkg pkg = chosen.pkg;
    if (pkg != null) {
      if (!pkg.selectable || !pkg.tagOk) {
        markError(pkg, !pkg.tagOk ? "only in a pinned repository the world does not ask for"
            : pkg.errorReason != null ? pkg.errorReason : "broken package");
      }
      pkg.selectedByIif = name.requirers == 0;
      assignName(pkg.name, new Provider(pkg, pkg.version));
      for (Dep d : pkg.provides) {
        assignName(d.name, new Provider(pkg, d.version));
      }
      for (Dep d : pkg.depends) {
        applyConstraint(pkg, d);
      }
    } else {
      assignName(name, Provider.NONE);
      if (name.requirers > 0) {
        name.noProvider = true;
        errors++;
      }
    }
  }

  // ---- changeset ----

  private void recordChange(Pkg opkg, Pkg npkg) {
    int newTag = npkg != null ? tagOf(npkg.pinningAllowed, pkgRepos(npkg)) : 0;
    changeset.add(new Change(opkg, opkg != null ? opkg.installedTag : 0, npkg, newTag));
  }

  private void csetTrackDepsAdded(Pkg pkg) {
    for (Dep d : pkg.depends) {
      if (d.conflict || d.name.installedName == null) {
        continue;
      }
      d.name.installedName.requirers++;
    }
  }

  private void csetTrackDepsRemoved(Pkg pkg) {
    for (Dep d : pkg.depends) {
      if (d.conflict || d.name.installedName == null) {
        continue;
      }
      if (--d.name.installedName.requirers > 0) {
        continue;
      }
      Pkg pkg0 = d.name.installedPkg;
      if (pkg0 != null) {
        csetGenNameRemove(pkg0);
      }
    }
  }

  private void csetCheckRemovalByDeps(Pkg pkg) {
    if (pkg.name.requirers == 0 && pkg.name.chosen.pkg == null) {
      csetGenNameRemove(pkg);
    }
  }

  private void csetCheckInstallByIif(Name name) {
    Pkg pkg = name.chosen.pkg;
    if (pkg == null || !name.seen || name.inChangeset) {
      return;
    }
    for (Dep dep0 : pkg.installIf) {
      if (!dep0.name.inChangeset) {
        return;
      }
      if (!isProvided(dep0, dep0.name.chosen)) {
        return;
      }
    }
    csetGenNameChange(name);
  }

  private void csetCheckRemovalByIif(Name name) {
    Pkg pkg = name.installedPkg;
    if (pkg == null || name.inChangeset || name.chosen.pkg != null) {
      return;
    }
    for (Dep dep0 : pkg.installIf) {
      if (dep0.name.inChangeset && dep0.name.chosen.pkg == null) {
        csetCheckRemovalByDeps(pkg);
        return;
      }
    }
  }

  private void csetGenNameRemoveOrphan(Name name) {
    Pkg pkg = name.chosen.pkg;
    if (name.inChangeset) {
      return;
    }
    name.inChangeset = true;
    if ((pkg == null || pkg.name != name) && name.installedPkg != null) {
      csetGenNameRemove(name.installedPkg);
    }
  }

  private void csetGenNameChange(Name name) {
    if (name.inChangeset) {
      return;
    }
    csetGenNameRemoveOrphan(name);
    Pkg pkg = name.chosen.pkg;
    if (pkg == null || pkg.inChangeset) {
      return;
    }
    pkg.inChangeset = true;
    csetGenNameRemoveOrphan(pkg.name);
    for (Dep d : pkg.provides) {
      csetGenNameRemoveOrphan(d.name);
    }
    Pkg opkg = pkg.name.installedPkg;
    if (opkg != null) {
      for (Name n : opkg.name.rinstallIf) {
        csetCheckRemovalByIif(n);
      }
    }
    for (Dep d : pkg.depends) {
      csetGenDep(pkg, d);
    }
    recordChange(opkg, pkg);
    for (Name n : pkg.name.rinstallIf) {
      csetCheckInstallByIif(n);
    }
    csetTrackDepsAdded(pkg);
    if (opkg != null) {
      csetTrackDepsRemoved(opkg);
    }
  }

  private void csetGenNameRemove(Pkg pkg) {
    Name name = pkg.name;
    if (pkg.inChangeset || (name.chosen.pkg != null && name.chosen.pkg.name == name)) {
      return;
    }
    name.inChangeset = true;
    pkg.inChangeset = true;
    // apk_pkg_foreach_reverse_dependency(pkg, APK_FOREACH_INSTALLED | APK_DEP_SATISFIES, ...)
    List<Name> rnames = new ArrayList<>(pkg.name.rdepends);
    for (Dep p : pkg.provides) {
      rnames.addAll(p.name.rdepends);
    }
    for (Name name0 : rnames) {
      for (Provider p0 : List.copyOf(name0.providers)) {
        Pkg pkg0 = p0.pkg;
        if (!pkg0.installed) {
          continue;
        }
        for (Dep d0 : pkg0.depends) {
          if ((analyze(d0, pkg) & DEP_SATISFIES) != 0) {
            csetGenNameRemove(pkg0);
          }
        }
      }
    }
    for (Name n : pkg.name.rinstallIf) {
      csetCheckRemovalByIif(n);
    }
    recordChange(pkg, null);
    csetTrackDepsRemoved(pkg);
  }

  private void csetGenDep(Pkg ppkg, Dep dep) {
    Name name = dep.name;
    Pkg pkg = name.chosen.pkg;
    if (!isProvided(dep, name.chosen)) {
      markError(ppkg, "unfulfilled dependency " + dep);
    }
    csetGenNameChange(name);
    if (pkg != null && pkg.error) {
      markError(ppkg, "its dependency " + pkg + " cannot be installed");
    }
  }

  private void generateChangeset(List<Dep> world) {
    changeset.clear();
    for (Name n : names.values()) {
      n.installedPkg = null;
      n.installedName = null;
      n.requirers = 0;
    }
    for (Pkg pkg : installed) {
      pkg.name.installedPkg = pkg;
      pkg.name.installedName = pkg.name;
      for (Dep d : pkg.provides) {
        if (d.version != null) {
          d.name.installedName = pkg.name;
        }
      }
    }
    for (Pkg pkg : installed) {
      csetTrackDepsAdded(pkg);
    }
    for (Pkg pkg : installed) {
      csetCheckRemovalByDeps(pkg);
    }
    for (Dep d : world) {
      csetGenDep(null, d);
    }
    for (Pkg pkg : installed) {
      csetGenNameChange(pkg.name);
    }
  }

  private static int compareNameDequeue(Name a, Name b) {
    int r = b(a.requirers > 0) - b(b.requirers > 0);
    if (r != 0) {
      return -r;
    }
    r = a.priority - b.priority;
    if (r != 0) {
      return r;
    }
    return -(a.maxDepChain - b.maxDepChain);
  }

  /** apk_solver_solve: the world sorted by name, solved, the changeset generated; returns the error count. */
  int solve(int solverFlags, List<Dep> worldIn) {
    List<Dep> world = new ArrayList<>(worldIn);
    world.sort(Comparator.comparing(d -> d.name.name));
    dirty.clear();
    unresolved.clear();
    errors = 0;
    defaultRepos = pinningMaskRepos(DEFAULT_PINNING_MASK);
    solverFlagsInherit = solverFlags;
    for (Dep d : world) {
      discoverName(d.name);
    }
    for (Dep d : world) {
      pinningInherit = 1 << d.tag;
      applyConstraint(null, d);
    }
    solverFlagsInherit = 0;
    pinningInherit = 0;
    while (true) {
      while (!dirty.isEmpty()) {
        Name name = dirty.iterator().next();
        dirty.remove(name);
        reconsiderName(name);
      }
      Name name = null;
      for (Name name0 : unresolved) {
        if (name0.reverseDepsDone && name0.requirers > 0 && !name0.hasOptions) {
          name = name0;
          break;
        }
        if (name == null || compareNameDequeue(name0, name) < 0) {
          name = name0;
        }
      }
      if (name == null) {
        break;
      }
      selectPackage(name);
    }
    generateChangeset(world);
    return errors;
  }
}
