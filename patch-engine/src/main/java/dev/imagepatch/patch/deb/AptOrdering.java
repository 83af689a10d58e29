package dev.imagepatch.patch.deb;

import dev.imagepatch.pkg.apt.Dependency;
import dev.imagepatch.pkg.deb.Paragraph;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How apt splits an upgrade into dpkg calls, as far as the state it leaves depends on it. apt
 * configures some packages at once, each in a dpkg call of its own (apt-pkg's
 * {@code pkgPackageManager::CreateOrderList}): the Essential ones, apt itself (forced essential by
 * {@code pkgCacheGen::ForceEssential}), everything they depend on or pre-depend on, transitively,
 * by the new and the installed versions; and what a package pre-depends on. The rest is unpacked
 * together and configured in the last call, so dpkg's {@code status-old} is the database with
 * those unpacked.
 */
final class AptOrdering {
  private AptOrdering() {}

  /**
   * The names apt flags for immediate configuration.
   *
   * @param installed every stanza of the status file
   * @param changed the control paragraphs of the new versions, by name
   */
  static Set<String> immediate(List<Paragraph> installed, Map<String, Paragraph> changed) throws IOException {
    Map<String, Paragraph> current = new java.util.HashMap<>();
    for (Paragraph p : installed) {
      current.put(p.require("Package"), p);
    }
    Set<String> flagged = new HashSet<>();
    Deque<String> work = new ArrayDeque<>();
    for (Paragraph p : installed) {
      if (essential(p) || p.require("Package").equals("apt")) {
        work.add(p.require("Package"));
      }
    }
    for (Map.Entry<String, Paragraph> e : changed.entrySet()) {
      if (essential(e.getValue()) || e.getKey().equals("apt")) {
        work.add(e.getKey());
      }
      for (List<Dependency> group : deps(e.getValue(), "Pre-Depends")) {
        group.forEach(d -> work.add(d.name()));
      }
    }
    while (!work.isEmpty()) {
      String name = work.poll();
      if (!flagged.add(name)) {
        continue;
      }
      for (Paragraph version : new Paragraph[] {changed.get(name), current.get(name)}) {
        if (version == null) {
          continue;
        }
        for (String field : List.of("Depends", "Pre-Depends")) {
          for (List<Dependency> group : deps(version, field)) {
            group.forEach(d -> work.add(d.name()));
          }
        }
      }
    }
    return flagged;
  }

  private static boolean essential(Paragraph p) {
    return p.get("Essential").map(v -> v.strip().equalsIgnoreCase("yes")).orElse(false);
  }

  private static List<List<Dependency>> deps(Paragraph p, String field) throws IOException {
    String value = p.get(field).orElse("");
    return value.isBlank() ? List.of() : Dependency.parseField(value, p.require("Package") + " " + field);
  }
}
