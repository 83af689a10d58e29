package dev.imagepatch.patch.rpm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code .repo} file (or {@code dnf.conf}) as dnf's INI parser (libdnf's ConfigParser) reads it:
 * {@code [id]} sections of {@code key=value} options, continuation lines (indented) appended to the
 * option above, {@code #} and {@code ;} comments. {@code [main]} is dnf's own section, not a
 * repository. Values keep their {@code $variables}; {@link DnfVariables} substitutes them.
 */
final class YumRepoFile {
  /**
   * One repository section.
   *
   * @param options every option as written, by lower-case key (the last one wins, as in dnf)
   * @param source the file and section, for messages
   */
  record Section(String id, Map<String, String> options, String source) {
    String get(String key) {
      return options.get(key);
    }

    /** dnf's booleans: 1/0, yes/no, true/false, on/off; {@code fallback} when unset. */
    boolean flag(String key, boolean fallback) {
      String v = options.get(key);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      return switch (v.strip().toLowerCase(Locale.ROOT)) {
        case "1", "yes", "true", "on" -> true;
        case "0", "no", "false", "off" -> false;
        default -> throw new IllegalArgumentException(source + ": " + key + "=" + v + " is not a boolean");
      };
    }

    int number(String key, int fallback) {
      String v = options.get(key);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      try {
        return Integer.parseInt(v.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(source + ": " + key + "=" + v + " is not a number");
      }
    }

    /** A list option (baseurl, gpgkey, excludepkgs): items split on white space and commas. */
    List<String> list(String key) {
      String v = options.get(key);
      List<String> out = new ArrayList<>();
      if (v != null) {
        for (String item : v.split("[\\s,]+")) {
          if (!item.isEmpty()) {
            out.add(item);
          }
        }
      }
      return out;
    }
  }

  private YumRepoFile() {}

  /** The sections of {@code text} (named {@code source} in messages), {@code [main]} included. */
  static List<Section> parse(String text, String source) {
    List<Section> out = new ArrayList<>();
    String id = null;
    Map<String, String> options = null;
    String lastKey = null;
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String raw = lines[i];
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]") || line.length() < 3) {
          throw new IllegalArgumentException(source + " line " + (i + 1) + ": malformed section header '" + line + "'");
        }
        if (id != null) {
          out.add(new Section(id, options, source + " [" + id + "]"));
        }
        id = line.substring(1, line.length() - 1).strip();
        options = new LinkedHashMap<>();
        lastKey = null;
        continue;
      }
      if (Character.isWhitespace(raw.charAt(0)) && lastKey != null && options != null) {
        // A continuation: libdnf appends it to the option above, joined by a newline.
        options.put(lastKey, options.get(lastKey) + "\n" + line);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0 || id == null) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": '" + line + "' is neither a section nor"
            + " key=value inside one");
      }
      lastKey = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      options.put(lastKey, line.substring(eq + 1).strip());
    }
    if (id != null) {
      out.add(new Section(id, options, source + " [" + id + "]"));
    }
    return out;
  }
}
