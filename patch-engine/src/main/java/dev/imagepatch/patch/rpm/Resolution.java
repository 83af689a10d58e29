package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.rpm.resolve.ModularFilter;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver;
import dev.imagepatch.pkg.rpm.resolve.RpmSolvable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The image's packages and repositories handed to pkg-rpm's {@link RpmResolver} (dnf's
 * {@code upgrade <names>}), the repositories' packages first filtered as dnf's modularity filters
 * them ({@link ModularFilter}: the image's {@code /etc/dnf/modules.d} state, hotfix repositories
 * exempt); its transaction mapped back to the image's installed packages and the repositories.
 * Installonly packages (kernels) are never upgraded in an image: the resolver skips them, and the
 * listener is told.
 */
final class Resolution {
  /** dnf 4's default {@code installonlypkgs} names (the {@code installonlypkg(...)} provides the resolver knows). */
  static final Set<String> INSTALLONLY = Set.of("kernel", "kernel-PAE");

  private final List<InstalledRpm> installed;
  private final Map<String, OpenRepository> repositories = new LinkedHashMap<>();
  private final Map<RpmSolvable, InstalledRpm> bySolvable = new IdentityHashMap<>();
  private final RpmResolver resolver;
  private final PatchListener listener;

  Resolution(List<InstalledRpm> installed, List<OpenRepository> repos, ModulesState modules, String arch,
      Set<String> installonly, PatchListener listener) {
    this.installed = installed;
    this.listener = listener;
    Map<String, RpmRecord> byNevra = new HashMap<>();
    repos.forEach(r -> r.records().forEach(rec -> byNevra.putIfAbsent(rec.name() + "-" + RpmChange.evr(rec) + "."
        + rec.arch(), rec)));
    List<RpmSolvable> solvables = new ArrayList<>();
    for (InstalledRpm i : installed) {
      RpmSolvable s = solvable(i, byNevra.get(i.nevra()));
      bySolvable.put(s, i);
      solvables.add(s);
    }
    Map<String, ModulesYaml> yaml = new HashMap<>();
    Set<String> hotfix = new LinkedHashSet<>();
    for (OpenRepository r : repos) {
      repositories.put(r.id(), r);
      r.modules().ifPresent(m -> yaml.put(r.id(), m));
      if (r.config().moduleHotfixes()) {
        hotfix.add(r.id());
      }
    }
    ModularFilter filter = yaml.isEmpty() ? ModularFilter.NONE
        : ModularFilter.of(yaml, modules.enabled(), modules.disabled(), hotfix);
    List<RpmResolver.Repository> visible = new ArrayList<>();
    for (OpenRepository r : repos) {
      List<RpmRecord> records = r.records().stream().filter(rec -> filter.visible(r.id(), rec)).toList();
      visible.add(new RpmResolver.Repository(r.id(), r.config().priority(), r.config().cost(), records));
    }
    Set<String> only = new LinkedHashSet<>(INSTALLONLY);
    only.addAll(installonly);
    this.resolver = RpmResolver.of(solvables, visible, DnfVariables.basearch(arch), only);
  }

  /**
   * The solver's view of an installed package. From a manifest line (a distroless image has no
   * headers), the dependencies of the repository's package of the same NEVRA when there is one,
   * else its name and EVR only.
   */
  static RpmSolvable solvable(InstalledRpm i, RpmRecord same) {
    if (i.header() != null) {
      return RpmSolvable.installed(i.header());
    }
    if (same != null) {
      RpmSolvable a = RpmSolvable.available(same, RpmSolvable.SYSTEM);
      return new RpmSolvable(a.name(), a.epoch(), a.version(), a.release(), a.arch(), a.provides(), a.requires(),
          a.conflicts(), a.obsoletes(), a.files(), RpmSolvable.SYSTEM);
    }
    RpmDependency self = new RpmDependency(i.name(), RpmDependency.Flags.EQ, i.epoch(), i.version(), i.release(),
        false);
    return new RpmSolvable(i.name(), i.epoch(), i.version(), i.release(), i.arch(), List.of(self), List.of(),
        List.of(), List.of(), List.of(), RpmSolvable.SYSTEM);
  }

  List<RpmChange> upgrade(List<Request> requests) throws PatchException {
    List<RpmResolver.Request> asked = requests.stream()
        .map(r -> new RpmResolver.Request(r.name(), r.minimumVersion(), r.vulnerabilities())).toList();
    RpmResolver.Transaction t;
    try {
      t = resolver.upgrade(asked);
    } catch (RpmResolver.ResolutionException e) {
      throw new PatchException(e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new PatchException("resolution: " + e.getMessage());
    }
    for (RpmResolver.Skipped s : t.skipped()) {
      listener.step(s.name() + " left as installed: " + s.reason());
    }
    List<RpmChange> out = new ArrayList<>();
    for (RpmResolver.Change c : t.changes()) {
      InstalledRpm from = c.from() == null ? null : installedOf(c.from());
      OpenRepository repo = c.to() == null ? null : repositories.get(c.repository());
      if (c.to() != null && (repo == null || c.record() == null)) {
        throw new IllegalStateException("the resolver chose " + c.to().nevra() + " of an unknown repository "
            + c.repository());
      }
      out.add(new RpmChange(c.name(), c.arch(), from, c.record(), repo, c.reason()));
    }
    return out;
  }

  private InstalledRpm installedOf(RpmSolvable s) {
    InstalledRpm i = bySolvable.get(s);
    if (i != null) {
      return i;
    }
    for (InstalledRpm x : installed) {
      if (x.name().equals(s.name()) && x.arch().equals(s.arch()) && x.version().equals(s.version())
          && x.release().equals(s.release())) {
        return x;
      }
    }
    throw new IllegalStateException("the resolver replaced " + s.nevra() + ", which is not installed");
  }

  /** Every installed package with a newer candidate, each asked for at that candidate's EVR. */
  List<Request> updateAll() {
    return resolver.updateAll().stream().map(r -> new Request(r.name(), r.minimumEvr(), r.vulnerabilities())).toList();
  }
}
