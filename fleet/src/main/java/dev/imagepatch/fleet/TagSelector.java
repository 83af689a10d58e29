package dev.imagepatch.fleet;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Selects an image's tags from its registry's tag list by a {@link TagStrategy}, as Copa does:
 * semantic-version order where tags parse as versions (Masterminds' lenient {@code v1}, {@code 1.2},
 * {@code 1.2.3-rc.1}), lexical order for the rest, after them.
 */
public final class TagSelector {
  private static final Pattern SEMVER = Pattern.compile(
      "v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:-([0-9A-Za-z.-]+))?(?:\\+[0-9A-Za-z.-]+)?");

  private TagSelector() {}

  /**
   * The tags {@code strategy} selects among {@code available}. A listed tag the registry lacks is
   * left out and told to {@code warn}, as Copa logs it.
   */
  public static List<String> select(TagStrategy strategy, Collection<String> available, Consumer<String> warn) {
    switch (strategy.kind()) {
      case LIST -> {
        List<String> out = new ArrayList<>();
        for (String t : strategy.list()) {
          if (available.contains(t)) {
            out.add(t);
          } else {
            warn.accept("tag " + t + " is not in the registry; skipped");
          }
        }
        return out;
      }
      case PATTERN -> {
        Pattern p = strategy.pattern().orElseThrow();
        List<String> out = available.stream().filter(t -> p.matcher(t).find())
            .filter(t -> !strategy.exclude().contains(t)).sorted(HIGHEST_FIRST).toList();
        return strategy.maxTags() > 0 && out.size() > strategy.maxTags() ? out.subList(0, strategy.maxTags()) : out;
      }
      case LATEST -> {
        return available.stream().filter(t -> !strategy.exclude().contains(t)).sorted(HIGHEST_FIRST).limit(1).toList();
      }
      default -> throw new AssertionError(strategy.kind());
    }
  }

  /** Versions first, highest first; then tags that are no version, in reverse lexical order. */
  static final Comparator<String> HIGHEST_FIRST = (a, b) -> {
    Optional<Version> va = Version.parse(a);
    Optional<Version> vb = Version.parse(b);
    if (va.isPresent() && vb.isPresent()) {
      int c = vb.get().compareTo(va.get());
      return c != 0 ? c : b.compareTo(a);
    }
    if (va.isPresent() != vb.isPresent()) {
      return va.isPresent() ? -1 : 1;
    }
    return b.compareTo(a);
  };

  /** A semantic version, compared by SemVer 2.0's precedence. */
  record Version(BigInteger major, BigInteger minor, BigInteger patch, String pre) implements Comparable<Version> {
    static Optional<Version> parse(String tag) {
      Matcher m = SEMVER.matcher(tag);
      if (!m.matches()) {
        return Optional.empty();
      }
      return Optional.of(new Version(new BigInteger(m.group(1)), num(m.group(2)), num(m.group(3)),
          m.group(4) == null ? "" : m.group(4)));
    }

    private static BigInteger num(String s) {
      return s == null ? BigInteger.ZERO : new BigInteger(s);
    }

    @Override
    public int compareTo(Version o) {
      int c = major.compareTo(o.major);
      if (c == 0) {
        c = minor.compareTo(o.minor);
      }
      if (c == 0) {
        c = patch.compareTo(o.patch);
      }
      if (c != 0) {
        return c;
      }
      // A pre-release is lower than its release; identifiers compare numerically when both are numbers.
      if (pre.isEmpty() || o.pre.isEmpty()) {
        return pre.isEmpty() == o.pre.isEmpty() ? 0 : pre.isEmpty() ? 1 : -1;
      }
      String[] x = pre.split("\\.");
      String[] y = o.pre.split("\\.");
      for (int i = 0; i < Math.min(x.length, y.length); i++) {
        boolean nx = x[i].chars().allMatch(Character::isDigit);
        boolean ny = y[i].chars().allMatch(Character::isDigit);
        int d = nx && ny ? new BigInteger(x[i]).compareTo(new BigInteger(y[i])) : nx ? -1 : ny ? 1 : x[i].compareTo(y[i]);
        if (d != 0) {
          return d;
        }
      }
      return Integer.compare(x.length, y.length);
    }
  }
}
