package dev.imagepatch.pkg.version;

import dev.imagepatch.pkg.InvalidVersionException;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import java.util.Objects;

/**
 * A Debian package version {@code [epoch:]upstream[-revision]}, parsed and ordered as dpkg does
 * ({@code lib/dpkg/parsehelp.c} and {@code version.c}): what dpkg refuses is refused here with
 * dpkg's reason; what dpkg only warns about is accepted. Digit runs are compared as numbers of any
 * length, never parsed.
 */
public final class DebianVersion implements Comparable<DebianVersion> {
  /** dpkg's order over version strings. */
  public static final VersionOrder ORDER = PackageManager.DPKG.versionOrder();

  private final long epoch;
  private final String upstream;
  private final String revision;

  private DebianVersion(long epoch, String upstream, String revision) {
    this.epoch = epoch;
    this.upstream = upstream;
    this.revision = revision;
  }

  /** Parses a version; leading and trailing blanks are ignored, as dpkg ignores them. */
  public static DebianVersion parse(String text) {
    Objects.requireNonNull(text, "version");
    String s = text.strip();
    if (s.isEmpty()) {
      throw InvalidVersionException.of("dpkg", text, "version string is empty");
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        throw InvalidVersionException.of("dpkg", text, "version string has embedded spaces");
      }
    }
    long epoch = 0;
    int colon = s.indexOf(':');
    if (colon >= 0) {
      String e = s.substring(0, colon);
      if (e.isEmpty()) {
        throw InvalidVersionException.of("dpkg", text, "epoch in version is empty");
      }
      for (int i = 0; i < e.length(); i++) {
        if (e.charAt(i) < '0' || e.charAt(i) > '9') {
          throw InvalidVersionException.of("dpkg", text, "epoch in version is not number");
        }
      }
      String digits = e.replaceFirst("^0+(?=.)", "");
      if (digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
        throw InvalidVersionException.of("dpkg", text, "epoch in version is too big");
      }
      epoch = Long.parseLong(digits);
      s = s.substring(colon + 1);
      if (s.isEmpty()) {
        throw InvalidVersionException.of("dpkg", text, "nothing after colon in version number");
      }
    }
    String revision = "";
    int dash = s.lastIndexOf('-');
    if (dash >= 0) {
      revision = s.substring(dash + 1);
      if (revision.isEmpty()) {
        throw InvalidVersionException.of("dpkg", text, "revision number is empty");
      }
      s = s.substring(0, dash);
    }
    if (s.isEmpty()) {
      throw InvalidVersionException.of("dpkg", text, "version number is empty");
    }
    return new DebianVersion(epoch, s, revision);
  }


  public long epoch() {
    return epoch;
  }

  public String upstream() {
    return upstream;
  }

  /** The revision, empty when the version has none (which dpkg orders as "0"). */
  public String revision() {
    return revision;
  }

  @Override
  public int compareTo(DebianVersion o) {
    if (epoch != o.epoch) {
      return epoch < o.epoch ? -1 : 1;
    }
    int r = verrevcmp(upstream, o.upstream);
    return r != 0 ? r : verrevcmp(revision, o.revision);
  }

  /** dpkg's character weight: '~' before the end, the end before letters, letters before the rest. */
  private static int order(String s, int i) {
    if (i >= s.length()) {
      return 0;
    }
    char c = s.charAt(i);
    if (c >= '0' && c <= '9') {
      return 0;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      return c;
    }
    if (c == '~') {
      return -1;
    }
    return c + 256;
  }

  private static boolean digit(String s, int i) {
    return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
  }

  static int verrevcmp(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      int firstDiff = 0;
      while ((i < a.length() && !digit(a, i)) || (j < b.length() && !digit(b, j))) {
        int ac = order(a, i);
        int bc = order(b, j);
        if (ac != bc) {
          return Integer.signum(ac - bc);
        }
        i++;
        j++;
      }
      while (i < a.length() && a.charAt(i) == '0') {
        i++;
      }
      while (j < b.length() && b.charAt(j) == '0') {
        j++;
      }
      while (digit(a, i) && digit(b, j)) {
        if (firstDiff == 0) {
          firstDiff = a.charAt(i) - b.charAt(j);
        }
        i++;
        j++;
      }
      if (digit(a, i)) {
        return 1;
      }
      if (digit(b, j)) {
        return -1;
      }
      if (firstDiff != 0) {
        return Integer.signum(firstDiff);
      }
    }
    return 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DebianVersion v && compareTo(v) == 0;
  }

  @Override
  public int hashCode() {
    // Equal versions may be written differently (1.0 == 1.00 == 0:1.0-0), so only the epoch hashes.
    return Long.hashCode(epoch);
  }

  /** The canonical form: the epoch only when non-zero, the revision only when present. */
  @Override
  public String toString() {
    return (epoch != 0 ? epoch + ":" : "") + upstream + (revision.isEmpty() ? "" : "-" + revision);
  }
}
