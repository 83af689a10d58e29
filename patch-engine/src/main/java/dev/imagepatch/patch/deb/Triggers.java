package dev.imagepatch.patch.deb;

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

  /**
   * dpkg's registry of interests under {@code var/lib/dpkg/triggers/}: {@code File}, a line
   * "path package" per file trigger, and a file per named trigger, a package per line; a
   * {@code /noawait} suffix marks noawait interests. Unpacking a package drops its lines and
   * appends its new interests, so an upgraded package's lines move to the end even when they did
   * not change; a file left empty goes.
   */
  static final class Registry {
    static final String FILE = "File";
    private final Map<String, List<String>> files = new LinkedHashMap<>();
    private final Map<String, List<String>> before = new LinkedHashMap<>();

    /** The registry as the image has it: the directory's files by name (Lock and Unincorp aside). */
    Registry(Map<String, byte[]> current) {
      current.forEach((name, bytes) -> {
        if (!name.equals("Lock") && !name.equals("Unincorp")) {
          List<String> lines = new ArrayList<>();
          for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
              lines.add(line);
            }
          }
          files.put(name, lines);
          before.put(name, List.copyOf(lines));
        }
      });
    }

    /** Replaces a package's interests with those of its new {@code triggers} control file. */
    void reregister(String pkg, byte[] triggersFile) {
      for (List<String> lines : files.values()) {
        lines.removeIf(line -> {
          String owner = line.substring(line.lastIndexOf(' ') + 1);
          owner = owner.endsWith("/noawait") ? owner.substring(0, owner.length() - "/noawait".length()) : owner;
          return owner.equals(pkg);
        });
      }
      for (String[] d : directives(triggersFile)) {
        String owner = switch (d[0]) {
          case "interest", "interest-await" -> pkg;
          case "interest-noawait" -> pkg + "/noawait";
          default -> null;
        };
        if (owner != null) {
          boolean file = d[1].startsWith("/");
          files.computeIfAbsent(file ? FILE : d[1], k -> new ArrayList<>()).add(file ? d[1] + " " + owner : owner);
        }
      }
    }

    /** The files that changed, by name: their new content, or null for one that goes. */
    Map<String, byte[]> changed() {
      Map<String, byte[]> out = new LinkedHashMap<>();
      files.forEach((name, lines) -> {
        if (!lines.equals(before.get(name))) {
          out.put(name, lines.isEmpty() ? null
              : (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        }
      });
      return out;
    }
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
