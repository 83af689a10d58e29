package dev.imagepatch.pkg.deb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One deb822 paragraph (a stanza of a control file, the dpkg status file, a Packages index or a
 * Release file): fields in their order, each with its value exactly as written, continuation
 * lines included. Field names match case-insensitively, as dpkg matches them. Written back with
 * {@link #toString()}, an unchanged paragraph is byte-identical to what was read.
 */
public final class Paragraph {
  /** One field: its name as written and its value, continuation lines joined with '\n'. */
  public record Field(String name, String value) {
    /**
     * Refuses what would not read back as this one field: a name that is empty, has a colon,
     * whitespace first or a control character; a value with a carriage return or NUL, or a line
     * that does not start with a blank (a new field) or is blank (a new stanza).
     */
    public Field {
      if (name.isEmpty() || name.indexOf(':') >= 0 || Character.isWhitespace(name.charAt(0))
          || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("invalid field name '" + DpkgFields.printable(name) + "'");
      }
      if (value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("field " + name + ": carriage return or NUL in its value");
      }
      for (int nl = value.indexOf('\n'); nl >= 0; nl = value.indexOf('\n', nl + 1)) {
        int end = value.indexOf('\n', nl + 1);
        String line = value.substring(nl + 1, end < 0 ? value.length() : end);
        if (line.isEmpty() || (line.charAt(0) != ' ' && line.charAt(0) != '\t') || line.isBlank()) {
          throw new IllegalArgumentException("field " + name + ": a line of its value would start a new "
              + (line.isBlank() ? "stanza" : "field") + ": '" + line + "'");
        }
      }
    }
  }

  private final List<Field> fields;

  Paragraph(List<Field> fields) {
    this.fields = List.copyOf(fields);
  }

  /** A paragraph of the given fields, in order. */
  public static Paragraph of(List<Field> fields) {
    return new Paragraph(fields);
  }

  public List<Field> fields() {
    return fields;
  }

  /** A field's value with the continuation lines as written (each starting with a blank). */
  public Optional<String> get(String name) {
    for (Field f : fields) {
      if (f.name.equalsIgnoreCase(name)) {
        return Optional.of(f.value);
      }
    }
    return Optional.empty();
  }

  /** A single-line field's value, stripped; throws naming the field when it is missing. */
  public String require(String name) {
    return get(name).map(String::strip).orElseThrow(() -> new IllegalArgumentException(
        "field " + name + " is missing" + get("Package").map(p -> " in the stanza of " + p.strip()).orElse("")));
  }

  /** The lines of a multi-line field (e.g. Conffiles, SHA256), blank ones dropped, each stripped. */
  public List<String> lines(String name) {
    Optional<String> value = get(name);
    if (value.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : value.get().split("\n")) {
      if (!line.isBlank()) {
        out.add(line.strip());
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The same paragraph with a field's value replaced in place, or appended when absent. */
  public Paragraph with(String name, String value) {
    List<Field> out = new ArrayList<>(fields);
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).name.equalsIgnoreCase(name)) {
        out.set(i, new Field(out.get(i).name, value));
        return new Paragraph(out);
      }
    }
    out.add(new Field(name, value));
    return new Paragraph(out);
  }

  /** The same paragraph without a field. */
  public Paragraph without(String name) {
    List<Field> out = new ArrayList<>();
    for (Field f : fields) {
      if (!f.name.equalsIgnoreCase(name)) {
        out.add(f);
      }
    }
    return new Paragraph(out);
  }

  /** {@code Name: value} lines, each ending with '\n'; no blank line after. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Field f : fields) {
      sb.append(f.name).append(':');
      if (!f.value.isEmpty() && !f.value.startsWith("\n")) {
        sb.append(' ');
      }
      sb.append(f.value).append('\n');
    }
    return sb.toString();
  }

  static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
