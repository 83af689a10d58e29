package dev.imagepatch.patch.rpm;

import java.util.ArrayList;
import java.util.List;

/**
 * The shell subset a package's alternatives scriptlets are written in: commands of
 * {@code alternatives} / {@code update-alternatives} (bare or by path), {@code :} and
 * {@code true}, {@code || :} / {@code || true} after a command, output redirected to
 * {@code /dev/null}, {@code exit 0}, and {@code if [ $1 -eq 0 ]; then ... [else ...] fi} guards
 * comparing the scriptlet's argument ({@code -eq -ne -gt -ge -lt -le = == !=}, quoted or not,
 * {@code [} or {@code test}). Anything else makes the script {@link Unsupported}.
 */
final class AlternativesScript {
  /** A script outside the subset. */
  static final class Unsupported extends Exception {
    Unsupported(String why) {
      super(why);
    }
  }

  /** An alternatives command: the program as written and its arguments, {@code $1} expanded. */
  record Command(String program, List<String> args) {}

  private static final List<String> PROGRAMS = List.of("alternatives", "update-alternatives",
      "/usr/sbin/alternatives", "/usr/sbin/update-alternatives", "/sbin/alternatives", "/sbin/update-alternatives",
      "/usr/bin/alternatives", "/usr/bin/update-alternatives", "/bin/alternatives", "/bin/update-alternatives");

  /** A word: its parts, each literal text or the scriptlet's argument. */
  private record Word(List<String> parts) {
    static final String ARG = "\0$1";

    String expand(int arg1) {
      StringBuilder b = new StringBuilder();
      for (String p : parts) {
        b.append(p.equals(ARG) ? Integer.toString(arg1) : p);
      }
      return b.toString();
    }

    boolean is(String literal) {
      return parts.size() == 1 && parts.get(0).equals(literal);
    }
  }

  private sealed interface Node permits Simple, If, Exit {}

  private record Simple(List<Word> words) implements Node {}

  private record If(List<Word> test, List<Node> then, List<Node> otherwise) implements Node {}

  private record Exit() implements Node {}

  private final List<Node> nodes;

  private AlternativesScript(List<Node> nodes) {
    this.nodes = nodes;
  }

  static AlternativesScript parse(String script) throws Unsupported {
    Parser p = new Parser(tokenize(script));
    List<Node> nodes = p.list(List.of());
    if (p.at < p.tokens.size()) {
      throw new Unsupported("unexpected " + p.tokens.get(p.at));
    }
    return new AlternativesScript(nodes);
  }

  /** The alternatives commands the script runs with {@code $1 = arg1}, in order. */
  List<Command> commands(int arg1) throws Unsupported {
    List<Command> out = new ArrayList<>();
    run(nodes, arg1, out);
    return out;
  }

  /** Returns false when the script exits. */
  private static boolean run(List<Node> nodes, int arg1, List<Command> out) throws Unsupported {
    for (Node n : nodes) {
      if (n instanceof Exit) {
        return false;
      } else if (n instanceof If i) {
        if (!run(test(i.test(), arg1) ? i.then() : i.otherwise(), arg1, out)) {
          return false;
        }
      } else if (n instanceof Simple s) {
        String program = s.words().get(0).expand(arg1);
        if (program.equals(":") || program.equals("true")) {
          continue;
        }
        List<String> args = new ArrayList<>();
        for (Word w : s.words().subList(1, s.words().size())) {
          args.add(w.expand(arg1));
        }
        out.add(new Command(program, args));
      }
    }
    return true;
  }

  /** {@code [ a op b ]}. */
  private static boolean test(List<Word> words, int arg1) throws Unsupported {
    if (words.size() != 3) {
      throw new Unsupported("a test other than [ a op b ]");
    }
    String a = words.get(0).expand(arg1);
    String op = words.get(1).expand(arg1);
    String b = words.get(2).expand(arg1);
    switch (op) {
      case "=", "==" -> {
        return a.equals(b);
      }
      case "!=" -> {
        return !a.equals(b);
      }
      default -> {
        long x;
        long y;
        try {
          x = Long.parseLong(a.strip());
          y = Long.parseLong(b.strip());
        } catch (NumberFormatException e) {
          throw new Unsupported("test of a non-integer: " + a + " " + op + " " + b);
        }
        return switch (op) {
          case "-eq" -> x == y;
          case "-ne" -> x != y;
          case "-gt" -> x > y;
          case "-ge" -> x >= y;
          case "-lt" -> x < y;
          case "-le" -> x <= y;
          default -> throw new Unsupported("test operator " + op);
        };
      }
    }
  }

  /** A token: a word, or an operator ({@code ;}, newline, {@code ||}). */
  private record Token(Word word, String op) {
    boolean isWord(String literal) {
      return word != null && word.is(literal);
    }

