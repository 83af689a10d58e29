package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * INTERIM (until pkg-rpm's {@code RpmResolver} lands on this branch): the highest visible candidate
 * of each requested name and installed architecture, by repository priority then EVR; no
 * dependencies are followed. Replaced by an adapter over {@code RpmResolver}, which decides as
 * {@code dnf upgrade <names>} does.
 */
final class Resolution {
  private final List<InstalledRpm> installed;
  private final List<OpenRepository> repositories;
  private final Predicate<RpmRecord> visible;
  private final Map<RpmRecord, OpenRepository> from = new IdentityHashMap<>();

  Resolution(List<InstalledRpm> installed, List<OpenRepository> repositories, ModulesState modules) {
    this.installed = installed;
    this.repositories = repositories;
    repositories.forEach(r -> r.records().forEach(rec -> from.put(rec, r)));
    this.visible = visible(repositories, modules);
  }

  /** dnf's modular filtering across repositories (hotfix repositories exempt). */
  static Predicate<RpmRecord> visible(List<OpenRepository> repositories, ModulesState modules) {
    Map<ModulesYaml, Predicate<RpmRecord>> own = new IdentityHashMap<>();
    Set<String> shadowed = new HashSet<>();
    for (OpenRepository r : repositories) {
      if (r.modules().isEmpty()) {
        continue;
      }
      ModulesYaml y = r.modules().get();
      own.put(y, y.visible(modules.enabled(), modules.disabled()));
      Set<String> active = y.activeStreams(modules.enabled(), modules.disabled());
      for (ModulesYaml.ModuleStream s : y.streams()) {
        if (active.contains(s.id())) {
          s.artifacts().forEach(a -> shadowed.add(nameOf(a)));
        }
      }
    }
    Map<RpmRecord, OpenRepository> owner = new IdentityHashMap<>();
    repositories.forEach(r -> r.records().forEach(rec -> owner.put(rec, r)));
    return rec -> {
      OpenRepository r = owner.get(rec);
      if (r == null || r.config().moduleHotfixes()) {
        return true;
      }
      if (r.modules().isPresent()) {
        return own.get(r.modules().get()).test(rec);
      }
      return !shadowed.contains(rec.name());
    };
  }

  static String nameOf(String nevra) {
    int colon = nevra.lastIndexOf(':');
    int dash = nevra.lastIndexOf('-', colon < 0 ? nevra.length() : colon);
    return dash < 0 ? nevra : nevra.substring(0, dash);
  }

  List<RpmChange> upgrade(List<Request> requests) throws PatchException {
    List<RpmChange> out = new ArrayList<>();
    for (Request q : requests) {
      List<InstalledRpm> mine = installed.stream().filter(i -> i.name().equals(q.name())).toList();
      if (mine.isEmpty()) {
        throw new PatchException(q.name() + " is not installed in the image");
      }
      for (InstalledRpm i : mine) {
        List<RpmRecord> candidates = candidates(i);
        RpmRecord best = candidates.isEmpty() ? null : candidates.get(0);
        if (q.minimumVersion() != null && (best == null
            || RpmVersion.parse(RpmChange.evr(best)).compareTo(RpmVersion.parse(q.minimumVersion())) < 0)) {
          throw new PatchException("no repository has " + q.name() + " " + q.minimumVersion() + " or later for "
              + i.arch() + " (installed " + i.evr() + "; candidates seen: " + (candidates.isEmpty() ? "none"
              : String.join(", ", candidates.stream().map(c -> RpmChange.evr(c) + " from " + from.get(c).id())
                  .toList())) + ")" + (q.vulnerabilities().isEmpty() ? "" : " for " + String.join(", ",
              q.vulnerabilities())));
        }
        if (best != null && newer(best, i)) {
          out.add(new RpmChange(i.name(), best.arch(), i, best, from.get(best), "requested"));
        }
      }
    }
    return out;
  }

  /** Every installed package with a newer visible candidate, each asked for at that candidate's EVR. */
  List<Request> updateAll() {
    List<Request> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (InstalledRpm i : installed) {
      if (i.isPubkey() || !seen.add(i.name() + "." + i.arch())) {
        continue;
      }
      List<RpmRecord> c = candidates(i);
      if (!c.isEmpty() && newer(c.get(0), i) && out.stream().noneMatch(r -> r.name().equals(i.name()))) {
        out.add(new Request(i.name(), RpmChange.evr(c.get(0)), List.of()));
      }
    }
    return out;
  }

  private boolean newer(RpmRecord r, InstalledRpm i) {
    return RpmVersion.parse(RpmChange.evr(r)).compareTo(RpmVersion.parse(i.evr())) > 0;
  }

  /** Candidates of the installed package's name and arch (noarch for either), best first. */
  private List<RpmRecord> candidates(InstalledRpm i) {
    List<RpmRecord> out = new ArrayList<>();
    for (OpenRepository r : repositories) {
      for (RpmRecord rec : r.records()) {
        if (rec.name().equals(i.name()) && (rec.arch().equals(i.arch()) || rec.arch().equals("noarch")
            || i.arch().equals("noarch")) && visible.test(rec)) {
          out.add(rec);
        }
      }
    }
    out.sort(Comparator.<RpmRecord>comparingInt(rec -> from.get(rec).config().priority())
        .thenComparing((a, b) -> RpmVersion.parse(RpmChange.evr(b)).compareTo(RpmVersion.parse(RpmChange.evr(a)))));
    return out;
  }
}
