package dev.imagepatch.patch.debian;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * dpkg triggers (deb-triggers(5)): which installed packages are interested in what, and which
 * triggers unpacking the changed packages activates, explicitly ({@code activate ldconfig}) or
 * by shipping a file under a path a package is interested in ({@code interest /usr/share/man}).
 */
final class Triggers {
  /** A package's interest in a trigger name or a path; {@code await} unless declared noawait. */
  record Interest(String pkg, String trigger, boolean await) {
    boolean isFileTrigger() {
      return trigger.startsWith("/");
    }

    boolean matches(String path) {
      return path.equals(trigger) || path.startsWith(trigger.endsWith("/") ? trigger : trigger + "/");
    }
  }

  /** A trigger a package activates; the interested package has it pending. */
  record Activation(String activator, String interested, String trigger, boolean await) {}

  private final List<Interest> interests = new ArrayList<>();

  /** Adds the directives of a package's {@code triggers} control file. */
  void addInterests(String pkg, byte[] triggersFile) {
    for (String[] d : directives(triggersFile)) {
      switch (d[0]) {
        case "interest", "interest-await" -> interests.add(new Interest(pkg, d[1], true));
        case "interest-noawait" -> interests.add(new Interest(pkg, d[1], false));
        default -> { }
      }
    }
  }

  /**
   * The activations of one changed package: its {@code activate} directives and its files (new
   * and removed, absolute paths) under a file trigger's path. A package does not trigger itself.
   */
  List<Activation> activations(String pkg, byte[] triggersFile, List<String> paths) {
    Map<String, Activation> out = new LinkedHashMap<>();
    for (String[] d : directives(triggersFile)) {
      Boolean await = switch (d[0]) {
        case "activate", "activate-await" -> true;
        case "activate-noawait" -> false;
        default -> null;
      };
      if (await == null) {
        continue;
      }
      for (Interest i : interests) {
        if (!i.isFileTrigger() && i.trigger().equals(d[1]) && !i.pkg().equals(pkg)) {
          out.putIfAbsent(i.pkg() + " " + i.trigger(), new Activation(pkg, i.pkg(), i.trigger(), await && i.await()));
        }
      }
    }
    for (Interest i : interests) {
      if (i.isFileTrigger() && !i.pkg().equals(pkg) && paths.stream().anyMatch(i::matches)) {
        out.putIfAbsent(i.pkg() + " " + i.trigger(), new Activation(pkg, i.pkg(), i.trigger(), i.await()));
      }
    }
    return new ArrayList<>(out.values());
  }

  /** Pending trigger names by interested package, in activation order. */
  static Map<String, Set<String>> pending(List<Activation> activations) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (Activation a : activations) {
      out.computeIfAbsent(a.interested(), k -> new LinkedHashSet<>()).add(a.trigger());
    }
    return out;
  }

  private static List<String[]> directives(byte[] file) {
    List<String[]> out = new ArrayList<>();
    if (file == null) {
      return out;
    }
    for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
      int hash = line.indexOf('#');
      String l = (hash >= 0 ? line.substring(0, hash) : line).strip();
      String[] f = l.split("\\s+");
      if (f.length >= 2) {
        out.add(new String[] {f[0], f[1]});
      }
    }
    return out;
  }
}