    @Override
    public String toString() {
      return word != null ? String.join("", word.parts()).replace(Word.ARG, "$1") : op.replace("\n", "newline");
    }
  }

  private static final class Parser {
    final List<Token> tokens;
    int at;

    Parser(List<Token> tokens) {
      this.tokens = tokens;
    }

    /** Statements up to one of the words in {@code until} (at the start of a statement) or the end. */
    List<Node> list(List<String> until) throws Unsupported {
      List<Node> nodes = new ArrayList<>();
      while (at < tokens.size()) {
        Token t = tokens.get(at);
        if (t.op() != null && (t.op().equals(";") || t.op().equals("\n"))) {
          at++;
          continue;
        }
        if (t.word() != null && until.stream().anyMatch(t::isWord)) {
          return nodes;
        }
        nodes.add(statement());
      }
      if (!until.isEmpty()) {
        throw new Unsupported("if without fi");
      }
      return nodes;
    }

    Node statement() throws Unsupported {
      Token t = tokens.get(at);
      if (t.op() != null) {
        throw new Unsupported("unexpected " + t);
      }
      if (t.isWord("if")) {
        at++;
        List<Word> test = test();
        List<Node> then = list(List.of("else", "elif", "fi"));
        List<Node> otherwise = List.of();
        if (tokens.get(at).isWord("elif")) {
          throw new Unsupported("elif");
        }
        if (tokens.get(at).isWord("else")) {
          at++;
          otherwise = list(List.of("fi"));
        }
        at++; // fi
        endOfStatement();
        return new If(test, then, otherwise);
      }
      if (t.isWord("[") || t.isWord("test")) {
        // [ $1 -eq 0 ] && command, [ $1 -eq 0 ] || command
        List<Word> test = condition();
        String op = at < tokens.size() ? tokens.get(at).op() : null;
        if (!"&&".equals(op) && !"||".equals(op)) {
          throw new Unsupported("a test without && or ||");
        }
        at++;
        Node command = statement();
        return op.equals("&&") ? new If(test, List.of(command), List.of()) : new If(test, List.of(), List.of(command));
      }
      List<Word> words = new ArrayList<>();
      while (at < tokens.size() && tokens.get(at).word() != null) {
        words.add(tokens.get(at++).word());
      }
      if (words.get(0).is("exit")) {
        if (words.size() > 2 || words.size() == 2 && !words.get(1).is("0")) {
          throw new Unsupported("exit with a status other than 0");
        }
        endOfStatement();
        return new Exit();
      }
      String program = String.join("", words.get(0).parts());
      if (!PROGRAMS.contains(program) && !program.equals(":") && !program.equals("true")) {
        throw new Unsupported("command " + program);
      }
      if (at < tokens.size() && "||".equals(tokens.get(at).op())) {
        at++;
        if (at >= tokens.size() || !(tokens.get(at).isWord(":") || tokens.get(at).isWord("true"))) {
          throw new Unsupported("|| with something other than : or true");
        }
        at++;
      }
      endOfStatement();
      return new Simple(words);
    }

    /** {@code [ ... ]} or {@code test ...}, then {@code ;}/newline and {@code then}. */
    List<Word> test() throws Unsupported {
      List<Word> words = condition();
      while (at < tokens.size() && tokens.get(at).op() != null
          && (tokens.get(at).op().equals(";") || tokens.get(at).op().equals("\n"))) {
        at++;
      }
      if (at >= tokens.size() || !tokens.get(at).isWord("then")) {
        throw new Unsupported("if without then");
      }
      at++;
      return words;
    }

    /** {@code [ ... ]} or {@code test ...}: the words compared. */
    List<Word> condition() throws Unsupported {
      List<Word> words = new ArrayList<>();
      boolean bracket = tokens.get(at).isWord("[");
      if (!bracket && !tokens.get(at).isWord("test")) {
        throw new Unsupported("if without [ or test");
      }
      at++;
      while (at < tokens.size() && tokens.get(at).word() != null && !(bracket && tokens.get(at).isWord("]"))) {
        words.add(tokens.get(at++).word());
      }
      if (bracket) {
        if (at >= tokens.size() || !tokens.get(at).isWord("]")) {
          throw new Unsupported("[ without ]");
        }
        at++;
      }
      return words;
    }

    void endOfStatement() throws Unsupported {
      if (at < tokens.size() && tokens.get(at).op() != null && !tokens.get(at).op().equals(";")
          && !tokens.get(at).op().equals("\n")) {
        throw new Unsupported("unexpected " + tokens.get(at));
      }
      if (at < tokens.size() && tokens.get(at).word() != null) {
        throw new Unsupported("unexpected " + tokens.get(at));
      }
    }
  }

