package dev.imagepatch.pkg.deb;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** Status-file stanzas as dpkg writes them (lib/dpkg/dump.c): its field order, then the others as the control file has them. */
public final class StatusStanzas {
  private StatusStanzas() {}

  /** dpkg's own order of the fields it knows. */
  private static final List<String> ORDER = List.of("package", "essential", "protected", "status", "priority",
      "section", "installed-size", "origin", "maintainer", "bugs", "architecture", "multi-arch", "source", "version",
      "revision", "config-version", "replaces", "provides", "depends", "pre-depends", "recommends", "suggests",
      "breaks", "conflicts", "enhances", "conffiles", "filename", "size", "md5sum", "msdos-filename", "description",
      "triggers-pending", "triggers-awaited");

  /**
   * The stanza dpkg leaves for an installed package: the package's control fields, {@code Status:
   * install ok installed}, and {@code Conffiles} with the distributed versions' MD5 sums (by path
   * without the leading "/"); a conffile the package asks to remove keeps the hash recorded for
   * the old version.
   */
  public static Paragraph installed(Paragraph control, List<DebArchive.Conffile> conffiles, Map<String, String> md5ByPath,
      Paragraph old) {
    List<Paragraph.Field> fields = new ArrayList<>(control.fields());
    fields.add(new Paragraph.Field("Status", "install ok installed"));
    Map<String, String> recorded = recorded(old);
    addConffiles(fields, conffiles, c -> c.removeOnUpgrade() ? recorded.get(c.path())
        : md5ByPath.get(c.path().substring(1)));
    return ordered(fields);
  }

  /**
   * The stanza dpkg leaves between unpacking a new version and configuring it: {@code Status:
   * install ok unpacked}, {@code Config-Version} naming the version still configured, and each
   * conffile with the hash recorded for the configured version ({@code newconffile} for new ones).
   */
  public static Paragraph unpacked(Paragraph control, List<DebArchive.Conffile> conffiles, Paragraph old) {
    List<Paragraph.Field> fields = new ArrayList<>(control.fields());
    fields.add(new Paragraph.Field("Status", "install ok unpacked"));
    if (old != null) {
      old.get("Version").ifPresent(v -> fields.add(new Paragraph.Field("Config-Version", v.strip())));
    }
    Map<String, String> recorded = recorded(old);
    addConffiles(fields, conffiles, c -> recorded.get(c.path()));
    return ordered(fields);
  }

  /** The hashes a status stanza records for its conffiles, by absolute path. */
  public static Map<String, String> recorded(Paragraph stanza) {
    Map<String, String> out = new HashMap<>();
    if (stanza != null) {
      for (String line : stanza.lines("Conffiles")) {
        String[] f = line.split("\\s+");
        if (f.length >= 2) {
          out.put(f[0], f[1]);
        }
      }
    }
    return out;
  }

  private static void addConffiles(List<Paragraph.Field> fields, List<DebArchive.Conffile> conffiles,
      Function<DebArchive.Conffile, String> hash) {
    if (conffiles.isEmpty()) {
      return;
    }
    StringBuilder value = new StringBuilder();
    for (DebArchive.Conffile c : conffiles) {
      String md5 = hash.apply(c);
      value.append("\n ").append(c.path()).append(' ').append(md5 == null ? "newconffile" : md5)
          .append(c.removeOnUpgrade() ? " remove-on-upgrade" : "");
    }
    fields.add(new Paragraph.Field("Conffiles", value.toString()));
  }

  /**
   * A stanza whose {@code Conffiles} go on with the given obsolete ones (path without the leading
   * "/", recorded hash), flagged as dpkg flags the conffiles a new version no longer ships.
   */
  public static Paragraph withObsolete(Paragraph stanza, Map<String, String> obsolete) {
    if (obsolete.isEmpty()) {
      return stanza;
    }
    StringBuilder value = new StringBuilder(stanza.get("Conffiles").orElse(""));
    obsolete.forEach((path, md5) -> value.append("\n /").append(path).append(' ').append(md5).append(" obsolete"));
    return with(stanza, "Conffiles", value.toString());
  }

  /** A stanza with a field set (replaced, or added in dpkg's place for it). */
  public static Paragraph with(Paragraph stanza, String name, String value) {
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
