package dev.imagepatch.fleet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the tags of one image are chosen, as Copa's PatchConfig says: a fixed {@code list}, a regular
 * expression {@code pattern} (with {@code maxTags} and {@code exclude}), or the {@code latest} version.
 *
 * @param maxTags the most tags a pattern selects, highest versions first; 0: no cap
 */
public record TagStrategy(Kind kind, List<String> list, Optional<Pattern> pattern, int maxTags, Set<String> exclude) {
  /** Copa's three strategies. */
  public enum Kind { LIST, PATTERN, LATEST }

  public TagStrategy {
    Objects.requireNonNull(kind, "kind");
    list = List.copyOf(list);
    exclude = Set.copyOf(exclude);
    if (maxTags < 0) {
      throw new IllegalArgumentException("maxTags must not be negative: " + maxTags);
    }
  }

  /** Exactly these tags. */
  public static TagStrategy list(List<String> tags) {
    return new TagStrategy(Kind.LIST, tags, Optional.empty(), 0, Set.of());
  }

  /** The registry's tags matching {@code regex}, highest versions first, at most {@code maxTags} (0: all). */
  public static TagStrategy pattern(String regex, int maxTags, Set<String> exclude) {
    return new TagStrategy(Kind.PATTERN, List.of(), Optional.of(Pattern.compile(regex)), maxTags, exclude);
  }

  /** The registry's highest version. */
  public static TagStrategy latest(Set<String> exclude) {
    return new TagStrategy(Kind.LATEST, List.of(), Optional.empty(), 0, exclude);
  }
}