  /** Words and operators; redirections of output to {@code /dev/null} or between streams are dropped. */
  private static List<Token> tokenize(String s) throws Unsupported {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < n && s.charAt(i + 1) == '\n') {
        i += 2;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        i++;
      } else if (c == '#') {
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '\n' || c == ';') {
        out.add(new Token(null, String.valueOf(c)));
        i++;
      } else if (c == '|') {
        if (i + 1 < n && s.charAt(i + 1) == '|') {
          out.add(new Token(null, "||"));
          i += 2;
        } else {
          throw new Unsupported("a pipe");
        }
      } else if (c == '&' && i + 1 < n && s.charAt(i + 1) == '&') {
        out.add(new Token(null, "&&"));
        i += 2;
      } else if (c == '&' && !(i + 1 < n && s.charAt(i + 1) == '>')) {
        throw new Unsupported("a background command");
      } else if (c == '<' || c == '(' || c == ')' || c == '`') {
        throw new Unsupported("'" + c + "'");
      } else if (redirection(s, i) > 0) {
        i = redirection(s, i);
      } else {
        List<String> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        while (i < n) {
          c = s.charAt(i);
          if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '|' || c == '&' || c == '<'
              || c == '>' || c == '(' || c == ')' || c == '`') {
            break;
          }
          if (c == '\\' && i + 1 < n) {
            if (s.charAt(i + 1) == '\n') {
              i += 2;
              continue;
            }
            lit.append(s.charAt(i + 1));
            i += 2;
          } else if (c == '\'') {
            int end = s.indexOf('\'', i + 1);
            if (end < 0) {
              throw new Unsupported("unterminated quote");
            }
            lit.append(s, i + 1, end);
            i = end + 1;
          } else if (c == '"') {
            i++;
            while (i < n && s.charAt(i) != '"') {
              char d = s.charAt(i);
              if (d == '$') {
                i = dollar(s, i, parts, lit);
              } else if (d == '`') {
                throw new Unsupported("command substitution");
              } else if (d == '\\' && i + 1 < n && "$`\"\\\n".indexOf(s.charAt(i + 1)) >= 0) {
                if (s.charAt(i + 1) != '\n') {
                  lit.append(s.charAt(i + 1));
                }
                i += 2;
              } else {
                lit.append(d);
                i++;
              }
            }
            if (i >= n) {
              throw new Unsupported("unterminated quote");
            }
            i++;
          } else if (c == '$') {
            i = dollar(s, i, parts, lit);
          } else if (c == '*' || c == '?' || c == '[' && i + 1 < n && s.charAt(i + 1) != ' ' || c == '~' && lit.isEmpty()
              && parts.isEmpty()) {
            throw new Unsupported("a glob or tilde");
          } else {
            lit.append(c);
            i++;
          }
        }
        if (!lit.isEmpty()) {
          parts.add(lit.toString());
        }
        out.add(new Token(new Word(parts), null));
      }
    }
    return out;
  }

  /** {@code $1} or {@code ${1}}; any other expansion is outside the subset. */
  private static int dollar(String s, int i, List<String> parts, StringBuilder lit) throws Unsupported {
    int len;
    if (s.startsWith("$1", i) && !(i + 2 < s.length() && Character.isLetterOrDigit(s.charAt(i + 2)))) {
      len = 2;
    } else if (s.startsWith("${1}", i)) {
      len = 4;
    } else {
      throw new Unsupported("an expansion other than $1");
    }
    if (!lit.isEmpty()) {
      parts.add(lit.toString());
      lit.setLength(0);
    }
    parts.add(Word.ARG);
    return i + len;
  }

  /**
   * The end of a redirection starting at {@code i} ({@code [n]>[>]target}, {@code [n]>&m},
   * {@code &>target}) whose target is {@code /dev/null} or another stream; 0 when none starts there.
   */
  private static int redirection(String s, int i) throws Unsupported {
    int j = i;
    if (s.startsWith("&>", j)) {
      j += 2;
    } else {
      while (j < s.length() && Character.isDigit(s.charAt(j))) {
        j++;
      }
      if (j >= s.length() || s.charAt(j) != '>') {
        return 0;
      }
      j++;
      if (j < s.length() && s.charAt(j) == '>') {
        j++;
      }
      if (j < s.length() && s.charAt(j) == '&') {
        int k = j + 1;
        while (k < s.length() && Character.isDigit(s.charAt(k))) {
          k++;
        }
        if (k > j + 1) {
          return k;
        }
        j++;
      }
    }
    while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
      j++;
    }
    if (s.startsWith("/dev/null", j)) {
      int end = j + "/dev/null".length();
      if (end == s.length() || " \t\r\n;|&".indexOf(s.charAt(end)) >= 0) {
        return end;
      }
    }
    throw new Unsupported("output redirected to a file");
  }
}
