package dev.imagepatch.pkg.rpm.resolve;

/**
 * Parses rpm's rich dependencies ({@code lib/rpmds.c rpmrichParse}): a parenthesised expression of
 * simple dependencies and nested expressions joined by {@code and}, {@code or}, {@code with},
 * {@code without}, {@code if}, {@code unless}, with an optional {@code else} after {@code if} and
 * {@code unless}. A name runs to white space, ',' or an unbalanced ')' (names such as
 * {@code libc.so.6(GLIBC_2.34)(64bit)} keep their parentheses). Malformed text is an
 * {@link IllegalArgumentException} naming it.
 */
final class RichParser {
  private final String s;
  private int pos;

  private RichParser(String s) {
    this.s = s;
  }

  static Dependency parse(String text) {
    RichParser p = new RichParser(text);
    p.white();
    Dependency d = p.rich();
    p.white();
    if (p.pos != text.length()) {
      throw p.error("text after the closing ')'");
    }
    return d;
  }

  private IllegalArgumentException error(String why) {
    return new IllegalArgumentException("rich dependency '" + s + "': " + why + " at offset " + pos);
  }

  private void white() {
    while (pos < s.length() && (Character.isWhitespace(s.charAt(pos)) || s.charAt(pos) == ',')) {
      pos++;
    }
  }

  private Dependency rich() {
    if (pos >= s.length() || s.charAt(pos) != '(') {
      throw error("expected '('");
    }
    pos++;
    Dependency left = term();
    white();
    if (peek() == ')') {
      pos++;
      return left; // "(a)" is a
    }
    Dependency.Op op = operator();
    Dependency right = term();
    white();
    if (op == Dependency.Op.IF || op == Dependency.Op.UNLESS) {
      Dependency otherwise = null;
      int save = pos;
      String w = word();
      if (w.equals("else")) {
        otherwise = term();
        white();
      } else {
        pos = save;
      }
      left = new Dependency.Rich(op, left, right, otherwise);
    } else {
      left = new Dependency.Rich(op, left, right, null);
      while (peek() != ')') {
        int save = pos;
        Dependency.Op next = operator();
        if (next != op) {
          pos = save;
          throw error("'" + next.name().toLowerCase() + "' after '" + op.name().toLowerCase()
              + "' needs parentheses");
        }
        left = new Dependency.Rich(op, left, term(), null);
        white();
      }
    }
    if (peek() != ')') {
      throw error("expected ')'");
    }
    pos++;
    return left;
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : 0;
  }

  private Dependency.Op operator() {
    white();
    String w = word();
    Dependency.Op op = Dependency.Op.of(w);
    if (op == null) {
      throw error(w.isEmpty() ? "expected an operator" : "unknown operator '" + w + "'");
    }
    return op;
  }

  private String word() {
    int start = pos;
    while (pos < s.length() && Character.isLetter(s.charAt(pos))) {
      pos++;
    }
    return s.substring(start, pos);
  }

  private Dependency term() {
    white();
    if (peek() == '(') {
      return rich();
    }
    String name = token();
    if (name.isEmpty()) {
      throw error("expected a dependency");
    }
    white();
    int save = pos;
    int flags = 0;
    while (pos < s.length() && "<>=".indexOf(s.charAt(pos)) >= 0) {
      char c = s.charAt(pos++);
      flags |= c == '<' ? Dependency.LT : c == '>' ? Dependency.GT : Dependency.EQ;
    }
    if (flags == 0) {
      pos = save;
      return new Dependency.Simple(name, 0, "0", null, null);
    }
    if (pos - save > 2 || flags == (Dependency.LT | Dependency.GT)) {
      throw error("bad comparison '" + s.substring(save, pos) + "'");
    }
    white();
    String evr = token();
    if (evr.isEmpty()) {
      throw error("a comparison without a version");
    }
    return simple(name, flags, evr);
  }

  static Dependency.Simple simple(String name, int flags, String evr) {
    String epoch = "0";
    String rest = evr;
    int colon = evr.indexOf(':');
    if (colon >= 0) {
      epoch = colon == 0 ? "0" : evr.substring(0, colon);
      rest = evr.substring(colon + 1);
    }
    String release = null;
    int dash = rest.lastIndexOf('-');
    if (dash >= 0) {
      release = rest.substring(dash + 1);
      rest = rest.substring(0, dash);
    }
    return new Dependency.Simple(name, flags, epoch, rest, release == null || release.isEmpty() ? null : release);
  }

  /** SKIPNONWHITEX: up to white space, ',' or an unbalanced ')'. */
  private String token() {
    int start = pos;
    int depth = 0;
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (Character.isWhitespace(c) || c == ',') {
        break;
      }
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        if (depth == 0) {
          break;
        }
        depth--;
      }
      pos++;
    }
    return s.substring(start, pos);
  }
}
