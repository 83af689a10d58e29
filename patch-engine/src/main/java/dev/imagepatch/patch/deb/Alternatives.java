package dev.imagepatch.patch.deb;
import dev.imagepatch.patch.effects.LayerTree;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code update-alternatives --install} calls of a postinst, applied as update-alternatives
 * applies them: the administrative file {@code /var/lib/dpkg/alternatives/<name>} (choices with
 * priorities and slave paths, sorted as it sorts them) and, in auto mode, the links in
 * {@code /etc/alternatives} following the best choice. Only literal calls are understood; a call
 * built from shell variables makes the package's alternatives unreproduced, and the caller says so.
 */
final class Alternatives {
  static final String ADMIN = "var/lib/dpkg/alternatives/";
  static final String ALT = "etc/alternatives/";

  /** One {@code --install}: the master link, name, path, priority, and slaves by name. */
  record Install(String link, String name, String path, int priority, Map<String, String[]> slaves) {}

  /** The calls of a script, or {@code understood == false} when a call is not literal. */
  record Calls(List<Install> installs, boolean understood) {}

  /** What to write: admin files by path, links by path to target, links to remove. */
  record Outcome(Map<String, byte[]> adminFiles, Map<String, String> links, java.util.Set<String> removed) {}

  private Alternatives() {}

  static Calls parse(byte[] script) {
    List<Install> out = new ArrayList<>();
    if (script == null) {
      return new Calls(out, true);
    }
    String text = new String(script, StandardCharsets.UTF_8).replace("\\\n", " ");
    for (String line : text.split("\n")) {
      String l = line.strip();
      int at = l.indexOf("update-alternatives ");
      if (at < 0 || l.startsWith("#") || !l.contains("--install")) {
        continue;
      }
      String call = l.substring(at).split("[;&|]")[0];
      if (call.contains("$") || call.contains("`") || call.contains("\"") || call.contains("'")) {
        return new Calls(out, false);
      }
      List<String> args = new ArrayList<>(Arrays.asList(call.split("\\s+")));
      args.remove(0);
      args.removeIf(a -> a.equals("--quiet") || a.equals("--force"));
      int i = args.indexOf("--install");
      if (i < 0 || args.size() < i + 5) {
        return new Calls(out, false);
      }
      Map<String, String[]> slaves = new TreeMap<>();
      int j = i + 5;
      while (j + 3 < args.size() && args.get(j).equals("--slave")) {
        slaves.put(args.get(j + 2), new String[] {args.get(j + 1), args.get(j + 3)});
        j += 4;
      }
      if (j != args.size()) {
        return new Calls(out, false);
      }
      try {
        out.add(new Install(args.get(i + 1), args.get(i + 2), args.get(i + 3), Integer.parseInt(args.get(i + 4)),
            slaves));
      } catch (NumberFormatException e) {
        return new Calls(out, false);
      }
    }
    return new Calls(out, true);
  }

  /** An alternative's state: mode, master link, slave links by name, choices by path. */
  private static final class Group {
    String mode = "auto";
    String link;
    final Map<String, String> slaveLinks = new TreeMap<>();
    final Map<String, Integer> priorities = new TreeMap<>();
    final Map<String, Map<String, String>> slavePaths = new TreeMap<>();

    static Group parse(byte[] file) {
      List<String> l = new ArrayList<>(Arrays.asList(new String(file, StandardCharsets.UTF_8).split("\n", -1)));
      Group g = new Group();
      int i = 0;
      g.mode = l.get(i++);
      g.link = l.get(i++);
      List<String> names = new ArrayList<>();
      while (i + 1 < l.size() && !l.get(i).isEmpty()) {
        g.slaveLinks.put(l.get(i), l.get(i + 1));
        names.add(l.get(i));
        i += 2;
      }
      i++;
      while (i + 1 < l.size() && !l.get(i).isEmpty()) {
        String path = l.get(i);
        g.priorities.put(path, Integer.parseInt(l.get(i + 1).strip()));
        Map<String, String> sp = new TreeMap<>();
        for (int s = 0; s < names.size(); s++) {
          String v = l.get(i + 2 + s);
          if (!v.isEmpty()) {
            sp.put(names.get(s), v);
          }
        }
        g.slavePaths.put(path, sp);
        i += 2 + names.size();
      }
      return g;
    }

