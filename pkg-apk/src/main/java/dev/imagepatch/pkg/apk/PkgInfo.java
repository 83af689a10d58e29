package dev.imagepatch.pkg.apk;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A package's {@code .PKGINFO}: {@code key = value} lines in their order, comments and blank
 * lines dropped, keys repeated where the package repeats them ({@code depend}, {@code provides}).
 */
public final class PkgInfo {
  private final List<Map.Entry<String, String>> entries;

  private PkgInfo(List<Map.Entry<String, String>> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Parses {@code text}; a line that is neither a comment nor {@code key = value} is refused, naming {@code source}. */
  public static PkgInfo parse(String text, String source) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf(" = ");
      if (eq <= 0) {
        // melange writes "url = " with an empty value: the separator then ends the line.
        if (line.endsWith(" =")) {
          eq = line.length() - 2;
        } else {
          throw new IllegalArgumentException(source + " line " + n + ": not 'key = value': " + line);
        }
      }
      String key = line.substring(0, eq);
      String value = eq + 3 <= line.length() ? line.substring(eq + 3) : "";
      out.add(new AbstractMap.SimpleImmutableEntry<>(key, value));
    }
    return new PkgInfo(out);
  }

  public List<Map.Entry<String, String>> entries() {
    return entries;
  }

  /** The first value of {@code key}. */
  public Optional<String> first(String key) {
    return entries.stream().filter(e -> e.getKey().equals(key)).map(Map.Entry::getValue).findFirst();
  }

  /** Every value of {@code key}, in order. */
  public List<String> all(String key) {
    return entries.stream().filter(e -> e.getKey().equals(key)).map(Map.Entry::getValue).toList();
  }
}
