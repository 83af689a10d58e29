package dev.imagepatch.pkg.rpm.resolve;

import java.util.List;
import java.util.Map;

/**
 * libsolv's architecture policy for a base architecture: the arches installable beside it, each
 * with a "color" (x86_64 and i686 are different colors: multilib), noarch compatible with all.
 */
final class Arch {
  static final String NOARCH = "noarch";
  /** Best first; a different index is a different color (libsolv's ':' separator). */
  private static final Map<String, List<String>> POLICIES = Map.of(
      "x86_64", List.of("x86_64", "i686", "i586", "i486", "i386", "athlon"),
      "i686", List.of("i686", "i586", "i486", "i386", "athlon"),
      "aarch64", List.of("aarch64"),
      "ppc64le", List.of("ppc64le"),
      "s390x", List.of("s390x"),
      "armv7hl", List.of("armv7hl", "armv6hl", "armv5tel"));

  private final List<String> order;

  Arch(String basearch) {
    this.order = POLICIES.getOrDefault(basearch, List.of(basearch));
  }

  /** Whether a package of this arch can be installed at all. */
  boolean allowed(String arch) {
    return arch.equals(NOARCH) || order.contains(arch);
  }

  /** The arch's score, lower is better; 0 for noarch, -1 when not allowed. */
  int score(String arch) {
    if (arch.equals(NOARCH)) {
      return 0;
    }
    int i = order.indexOf(arch);
    return i < 0 ? -1 : i + 1;
  }

  /** Whether replacing a package of arch {@code a} by one of {@code b} is legal (same color, or noarch). */
  boolean compatible(String a, String b) {
    return a.equals(b) || a.equals(NOARCH) || b.equals(NOARCH);
  }

  /** Whether the arch is the primary one (or noarch): a secondary arch is multilib. */
  boolean primary(String arch) {
    return arch.equals(NOARCH) || (!order.isEmpty() && order.get(0).equals(arch)) || !order.contains(arch);
  }
}
