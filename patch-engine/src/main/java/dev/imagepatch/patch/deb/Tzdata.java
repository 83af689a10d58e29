package dev.imagepatch.patch.deb;
import dev.imagepatch.patch.effects.LayerTree;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What configuring {@code tzdata} does to {@code /etc/localtime} and {@code /etc/timezone}: its
 * config script takes the zone from the {@code /etc/localtime} link (else {@code /etc/timezone}),
 * renames retired zones ({@code Asia/Calcutta} becomes {@code Asia/Kolkata}; the table is read
 * from the new package's own config script), falls back to debconf's answers or {@code Etc/UTC}
 * when the zone is not in the new data; the postinst then points the link at the zone and writes
 * its name to {@code /etc/timezone}.
 */
final class Tzdata {
  static final String PACKAGE = "tzdata";
  static final String LOCALTIME = "etc/localtime";
  static final String TIMEZONE = "etc/timezone";
  private static final String ZONEINFO = "/usr/share/zoneinfo/";
  private static final Pattern ARM = Pattern.compile("^\\s*(\"[^\"]+\"(?:\\s*\\|\\s*\"[^\"]+\")*)\\)\\s*$");
  private static final Pattern ECHO = Pattern.compile("^\\s*echo\\s+\"([^\"]+)\"\\s*$");

  /**
   * The link target to write at {@code /etc/localtime} (null when it is right already) and the
   * content of {@code /etc/timezone}.
   */
  record Outcome(String localtime, String timezone) {}

  private Tzdata() {}

  static Outcome configure(LayerTree tree, byte[] configScript, byte[] debconf) throws IOException {
    Map<String, String> renames = renames(configScript);
    String tz = "";
    Optional<FsEntry> link = tree.entry(LOCALTIME).filter(e -> e.type() == FsEntry.Type.SYMLINK);
    Optional<byte[]> file = tree.read(TIMEZONE);
    if (link.isPresent()) {
      tz = zoneOf(link.get().linkTarget());
    } else if (file.isPresent()) {
      String first = new String(file.get(), StandardCharsets.UTF_8).split("\n", 2)[0];
      int space = first.indexOf(' ');
      tz = space >= 0 ? first.substring(0, space) : first;
      tz = tz.startsWith("/") ? tz.substring(1) : tz;
      tz = tz.endsWith("/") ? tz.substring(0, tz.length() - 1) : tz;
    }
    tz = convert(tz, renames);
    String area;
    String zone;
    if (!tz.isEmpty() && isZoneFile(tree, "usr/share/zoneinfo/" + tz)) {
      int slash = tz.indexOf('/');
      area = slash >= 0 ? tz.substring(0, slash) : tz;
      zone = slash >= 0 ? tz.substring(slash + 1) : tz;
    } else {
      Map<String, String[]> answers = debconf(debconf);
      String[] a = answers.get("tzdata/Areas");
      area = a != null && a[1].contains("seen") && a[0] != null ? a[0] : "Etc";
      String[] z = answers.get("tzdata/Zones/" + area);
      zone = z != null && z[1].contains("seen") && z[0] != null ? z[0] : "UTC";
    }
    String timezone = area + "/" + zone;
    String current = link.map(e -> zoneOf(e.linkTarget())).orElse("");
    return new Outcome(current.equals(timezone) ? null : ZONEINFO + timezone, timezone + "\n");
  }

  /** {@code realpath -m -s} of a link target seen from /etc, without the zoneinfo prefix. */
  static String zoneOf(String target) {
    String abs = lexical(target.startsWith("/") ? target : "/etc/" + target);
    return abs.startsWith(ZONEINFO) ? abs.substring(ZONEINFO.length()) : abs;
  }

  /** An absolute path with {@code .} and {@code ..} resolved as text, links not followed. */
  private static String lexical(String path) {
    Deque<String> parts = new ArrayDeque<>();
    for (String p : path.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        parts.pollLast();
      } else {
        parts.addLast(p);
      }
    }
    return "/" + String.join("/", parts);
  }

  /** The config script's {@code convert_timezone}: {@code right/} and {@code posix/} dropped, retired names renamed. */
  static String convert(String tz, Map<String, String> renames) {
    String t = tz;
    while (t.startsWith("right/") || t.startsWith("posix/")) {
      t = t.substring(t.indexOf('/') + 1);
    }
    return renames.getOrDefault(t, t);
  }

  /** The case arms of {@code convert_timezone}: {@code "Old" | "Older")} then {@code echo "New"}. */
  static Map<String, String> renames(byte[] configScript) {
    Map<String, String> out = new HashMap<>();
    if (configScript == null) {
      return out;
    }
    String[] lines = new String(configScript, StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i + 1 < lines.length; i++) {
      Matcher arm = ARM.matcher(lines[i]);
      Matcher echo = ECHO.matcher(lines[i + 1]);
      if (arm.matches() && echo.matches()) {
        for (String name : arm.group(1).split("\\|")) {
          out.put(name.strip().replace("\"", ""), echo.group(1));
        }
      }
    }
    return out;
  }

  /** {@code test -f}: a regular file, following links. */
  private static boolean isZoneFile(LayerTree tree, String path) {
    String p = path;
    for (int hops = 0; hops < 40; hops++) {
      Optional<FsEntry> e = tree.entry(p);
      if (e.isEmpty()) {
        return false;
      }
      if (e.get().type() != FsEntry.Type.SYMLINK) {
        return e.get().type() == FsEntry.Type.FILE || e.get().type() == FsEntry.Type.HARDLINK;
      }
      String target = e.get().linkTarget();
      String base = p.contains("/") ? p.substring(0, p.lastIndexOf('/')) : "";
      p = lexical(target.startsWith("/") ? target : "/" + base + "/" + target).substring(1);
    }
    return false;
  }

  /** debconf's config.dat: value and flags of each question. */
  private static Map<String, String[]> debconf(byte[] configDat) {
    Map<String, String[]> out = new HashMap<>();
    if (configDat == null) {
      return out;
    }
    for (String stanza : new String(configDat, StandardCharsets.UTF_8).split("\n\n")) {
      String name = null;
      String value = null;
      String flags = "";
      for (String line : stanza.split("\n")) {
        if (line.startsWith("Name: ")) {
          name = line.substring(6).strip();
        } else if (line.startsWith("Value: ")) {
          value = line.substring(7).strip();
        } else if (line.startsWith("Flags: ")) {
          flags = line.substring(7);
        }
      }
      if (name != null) {
        out.put(name, new String[] {value, flags});
      }
    }
    return out;
  }
}
