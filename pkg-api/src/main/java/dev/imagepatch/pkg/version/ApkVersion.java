package dev.imagepatch.pkg.version;

import dev.imagepatch.pkg.InvalidVersionException;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import java.util.Objects;

/**
 * Alpine package versions, {@code digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}}, ordered
 * token by token as apk-tools does ({@code src/version.c}). This is the apk-tools 3 order, which
 * agrees with apk-tools 2 (and so with Trivy) on every version 2 accepts, and also orders the two
 * things only 3 knows: {@code ~commit} hashes, and number parts with a leading zero, which compare
 * as strings (the Gentoo rule: {@code 8.2.0 < 8.2.001}). Numbers are compared by their digits, of
 * any length.
 */
public final class ApkVersion {
  private ApkVersion() {}

  /** apk's order over version strings. */
  public static final VersionOrder ORDER = PackageManager.APK.versionOrder();

  // Token types in apk's order: a version that goes on is greater unless it goes on with a
  // pre-release suffix, and a higher token type at the point of difference is the smaller version.
  private static final int INITIAL_DIGIT = 0;
  private static final int DIGIT = 1;
  private static final int LETTER = 2;
  private static final int SUFFIX = 3;
  private static final int SUFFIX_NO = 4;
  private static final int COMMIT_HASH = 5;
  private static final int REVISION_NO = 6;
  private static final int END = 7;
  private static final int INVALID = 8;

  /** Suffix weights; everything below NONE is a pre-release. */
  private static final String[] SUFFIXES = {"", "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"};
  private static final int SUFFIX_NONE = 5;

  /** A cursor over one version string: the current token's type, text and suffix weight. */
  private static final class Tokens {
    final String s;
    int pos;
    int type;
    int start;
    int end;
    int suffix;

    Tokens(String s) {
      this.s = s;
      this.type = INITIAL_DIGIT;
      digits();
    }

    private void digits() {
      start = pos;
      while (pos < s.length() && isDigit(s.charAt(pos))) {
        pos++;
      }
      end = pos;
      if (end == start) {
        type = INVALID;
      }
    }

    void next() {
      if (pos >= s.length()) {
        type = END;
        return;
      }
      char c = s.charAt(pos);
      if (c >= 'a' && c <= 'z') {
        if (type > DIGIT) {
          type = INVALID;
          return;
        }
        start = pos;
        end = ++pos;
        type = LETTER;
      } else if (c == '.' || isDigit(c)) {
        if (c == '.') {
          if (type > DIGIT) {
            type = INVALID;
            return;
          }
          pos++;
        }
        if (type == INITIAL_DIGIT || type == DIGIT) {
          type = DIGIT;
        } else if (type == SUFFIX) {
          type = SUFFIX_NO;
        } else {
          type = INVALID;
          return;
        }
        digits();
      } else if (c == '_') {
        if (type > SUFFIX_NO) {
          type = INVALID;
          return;
        }
        pos++;
        start = pos;
        while (pos < s.length() && s.charAt(pos) >= 'a' && s.charAt(pos) <= 'z') {
          pos++;
        }
        end = pos;
        suffix = suffixWeight(s.substring(start, end));
        type = suffix == 0 ? INVALID : SUFFIX;
      } else if (c == '~') {
        if (type >= COMMIT_HASH) {
          type = INVALID;
          return;
        }
        pos++;
        start = pos;
        while (pos < s.length() && isHex(s.charAt(pos))) {
          pos++;
        }
        end = pos;
        type = end == start ? INVALID : COMMIT_HASH;
      } else if (c == '-') {
        if (type >= REVISION_NO || !s.startsWith("-r", pos)) {
          type = INVALID;
          return;
        }
        pos += 2;
        type = REVISION_NO;
        digits();
      } else {
        type = INVALID;
      }
    }

    String text() {
      return s.substring(start, end);
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHex(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'f');
  }

  private static int suffixWeight(String word) {
    for (int i = 1; i < SUFFIXES.length; i++) {
      if (i != SUFFIX_NONE && SUFFIXES[i].equals(word)) {
        return i;
      }
    }
    return 0;
  }

  /** True when apk-tools accepts {@code version}. */
  public static boolean isValid(String version) {
    Tokens t = new Tokens(version);
    while (t.type < END) {
      t.next();
    }
    return t.type == END;
  }

  /** Throws {@link InvalidVersionException} when apk-tools would refuse {@code version}. */
  public static void validate(String version) {
    Objects.requireNonNull(version, "version");
    if (!isValid(version)) {
      throw InvalidVersionException.of("apk", version, "not of the form"
          + " digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#} (suffixes: alpha beta pre rc cvs svn git hg p)");
    }
  }

  /**
   * apk's comparison of two strings, valid or not (an invalid tail sorts low, as in apk). With
   * {@code fuzzy}, {@code a} matching {@code b} as a prefix (apk's {@code ~} operator) is equal.
   */
  public static int compare(String a, String b, boolean fuzzy) {
    Tokens ta = new Tokens(a);
    Tokens tb = new Tokens(b);
    while (ta.type == tb.type && ta.type < END) {
      int r = compareToken(ta, tb);
      if (r != 0) {
        return r;
      }
      ta.next();
      tb.next();
    }
    if (ta.type == tb.type) {
      return 0;
    }
    if (tb.type == END && fuzzy) {
      return 0;
    }
    if (ta.type == SUFFIX && ta.suffix < SUFFIX_NONE) {
      return -1;
    }
    if (tb.type == SUFFIX && tb.suffix < SUFFIX_NONE) {
      return 1;
    }
    return ta.type > tb.type ? -1 : tb.type > ta.type ? 1 : 0;
  }

  private static int compareToken(Tokens ta, Tokens tb) {
    switch (ta.type) {
      case DIGIT:
        if (ta.s.charAt(ta.start) == '0' || tb.s.charAt(tb.start) == '0') {
          return Integer.signum(ta.text().compareTo(tb.text()));
        }
        return compareNumbers(ta.text(), tb.text());
      case INITIAL_DIGIT:
      case SUFFIX_NO:
      case REVISION_NO:
        return compareNumbers(ta.text(), tb.text());
      case LETTER:
        return Integer.signum(ta.s.charAt(ta.start) - tb.s.charAt(tb.start));
      case SUFFIX:
        return Integer.compare(ta.suffix, tb.suffix);
      default:
        return Integer.signum(ta.text().compareTo(tb.text()));
    }
  }

  /**
   * apk's dependency match {@code a OP b}, OP one of {@code < <= = >= > ~ <~ >~} or any of them
   * negated with a leading {@code !}; {@code ~} matches {@code b} as a version prefix.
   */
  public static boolean matches(String a, String op, String b) {
    boolean negate = op.startsWith("!");
    String o = negate ? op.substring(1) : op;
    boolean fuzzy = o.contains("~");
    boolean less = o.contains("<");
    boolean greater = o.contains(">");
    boolean equal = o.contains("=") || fuzzy;
    if (o.isEmpty() || !o.matches("[<>=~]+")) {
      throw new IllegalArgumentException("unknown apk version operator '" + op + "'");
    }
    int r = compare(a, b, fuzzy);
    boolean ok = (r < 0 && less) || (r > 0 && greater) || (r == 0 && equal);
    return ok != negate;
  }

  /** Two digit strings as numbers of any length. */
  static int compareNumbers(String a, String b) {
    String x = a.replaceFirst("^0+", "");
    String y = b.replaceFirst("^0+", "");
    if (x.length() != y.length()) {
      return x.length() < y.length() ? -1 : 1;
    }
    return Integer.signum(x.compareTo(y));
  }
}
