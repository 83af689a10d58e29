package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.version.ApkVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One dependency as apk writes it: {@code [!]name[@tag][op version]}, op one of {@code < <= = >= > ~ <~ >~}
 * (or {@code ><}, a package checksum). Parsed as apk-tools 2 does ({@code apk_blob_pull_dep} in
 * {@code src/package.c}): the operator is the run of {@code <=>~} after the name, the tag is split off
 * the name at {@code @}, and the operator is kept in the normalized form {@code apk_version_op_string}
 * writes ({@code =>} reads as {@code >=}, {@code =~} as {@code ~}).
 */
public record Dependency(String name, boolean conflict, String op, String version, String tag) {
  /** The operator of a checksum dependency ({@code APK_DEPMASK_CHECKSUM}): the version is a {@code Q1...} checksum. */
  public static final String CHECKSUM = "><";

  public Dependency {
    Objects.requireNonNull(name, "name");
    if ((op == null) != (version == null)) {
      throw new IllegalArgumentException("dependency " + name + ": an operator needs a version and a version an operator");
    }
  }

  private static final int EQUAL = 1;
  private static final int LESS = 2;
  private static final int GREATER = 4;
  private static final int FUZZY = 8;

  /** Parses one token; anything apk would refuse is an {@link IllegalArgumentException} naming {@code source}. */
  public static Dependency parse(String token, String source) {
    String t = token;
    if (t.isEmpty()) {
      throw bad(source, token, "empty");
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw bad(source, token, "a space or control character");
      }
    }
    boolean conflict = false;
    if (t.charAt(0) == '!') {
      conflict = true;
      t = t.substring(1);
    }
    int opStart = 0;
    while (opStart < t.length() && "<=>~".indexOf(t.charAt(opStart)) < 0) {
      opStart++;
    }
    String bname = t.substring(0, opStart);
    String op = null;
    String version = null;
    if (opStart < t.length()) {
      int opEnd = opStart;
      int mask = 0;
      while (opEnd < t.length() && "<=>~".indexOf(t.charAt(opEnd)) >= 0) {
        switch (t.charAt(opEnd)) {
          case '<' -> mask |= LESS;
          case '>' -> mask |= GREATER;
          case '~' -> mask |= FUZZY | EQUAL;
          default -> mask |= EQUAL;
        }
        opEnd++;
      }
      op = opString(mask);
      if (op == null) {
        throw bad(source, token, "operator '" + t.substring(opStart, opEnd) + "' is none apk knows");
      }
      version = t.substring(opEnd);
      if (version.isEmpty()) {
        throw bad(source, token, "an operator without a version");
      }
      if (!op.equals(CHECKSUM) && !ApkVersion.isValid(version)) {
        throw bad(source, token, "invalid version '" + version + "'");
      }
    }
    String tag = null;
    int at = bname.indexOf('@');
    if (at >= 0) {
      tag = bname.substring(at + 1);
      bname = bname.substring(0, at);
      if (tag.isEmpty()) {
        throw bad(source, token, "an empty @tag");
      }
    }
    if (bname.isEmpty()) {
      throw bad(source, token, "no name");
    }
    return new Dependency(bname, conflict, op, version, tag);
  }

  /** apk_version_op_string: the operator apk writes for a result mask; null for a mask it prints as "?". */
  private static String opString(int mask) {
    return switch (mask) {
      case LESS -> "<";
      case LESS | EQUAL -> "<=";
      case LESS | EQUAL | FUZZY -> "<~";
      case EQUAL | FUZZY -> "~";
      case EQUAL -> "=";
      case GREATER | EQUAL -> ">=";
      case GREATER | EQUAL | FUZZY -> ">~";
      case GREATER -> ">";
      case LESS | GREATER -> CHECKSUM;
      default -> null;
    };
  }

  /**
   * Parses a space-separated list (apk also separates by newlines); runs of separators are one. A
   * token apk would refuse is an {@link IllegalArgumentException}.
   */
  public static List<Dependency> parseList(String spaceSeparated, String source) {
    List<Dependency> out = new ArrayList<>();
    for (String token : spaceSeparated.split("[ \n]+")) {
      if (!token.isEmpty()) {
        out.add(parse(token, source));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The list as apk-tools 2 reads it from an index ({@code apk_blob_pull_deps}): the first token
   * {@code apk_blob_pull_dep} refuses ends the list, it and the tokens after it dropped, the package
   * kept. (The real v3.17 index has {@code p:pc:jemalloc=5.3.0_} and {@code p:pc:librtmp=v2.4}.)
   */
  static List<Dependency> parseListAsApk(String spaceSeparated, String source) {
    List<Dependency> out = new ArrayList<>();
    for (String token : spaceSeparated.split("[ \n]+")) {
      if (!token.isEmpty()) {
        try {
          out.add(parse(token, source));
        } catch (IllegalArgumentException e) {
          break;
        }
      }
    }
    return List.copyOf(out);
  }

  private static IllegalArgumentException bad(String source, String token, String why) {
    return new IllegalArgumentException(source + ": dependency '" + token + "': " + why);
  }

  /**
   * True when {@code version} satisfies the version constraint ({@link ApkVersion#matches}); a
   * dependency without one matches every version. The {@code !} conflict flag is not applied here,
   * and a checksum dependency ({@code ><}) matches no version.
   */
  public boolean matches(String version) {
    if (op == null) {
      return true;
    }
    if (op.equals(CHECKSUM)) {
      return false;
    }
    return ApkVersion.matches(version, op, this.version);
  }

  /** apk's own form, {@code [!]name[@tag][op version]} (as {@code apk_blob_push_dep} writes it into world). */
  @Override
  public String toString() {
    return (conflict ? "!" : "") + name + (tag != null ? "@" + tag : "") + (op != null ? op + version : "");
  }

  /**
   * The form apk writes into an index or the installed database: {@code apk_pkg_write_index_entry}
   * passes no database to {@code apk_deps_write}, so a repository tag is not written.
   */
  String indexForm() {
    return (conflict ? "!" : "") + name + (op != null ? op + version : "");
  }

  /** A list written as apk writes it into an index, space-separated. */
  static String indexForm(List<Dependency> deps) {
    StringBuilder b = new StringBuilder();
    for (Dependency d : deps) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(d.indexForm());
    }
    return b.toString();
  }
}
