package dev.imagepatch.pkg.apk;

/** Names from archives quoted for messages: control characters escaped, long names cut. */
final class Names {
  private static final int MAX = 200;

  private Names() {}

  /** {@code s} in single quotes, with control characters as {@code \xNN} and at most 200 characters. */
  static String quote(String s) {
    if (s == null) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder("'");
    int n = 0;
    for (int i = 0; i < s.length() && n < MAX; i++, n++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (s.length() > MAX) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
