package dev.imagepatch.patch.debian;

import dev.imagepatch.pkg.deb.Paragraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Status-file stanzas as dpkg writes them (lib/dpkg/dump.c): its field order, then the others as the control file has them. */
final class StatusStanzas {
  private StatusStanzas() {}

  /** dpkg's own order of the fields it knows. */
  private static final List<String> ORDER = List.of("package", "essential", "protected", "status", "priority",
      "section", "installed-size", "origin", "maintainer", "bugs", "architecture", "multi-arch", "source", "version",
      "revision", "config-version", "replaces", "provides", "depends", "pre-depends", "recommends", "suggests",
      "breaks", "conflicts", "enhances", "conffiles", "filename", "size", "md5sum", "msdos-filename", "description",
      "triggers-pending", "triggers-awaited");

  /**
   * The stanza dpkg leaves for an installed package: the package's control fields, {@code Status:
   * install ok installed}, and {@code Conffiles} with the distributed versions' MD5 sums.
   */
  static Paragraph installed(Paragraph control, List<String> conffiles, Map<String, String> md5ByPath) {
    List<Paragraph.Field> fields = new ArrayList<>(control.fields());
    fields.add(new Paragraph.Field("Status", "install ok installed"));
    if (!conffiles.isEmpty()) {
      StringBuilder value = new StringBuilder();
      for (String path : conffiles) {
        String md5 = md5ByPath.get(path.startsWith("/") ? path.substring(1) : path);
        value.append("\n ").append(path).append(' ').append(md5 == null ? "newconffile" : md5);
      }
      fields.add(new Paragraph.Field("Conffiles", value.toString()));
    }
    return ordered(fields);
  }

  /**
   * The stanza dpkg leaves between unpacking a new version and configuring it: {@code Status:
   * install ok unpacked}, {@code Config-Version} naming the version still configured, and each
   * conffile with the hash recorded for the configured version ({@code newconffile} for new ones).
   */
  static Paragraph unpacked(Paragraph control, List<String> conffiles, Paragraph old) {
    List<Paragraph.Field> fields = new ArrayList<>(control.fields());
    fields.add(new Paragraph.Field("Status", "install ok unpacked"));
    Map<String, String> recorded = new java.util.HashMap<>();
    if (old != null) {
      old.get("Version").ifPresent(v -> fields.add(new Paragraph.Field("Config-Version", v.strip())));
      for (String line : old.lines("Conffiles")) {
        String[] f = line.strip().split("\\s+");
        if (f.length >= 2) {
          recorded.put(f[0], f[1]);
        }
      }
    }
    if (!conffiles.isEmpty()) {
      StringBuilder value = new StringBuilder();
      for (String path : conffiles) {
        value.append("\n ").append(path).append(' ').append(recorded.getOrDefault(path, "newconffile"));
      }
      fields.add(new Paragraph.Field("Conffiles", value.toString()));
    }
    return ordered(fields);
  }

  /** A stanza with a field set (replaced, or added in dpkg's place for it). */
  static Paragraph with(Paragraph stanza, String name, String value) {
    List<Paragraph.Field> fields = new ArrayList<>(stanza.without(name).fields());
    fields.add(new Paragraph.Field(name, value));
    return ordered(fields);
  }

  private static Paragraph ordered(List<Paragraph.Field> fields) {
    List<Paragraph.Field> known = new ArrayList<>();
    List<Paragraph.Field> others = new ArrayList<>();
    for (Paragraph.Field f : fields) {
      (ORDER.contains(f.name().toLowerCase(Locale.ROOT)) ? known : others).add(f);
    }
    known.sort((a, b) -> Integer.compare(ORDER.indexOf(a.name().toLowerCase(Locale.ROOT)),
        ORDER.indexOf(b.name().toLowerCase(Locale.ROOT))));
    List<Paragraph.Field> out = new ArrayList<>(known);
    out.addAll(others);
    return Paragraph.of(out);
  }
}
