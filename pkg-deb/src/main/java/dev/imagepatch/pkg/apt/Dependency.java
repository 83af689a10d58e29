package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One package relation ({@code name[:arch] [(op version)]}) from Depends, Pre-Depends, Breaks,
 * Conflicts or Provides, as {@code deb-control(5)} writes them.
 *
 * @param archQualifier {@code any}, {@code native} or an architecture; null when none is written
 * @param operator {@code << <= = >= >>}; null for an unversioned relation
 */
public record Dependency(String name, String archQualifier, String operator, String version) {

  /** True when a package of {@code candidate} version meets the version part of this relation. */
  public boolean allows(String candidate) {
    if (operator == null) {
      return true;
    }
    int c = DebianVersion.ORDER.compare(candidate, version);
    return switch (operator) {
      case "<<" -> c < 0;
      case "<=" -> c <= 0;
      case "=" -> c == 0;
      case ">=" -> c >= 0;
      case ">>" -> c > 0;
      default -> throw new IllegalStateException(operator);
    };
  }

  /**
   * Parses a relation field: comma-separated groups of '|'-separated alternatives. Architecture
   * restrictions {@code [...]} and build profiles {@code <...>} (source-package syntax) are
   * dropped.
   */
  public static List<List<Dependency>> parseField(String field, String where) throws IOException {
    List<List<Dependency>> groups = new ArrayList<>();
    if (field == null || field.isBlank()) {
      return groups;
    }
    for (String group : field.replace('\n', ' ').split(",")) {
      if (group.isBlank()) {
        continue;
      }
      List<Dependency> alternatives = new ArrayList<>();
      for (String alt : group.split("\\|")) {
        alternatives.add(parseOne(alt.replaceAll("\\[[^]]*]", "").replaceAll("<[^>]*>", "").strip(), where));
      }
      groups.add(List.copyOf(alternatives));
    }
    return groups;
  }

  private static Dependency parseOne(String text, String where) throws IOException {
    String name = text;
    String op = null;
    String version = null;
    int paren = text.indexOf('(');
    if (paren >= 0) {
      int close = text.indexOf(')', paren);
      if (close < 0) {
        throw new IOException(where + ": unbalanced '(' in relation '" + text + "'");
      }
      String constraint = text.substring(paren + 1, close).strip();
      name = text.substring(0, paren).strip();
      int i = 0;
      while (i < constraint.length() && "<>=".indexOf(constraint.charAt(i)) >= 0) {
        i++;
      }
      op = constraint.substring(0, i);
      version = constraint.substring(i).strip();
      op = switch (op) {
        case "<" -> "<=";   // obsolete forms, read as dpkg reads them
        case ">" -> ">=";
        case "<<", "<=", "=", ">=", ">>" -> op;
        default -> throw new IOException(where + ": bad relation operator '" + op + "' in '" + text + "'");
      };
      if (version.isEmpty()) {
        throw new IOException(where + ": relation '" + text + "' has an operator but no version");
      }
    }
    String arch = null;
    int colon = name.indexOf(':');
    if (colon >= 0) {
      arch = name.substring(colon + 1);
      name = name.substring(0, colon);
    }
    if (name.isEmpty()) {
      throw new IOException(where + ": empty package name in relation '" + text + "'");
    }
    return new Dependency(name, arch, op, version);
  }

  @Override
  public String toString() {
    return name + (archQualifier == null ? "" : ":" + archQualifier)
        + (operator == null ? "" : " (" + operator + " " + version + ")");
  }
}
