package dev.imagepatch.pkg.version;

import dev.imagepatch.pkg.InvalidVersionException;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import java.util.Objects;

/**
 * An rpm EVR {@code [epoch:]version[-release]}, ordered as rpm does: epoch, version and release in
 * turn with {@code rpmvercmp} (rpm's {@code rpmio/rpmvercmp.cc} and {@code rpmver.cc}), where a
 * missing epoch is 0 and a missing release sorts below any release. {@code ~} sorts before
 * everything, {@code ^} after the base and before any other continuation. Digit runs compare as
 * numbers of any length.
 */
public final class RpmVersion implements Comparable<RpmVersion> {
  /** rpm's order over EVR strings. */
  public static final VersionOrder ORDER = PackageManager.RPM.versionOrder();

  private final String epoch;
  private final String version;
  private final String release;

  private RpmVersion(String epoch, String version, String release) {
    this.epoch = epoch;
    this.version = version;
    this.release = release;
  }

  /** Parses {@code [epoch:]version[-release]}; the release is what follows the last '-'. */
  public static RpmVersion parse(String text) {
    Objects.requireNonNull(text, "version");
    String s = text;
    if (s.isEmpty() || !s.strip().equals(s) || s.chars().anyMatch(Character::isWhitespace)) {
      throw InvalidVersionException.of("rpm", text, s.isEmpty() ? "empty" : "contains blanks");
    }
    String epoch = "0";
    int colon = s.indexOf(':');
    if (colon >= 0) {
      String e = s.substring(0, colon);
      if (!e.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw InvalidVersionException.of("rpm", text, "epoch '" + e + "' is not a number");
      }
      epoch = e.isEmpty() ? "0" : e;
      s = s.substring(colon + 1);
    }
    String release = null;
    int dash = s.lastIndexOf('-');
    if (dash >= 0) {
      release = s.substring(dash + 1);
      s = s.substring(0, dash);
      if (release.isEmpty()) {
        throw InvalidVersionException.of("rpm", text, "empty release after '-'");
      }
    }
    if (s.isEmpty()) {
      throw InvalidVersionException.of("rpm", text, "empty version");
    }
    return new RpmVersion(epoch, s, release);
  }


  public String epoch() {
    return epoch;
  }

  public String version() {
    return version;
  }

  /** The release, or null when the EVR has none. */
  public String release() {
    return release;
  }

  @Override
  public int compareTo(RpmVersion o) {
    int r = rpmvercmp(epoch, o.epoch);
    if (r == 0) {
      r = rpmvercmp(version, o.version);
    }
    if (r == 0) {
      if (release == null || o.release == null) {
        return release == null ? (o.release == null ? 0 : -1) : 1;
      }
      r = rpmvercmp(release, o.release);
    }
    return r;
  }

  private static boolean alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** rpm's segment comparison of two version strings (any strings: rpm accepts them all). */
  public static int rpmvercmp(String a, String b) {
    if (a.equals(b)) {
      return 0;
    }
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      while (i < a.length() && !alnum(a.charAt(i)) && a.charAt(i) != '~' && a.charAt(i) != '^') {
        i++;
      }
      while (j < b.length() && !alnum(b.charAt(j)) && b.charAt(j) != '~' && b.charAt(j) != '^') {
        j++;
      }
      boolean aTilde = i < a.length() && a.charAt(i) == '~';
      boolean bTilde = j < b.length() && b.charAt(j) == '~';
      if (aTilde || bTilde) {
        if (!aTilde) {
          return 1;
        }
        if (!bTilde) {
          return -1;
        }
        i++;
        j++;
        continue;
      }
      boolean aCaret = i < a.length() && a.charAt(i) == '^';
      boolean bCaret = j < b.length() && b.charAt(j) == '^';
      if (aCaret || bCaret) {
        if (i >= a.length()) {
          return -1;
        }
        if (j >= b.length()) {
          return 1;
        }
        if (!aCaret) {
          return 1;
        }
        if (!bCaret) {
          return -1;
        }
        i++;
        j++;
        continue;
      }
      if (i >= a.length() || j >= b.length()) {
        break;
      }
      int si = i;
      int sj = j;
      boolean numeric = digit(a.charAt(i));
      if (numeric) {
        while (i < a.length() && digit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && digit(b.charAt(j))) {
          j++;
        }
      } else {
        while (i < a.length() && alpha(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && alpha(b.charAt(j))) {
          j++;
        }
      }
      if (j == sj) {
        // Different kinds of segment: a number is newer than letters.
        return numeric ? 1 : -1;
      }
      String x = a.substring(si, i);
      String y = b.substring(sj, j);
      if (numeric) {
        x = x.replaceFirst("^0+", "");
        y = y.replaceFirst("^0+", "");
        if (x.length() != y.length()) {
          return x.length() > y.length() ? 1 : -1;
        }
      }
      int r = x.compareTo(y);
      if (r != 0) {
        return r < 0 ? -1 : 1;
      }
    }
    if (i >= a.length() && j >= b.length()) {
      return 0;
    }
    return i >= a.length() ? -1 : 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RpmVersion v && compareTo(v) == 0;
  }

  @Override
  public int hashCode() {
    return 0; // equal EVRs may be spelt differently (1.0 == 1.00)
  }

  /** As Trivy prints it: the epoch only when it is not 0. */
  @Override
  public String toString() {
    return (epoch.equals("0") ? "" : epoch + ":") + version + (release == null ? "" : "-" + release);
  }
}