    byte[] render() {
      StringBuilder sb = new StringBuilder(mode).append('\n').append(link).append('\n');
      slaveLinks.forEach((n, link) -> sb.append(n).append('\n').append(link).append('\n'));
      sb.append('\n');
      for (Map.Entry<String, Integer> c : priorities.entrySet()) {
        sb.append(c.getKey()).append('\n').append(c.getValue()).append('\n');
        for (String n : slaveLinks.keySet()) {
          sb.append(slavePaths.get(c.getKey()).getOrDefault(n, "")).append('\n');
        }
      }
      sb.append('\n');
      return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    String best() {
      String best = null;
      for (Map.Entry<String, Integer> c : priorities.entrySet()) {
        if (best == null || c.getValue() > priorities.get(best)) {
          best = c.getKey();
        }
      }
      return best;
    }
  }

  /** Applies the installs over the tree (the image with the layer over it). */
  static Outcome apply(LayerTree tree, List<Install> installs) throws IOException {
    Map<String, Group> groups = new LinkedHashMap<>();
    Map<String, byte[]> before = new LinkedHashMap<>();
    Map<String, String> links = new TreeMap<>();
    java.util.Set<String> removed = new java.util.TreeSet<>();
    for (Install in : installs) {
      Group g = groups.get(in.name());
      if (g == null) {
        Optional<byte[]> file = tree.read(ADMIN + in.name());
        file.ifPresent(b -> before.put(in.name(), b));
        g = file.map(Group::parse).orElseGet(Group::new);
        groups.put(in.name(), g);
      }
      String oldBest = g.priorities.isEmpty() ? null : g.best();
      g.link = in.link();
      Map<String, String> sp = new TreeMap<>();
      in.slaves().forEach((name, linkAndPath) -> sp.put(name, linkAndPath[1]));
      for (Map.Entry<String, String[]> s : in.slaves().entrySet()) {
        g.slaveLinks.put(s.getKey(), s.getValue()[0]);
      }
      g.priorities.put(in.path(), in.priority());
      g.slavePaths.put(in.path(), sp);
      if (g.mode.equals("auto")) {
        String best = g.best();
        boolean fresh = oldBest == null;
        if (fresh || !best.equals(oldBest) || !currentTarget(tree, ALT + in.name()).equals(best)) {
          links.put(ALT + in.name(), best);
          if (tree.entry(FsEntry.normalize(in.link())).map(e -> e.type() == FsEntry.Type.SYMLINK).orElse(true)) {
            links.put(FsEntry.normalize(in.link()), "/" + ALT + in.name());
          }
          Map<String, String> bestSlaves = g.slavePaths.getOrDefault(best, Map.of());
          for (Map.Entry<String, String> s : g.slaveLinks.entrySet()) {
            String target = bestSlaves.get(s.getKey());
            String slaveLink = FsEntry.normalize(s.getValue());
            if (target == null) {
              // The best choice has no such slave: update-alternatives removes both links.
              for (String p : List.of(ALT + s.getKey(), slaveLink)) {
                if (tree.entry(p).map(e -> e.type() == FsEntry.Type.SYMLINK).orElse(false)) {
                  removed.add(p);
                }
                links.remove(p);
              }
            } else {
              removed.remove(ALT + s.getKey());
              removed.remove(slaveLink);
              links.put(ALT + s.getKey(), target);
              if (tree.entry(FsEntry.normalize(s.getValue())).map(e -> e.type() == FsEntry.Type.SYMLINK).orElse(true)) {
                links.put(FsEntry.normalize(s.getValue()), "/" + ALT + s.getKey());
              }
            }
          }
        }
      }
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    groups.forEach((name, g) -> {
      byte[] now = g.render();
      if (!Arrays.equals(now, before.get(name))) {
        files.put(ADMIN + name, now);
      }
    });
    // A link already pointing where it should is not rewritten.
    links.entrySet().removeIf(e -> currentTarget(tree, e.getKey()).equals(e.getValue()));
    return new Outcome(files, links, removed);
  }

  private static String currentTarget(LayerTree tree, String path) {
    return tree.entry(path).filter(e -> e.type() == FsEntry.Type.SYMLINK).map(FsEntry::linkTarget).orElse("");
  }
}
