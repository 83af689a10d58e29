package dev.imagepatch.fleet;

import java.time.LocalDate;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copa's tag versioning: the first patch is tagged {@code 1.25.3-patched}, re-patches
 * {@code 1.25.3-patched-1}, {@code -2}, ...; a tag that exists is never overwritten.
 */
public final class PatchedTag {
  // Versions are short; a longer number after the dash is a date or a build, not ours.
  private static final String VERSION = "(?:-(\\d{1,4}))?";

  private PatchedTag() {}

  /** The tag to write for {@code base} ({@code template} rendered): itself if free, else one past the highest version. */
  public static String next(String base, Collection<String> existing) {
    if (!existing.contains(base)) {
      return base;
    }
    Pattern p = Pattern.compile(Pattern.quote(base) + VERSION);
    int highest = 0;
    for (String t : existing) {
      Matcher m = p.matcher(t);
      if (m.matches() && m.group(1) != null) {
        highest = Math.max(highest, Integer.parseInt(m.group(1)));
      }
    }
    return base + "-" + (highest + 1);
  }

  /**
   * The newest tag {@code template} made for {@code sourceTag} among {@code existing}: the latest date,
   * then the highest version; empty when there is none.
   */
  public static Optional<String> newest(TagTemplate template, String sourceTag, Collection<String> existing) {
    Pattern p = Pattern.compile(template.anyDate(sourceTag).pattern() + VERSION);
    record Found(String tag, String date, int version) {}
    return existing.stream().map(t -> {
      Matcher m = p.matcher(t);
      if (!m.matches()) {
        return null;
      }
      String date = template.dated() ? m.group(1) : "";
      String v = m.group(m.groupCount());
      return new Found(t, date, v == null ? 0 : Integer.parseInt(v));
    }).filter(java.util.Objects::nonNull)
        .max(Comparator.comparing(Found::date).thenComparingInt(Found::version)).map(Found::tag);
  }

  /** The tag for {@code sourceTag} on {@code date}, versioned past what {@code existing} holds. */
  public static String next(TagTemplate template, String sourceTag, LocalDate date, Collection<String> existing) {
    return next(template.render(sourceTag, date), existing);
  }
}
