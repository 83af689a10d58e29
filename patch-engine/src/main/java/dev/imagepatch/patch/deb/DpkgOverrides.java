package dev.imagepatch.patch.deb;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the administrator told dpkg about paths, which unpacking must honour: diversions
 * ({@code dpkg-divert}: another package's file goes elsewhere) and stat overrides
 * ({@code dpkg-statoverride}: owner, group and mode a file always gets).
 */
final class DpkgOverrides {
  static final String DIVERSIONS = "var/lib/dpkg/diversions";
  static final String STATOVERRIDE = "var/lib/dpkg/statoverride";
  static final String PASSWD = "etc/passwd";
  static final String GROUP = "etc/group";

  /** A diversion: where the file goes, and the package that may still write the original (":" for none). */
  record Diversion(String to, String owner) {}

  /** An override: numeric owner and group, and the permission bits. */
  record StatOverride(long uid, long gid, int mode) {}

  private final Map<String, Diversion> diversions = new HashMap<>();
  private final Map<String, StatOverride> overrides = new HashMap<>();

  /**
   * Reads the two databases; user and group names resolve through the image's own files.
   *
   * @throws IllegalArgumentException naming the file and line when a database is damaged
   */
  static DpkgOverrides read(byte[] diversions, byte[] statoverride, byte[] passwd, byte[] group) {
    DpkgOverrides o = new DpkgOverrides();
    if (diversions != null) {
      String[] lines = new String(diversions, StandardCharsets.UTF_8).split("\n");
      int n = lines.length - (lines.length > 0 && lines[lines.length - 1].isEmpty() ? 1 : 0);
      if (n % 3 != 0) {
        throw new IllegalArgumentException("/" + DIVERSIONS + ": " + n + " lines, not triples of"
            + " (path, diverted to, package)");
      }
      for (int i = 0; i + 2 < lines.length; i += 3) {
        o.diversions.put(strip(lines[i]), new Diversion(strip(lines[i + 1]), lines[i + 2].strip()));
      }
    }
    if (statoverride != null) {
      Map<String, Long> users = ids(passwd);
      Map<String, Long> groups = ids(group);
      int lineNo = 0;
      for (String line : new String(statoverride, StandardCharsets.UTF_8).split("\n")) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.strip().split("\\s+", 4);
        if (f.length != 4) {
          throw new IllegalArgumentException("/" + STATOVERRIDE + " line " + lineNo + ": not 'user group mode path'");
        }
        long uid = id(f[0], users, "/" + STATOVERRIDE + " line " + lineNo + ": user");
        long gid = id(f[1], groups, "/" + STATOVERRIDE + " line " + lineNo + ": group");
        o.overrides.put(strip(f[3]), new StatOverride(uid, gid, Integer.parseInt(f[2], 8) & 07777));
      }
    }
    return o;
  }

  /** Where a package's file at {@code path} (no leading slash) is unpacked. */
  String target(String path, String pkg) {
    Diversion d = diversions.get(path);
    return d != null && !d.owner().equals(pkg) ? d.to() : path;
  }

  Optional<StatOverride> override(String path) {
    return Optional.ofNullable(overrides.get(path));
  }

  boolean isEmpty() {
    return diversions.isEmpty() && overrides.isEmpty();
  }

  private static String strip(String path) {
    return path.startsWith("/") ? path.substring(1) : path;
  }

  private static long id(String name, Map<String, Long> byName, String what) {
    if (name.startsWith("#")) {
      return Long.parseLong(name.substring(1));
    }
    Long id = byName.get(name);
    if (id == null) {
      throw new IllegalArgumentException(what + " '" + name + "' is not in the image's passwd/group file");
    }
    return id;
  }

  private static Map<String, Long> ids(byte[] file) {
    Map<String, Long> out = new HashMap<>();
    if (file == null) {
      return out;
    }
    for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
      String[] f = line.split(":");
      if (f.length >= 3) {
        try {
          out.putIfAbsent(f[0], Long.parseLong(f[2]));
        } catch (NumberFormatException e) {
          // not an entry
        }
      }
    }
    return out;
  }
}
