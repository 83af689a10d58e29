package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * dnf's modular filtering across repositories (libdnf's {@code dnf_sack_filter_modules_v2}): the
 * {@code modules.yaml} of every repository taken together with the image's
 * {@code /etc/dnf/modules.d} state. A package some module stream lists (by NEVRA, in any
 * repository) is visible only while one of its streams is active (enabled, or the module's default
 * stream when the module is neither enabled on another stream nor disabled); a non-modular package
 * is hidden when an active stream lists a package of its name. Packages of repositories marked
 * {@code module_hotfixes=1} are never filtered.
 */
public final class ModularFilter {
  /** No modules anywhere: everything visible. */
  public static final ModularFilter NONE = new ModularFilter(Map.of(), Set.of(), Set.of(), Set.of());

  /** artifact NEVRA -> streams (name:stream) listing it. */
  private final Map<String, Set<String>> byArtifact;
  private final Set<String> active;
  private final Set<String> activeNames;
  private final Set<String> hotfixRepos;

  private ModularFilter(Map<String, Set<String>> byArtifact, Set<String> active, Set<String> activeNames,
      Set<String> hotfixRepos) {
    this.byArtifact = byArtifact;
    this.active = active;
    this.activeNames = activeNames;
    this.hotfixRepos = hotfixRepos;
  }

  /**
   * @param byRepo each repository's modules metadata (repositories without one left out)
   * @param enabledStreams module -> stream of the {@code state=enabled} modules
   * @param disabledModules the {@code state=disabled} modules
   * @param hotfixRepos ids of the repositories with {@code module_hotfixes=1}
   */
  public static ModularFilter of(Map<String, ModulesYaml> byRepo, Map<String, String> enabledStreams,
      Set<String> disabledModules, Set<String> hotfixRepos) {
    Map<String, Set<String>> byArtifact = new HashMap<>();
    Map<String, String> defaults = new HashMap<>();
    Set<String> modules = new HashSet<>();
    for (ModulesYaml m : byRepo.values()) {
      for (ModulesYaml.ModuleStream s : m.streams()) {
        modules.add(s.name());
        for (String a : s.artifacts()) {
          byArtifact.computeIfAbsent(a, k -> new HashSet<>(2)).add(s.id());
        }
      }
      m.defaults().forEach((module, d) -> {
        if (d.stream() != null) {
          defaults.putIfAbsent(module, d.stream());
        }
      });
    }
    Set<String> active = new HashSet<>();
    for (String module : modules) {
      String stream = enabledStreams.get(module);
      if (stream == null && !disabledModules.contains(module)) {
        stream = defaults.get(module);
      }
      if (stream != null) {
        active.add(module + ":" + stream);
      }
    }
    Set<String> activeNames = new HashSet<>();
    for (ModulesYaml m : byRepo.values()) {
      for (ModulesYaml.ModuleStream s : m.streams()) {
        if (active.contains(s.id())) {
          for (String a : s.artifacts()) {
            activeNames.add(nameOf(a));
          }
        }
      }
    }
    return new ModularFilter(byArtifact, Set.copyOf(active), activeNames, Set.copyOf(hotfixRepos));
  }

  /** The active streams, {@code name:stream}. */
  public Set<String> activeStreams() {
    return active;
  }

  /** Whether dnf would see the package of repository {@code repoId}. */
  public boolean visible(String repoId, RpmRecord r) {
    if (hotfixRepos.contains(repoId)) {
      return true;
    }
    Set<String> streams = byArtifact.get(r.nevra());
    if (streams != null) {
      for (String s : streams) {
        if (active.contains(s)) {
          return true;
        }
      }
      return false;
    }
    return !activeNames.contains(r.name());
  }

  /** The streams that list the package (empty for a non-modular one). */
  public Set<String> streamsOf(RpmRecord r) {
    Set<String> s = byArtifact.get(r.nevra());
    return s == null ? Set.of() : Set.copyOf(s);
  }

  /** The name of a {@code name-epoch:version-release.arch}. */
  static String nameOf(String nevra) {
    int colon = nevra.lastIndexOf(':');
    int dash = nevra.lastIndexOf('-', colon < 0 ? nevra.length() : colon);
    return dash < 0 ? nevra : nevra.substring(0, dash);
  }
}
