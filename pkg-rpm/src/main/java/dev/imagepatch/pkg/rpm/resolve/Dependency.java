package dev.imagepatch.pkg.rpm.resolve;

import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * A dependency as the solver matches it: a simple {@code name [op evr]} or a rich (boolean)
 * dependency {@code (a or (b if c))} parsed as rpm's {@code rpmrichParse} accepts it. Versions
 * match as libsolv's {@code pool_intersect_evrs} over {@code pool_evrcmp(..., EVRCMP_MATCH_RELEASE)}
 * (rpm 4.18's {@code rpmverOverlap} agrees): a missing epoch is epoch 0, and a side without a
 * release matches any release when its range includes equality.
 */
sealed interface Dependency permits Dependency.Simple, Dependency.Rich {
  /** libsolv's relation bits. */
  int GT = 1;
  int EQ = 2;
  int LT = 4;

  /** The dependency of a metadata or header entry: rich when its name is a parenthesised expression. */
  static Dependency of(RpmDependency d) {
    if (d.name().startsWith("(")) {
      return RichParser.parse(d.name());
    }
    return Simple.of(d);
  }

  /**
   * {@code name [op epoch:version-release]}; flags 0 for an unversioned one.
   *
   * @param epoch "0" when none is written
   * @param release null when none is written
   */
  record Simple(String name, int flags, String epoch, String version, String release) implements Dependency {
    static Simple of(RpmDependency d) {
      if (d.flags() == null || d.version() == null) {
        return new Simple(d.name(), 0, "0", null, null);
      }
      int f = switch (d.flags()) {
        case EQ -> EQ;
        case LT -> LT;
        case GT -> GT;
        case LE -> LT | EQ;
        case GE -> GT | EQ;
      };
      String e = d.epoch() == null || d.epoch().isEmpty() ? "0" : d.epoch();
      String r = d.release() == null || d.release().isEmpty() ? null : d.release();
      return new Simple(d.name(), f, e, d.version(), r);
    }

    /** The dependency {@code name = evr} a package provides for itself and obsoletes and conflicts match. */
    static Simple self(RpmSolvable s) {
      return new Simple(s.name(), EQ, s.epoch() == null ? "0" : s.epoch(), s.version(), s.release());
    }

    boolean isFile() {
      return name.startsWith("/");
    }

    /** Whether a provide (of the same name) satisfies this requirement, as libsolv decides it. */
    boolean matchedBy(Simple provide) {
      if (!provide.name.equals(name)) {
        return false;
      }
      if (flags == 0 || provide.flags == 0) {
        return true; // rpm: an unversioned provide satisfies every versioned requirement of its name
      }
      return intersects(provide.flags, provide, flags, this);
    }

    /** pool_intersect_evrs. */
    private static boolean intersects(int pflags, Simple p, int flags, Simple r) {
      if (flags == 7 || pflags == 7) {
        return true;
      }
      if ((pflags & flags & (LT | GT)) != 0) {
        return true;
      }
      return switch (compareMatchRelease(p, r)) {
        case -2 -> (pflags & EQ) != 0;
        case -1 -> (flags & LT) != 0 || (pflags & GT) != 0;
        case 0 -> (flags & pflags & EQ) != 0;
        case 1 -> (flags & GT) != 0 || (pflags & LT) != 0;
        default -> (flags & EQ) != 0; // 2
      };
    }

    /** pool_evrcmp_str in EVRCMP_MATCH_RELEASE mode: ±2 when only one side has a release and the rest is equal. */
    static int compareMatchRelease(Simple a, Simple b) {
      int r = Integer.signum(RpmVersion.rpmvercmp(strip(a.epoch), strip(b.epoch)));
      if (r != 0) {
        return r;
      }
      r = Integer.signum(RpmVersion.rpmvercmp(a.version, b.version));
      if (r != 0) {
        return r;
      }
      if (a.release != null && b.release != null) {
        return Integer.signum(RpmVersion.rpmvercmp(a.release, b.release));
      }
      if (a.release == null && b.release != null) {
        return -2;
      }
      if (a.release != null) {
        return 2;
      }
      return 0;
    }

    private static String strip(String epoch) {
      String e = epoch == null ? "" : epoch.replaceFirst("^0+", "");
      return e.isEmpty() ? "0" : e;
    }

    @Override
    public String toString() {
      if (flags == 0) {
        return name;
      }
      String op = switch (flags) {
        case EQ -> "=";
        case LT -> "<";
        case GT -> ">";
        case LT | EQ -> "<=";
        case GT | EQ -> ">=";
        default -> "<>";
      };
      return name + " " + op + " " + (strip(epoch).equals("0") ? "" : epoch + ":") + version
          + (release == null ? "" : "-" + release);
    }
  }

  /** rpm's boolean operators. */
  enum Op {
    AND, OR, IF, UNLESS, WITH, WITHOUT;

    static Op of(String word) {
      for (Op o : values()) {
        if (o.name().equalsIgnoreCase(word) && word.equals(word.toLowerCase())) {
          return o;
        }
      }
      return null;
    }
  }

  /**
   * {@code (left op right [else otherwise])}: {@code and}, {@code or}, {@code with} and
   * {@code without} chain left to right; {@code if} and {@code unless} may have an {@code else}.
   */
  record Rich(Op op, Dependency left, Dependency right, Dependency otherwise) implements Dependency {
    @Override
    public String toString() {
      return "(" + left + " " + op.name().toLowerCase() + " " + right
          + (otherwise == null ? "" : " else " + otherwise) + ")";
    }
  }

  /** The simple dependencies a rich one names (its leaves), in order. */
  static List<Simple> leaves(Dependency d) {
    List<Simple> out = new ArrayList<>();
    leaves(d, out);
    return out;
  }

  private static void leaves(Dependency d, List<Simple> out) {
    if (d instanceof Simple s) {
      out.add(s);
    } else if (d instanceof Rich r) {
      leaves(r.left(), out);
      leaves(r.right(), out);
      if (r.otherwise() != null) {
        leaves(r.otherwise(), out);
      }
    }
  }
}
