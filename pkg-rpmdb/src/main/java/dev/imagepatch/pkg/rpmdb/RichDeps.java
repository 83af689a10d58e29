package dev.imagepatch.pkg.rpmdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The names rpm adds to a dependency index for a rich dependency such as {@code (a or (b if c))}:
 * rpm 4.18 lib/rpmdb.c {@code updateRichDep}/{@code updateRichDepCB} over lib/rpmds.c
 * {@code rpmrichParseInternal}. Names of an {@code if}/{@code unless} condition are negated ("!c");
 * an {@code else} branch repeats the condition's names un-negated; {@code rpmlib(...)} names are
 * left out; the result is sorted (byte order, with the leading ' '/'!' marker) and de-duplicated,
 * and the ' ' marker of positive names dropped.
 *
 * <p>Strings are handled as ISO-8859-1 so that every byte maps to one char and back.
 */
final class RichDeps {
  private RichDeps() {}

  private static final String[] RICH_OPS = {"and", "or", "if", "unless", "else", "with", "without"};
  private static final String[] SENSES = {"<=", "=<", "<", "==", "=", ">=", "=>", ">"};

  /** The index names of a rich dependency, or an empty list when rpm's parser refuses it. */
  static List<String> names(String dep) {
    Parser p = new Parser(dep);
    try {
      p.parse();
    } catch (IllegalArgumentException refused) {
      return List.of();
    }
    String[] argv = p.argv.toArray(new String[0]);
    Arrays.sort(argv); // argvSort: strcmp; Latin-1 chars compare as unsigned bytes
    List<String> out = new ArrayList<>();
    for (int i = 0; i < argv.length; i++) {
      if (i > 0 && argv[i - 1].equals(argv[i])) {
        continue;
      }
      String name = argv[i];
      out.add(name.charAt(0) == ' ' ? name.substring(1) : name);
    }
    return out;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
  }

  private static final class Parser {
    final String s;
    int pos;
    final List<String> argv = new ArrayList<>();
    int nargv;
    boolean neg;
    int level;
    int[] nargvLevel = new int[1];

    Parser(String s) {
      this.s = s;
    }

    char at(int i) {
      return i < s.length() ? s.charAt(i) : 0;
    }

    void parse() {
      parseInternal(null);
    }

    static final int NO_WITH = 1 << 1;
    static final int NO_AND = 1 << 2;
    static final int NO_OR = 1 << 3;

    int skipWhite(int p) {
      while (at(p) != 0 && (isSpace(at(p)) || at(p) == ',')) {
        p++;
      }
      return p;
    }

    /** SKIPNONWHITEX: up to white space, ',' or an unbalanced ')'. */
    int skipNonWhiteX(int p) {
      int bl = 0;
      while (true) {
        char c = at(p);
        if (c == 0 || isSpace(c) || c == ',') {
          break;
        }
        if (c == ')') {
          int before = bl;
          bl--;
          if (before <= 0) {
            break;
          }
        }
        p++;
        if (c == '(') {
          bl++;
        }
      }
      return p;
    }

    void enter() {
      level++;
      if (nargvLevel.length < level) {
        nargvLevel = Arrays.copyOf(nargvLevel, level);
      }
      nargvLevel[level - 1] = nargv;
    }

    void leave(String op) {
      level--;
      if (op.equals("if") || op.equals("unless")) {
        neg = !neg;
      }
    }

    void simple(String name) {
      int nl = name.length();
      if (nl > 0 && !(nl > 7 && name.startsWith("rpmlib("))) {
        argv.add((neg ? '!' : ' ') + name);
        nargv++;
      }
    }

    void op(String op) {
      if (op.equals("if") || op.equals("unless")) {
        nargvLevel[level - 1] = nargv;
        neg = !neg;
      }
      if (op.equals("else")) {
        int n = nargv;
        for (int i = nargvLevel[level - 1]; i < n; i++) {
          String name = argv.get(i);
          char flipped = name.charAt(0) == ' ' ? '!' : ' ';
          argv.add(flipped + name.substring(1));
          nargv++;
        }
        neg = !neg;
      }
    }

    /** rpmrichParseInternal without RICHPARSE_CHECK (as rpmrichParse calls it). */
    void parseInternal(int[] checkp) {
      String op = "SINGLE";
      String firstop = "SINGLE";
      String chainop = null;
      int check = checkp != null ? checkp[0] : 0;
      enter();
      if (at(pos) != '(') {
        throw new IllegalArgumentException("Rich dependency does not start with '('");
      }
      pos++;
      for (;;) {
        pos = skipWhite(pos);
        if (at(pos) == ')') {
          throw new IllegalArgumentException("Empty rich dependency");
        }
        if (at(pos) == '(') {
          int[] subcheck = {0};
          parseInternal(subcheck);
          if (op.equals("if") || op.equals("unless")) {
            subcheck[0] &= ~(NO_AND | NO_OR);
          }
          check |= subcheck[0];
        } else {
          parseSimple();
        }
        pos = skipWhite(pos);
        if (at(pos) == 0) {
          throw new IllegalArgumentException("Unterminated rich dependency");
        }
        if (at(pos) == ')') {
          break;
        }
        int pe = pos;
        while (at(pe) != 0 && !isSpace(at(pe)) && at(pe) != ')') {
          pe++;
        }
        String token = s.substring(pos, pe);
        if (!Arrays.asList(RICH_OPS).contains(token)) {
          throw new IllegalArgumentException("Unknown rich dependency op");
        }
        op = token;
        if (firstop.equals("SINGLE")) {
          firstop = op;
        }
        if (op.equals("else") && ("if".equals(chainop) || "unless".equals(chainop))) {
          chainop = null;
        }
        if (chainop != null && !op.equals(chainop)) {
          throw new IllegalArgumentException("Cannot chain different ops");
        }
        if (chainop != null && !op.equals("and") && !op.equals("or") && !op.equals("with")) {
          throw new IllegalArgumentException("Can only chain and/or/with ops");
        }
        op(op);
        chainop = op;
        pos = pe;
      }
      // rpmrichParseCheck without RICHPARSE_CHECK: only with/without in an illegal context
      if ((firstop.equals("with") || firstop.equals("without")) && (check & NO_WITH) != 0) {
        throw new IllegalArgumentException("Illegal ops in with/without");
      }
      if (firstop.equals("if")) {
        check |= NO_OR;
      }
      if (firstop.equals("unless")) {
        check |= NO_AND;
      }
      if (op.equals("and") || op.equals("or")) {
        check &= ~(NO_AND | NO_OR);
      }
      if (!op.equals("SINGLE") && !op.equals("with") && !op.equals("without") && !op.equals("or")) {
        check |= NO_WITH;
      }
      pos++;
      leave(op);
      if (checkp != null) {
        checkp[0] |= check;
      }
    }

    void parseSimple() {
      int n = pos;
      int p = skipNonWhiteX(pos);
      int nl = p - n;
      if (nl == 0) {
        throw new IllegalArgumentException("Name required");
      }
      String name = s.substring(n, p);
      p = skipWhite(p);
      if (at(p) != 0) {
        int pe = skipNonWhiteX(p);
        String tok = s.substring(p, pe);
        if (Arrays.asList(SENSES).contains(tok)) {
          p = skipWhite(pe);
          int e = p;
          p = skipNonWhiteX(p);
          if (p - e == 0) {
            throw new IllegalArgumentException("Version required");
          }
        }
      }
      simple(name);
      pos = p;
    }
  }
}
