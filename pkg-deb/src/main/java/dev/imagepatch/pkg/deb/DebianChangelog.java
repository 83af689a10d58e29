package dev.imagepatch.pkg.deb;

import dev.imagepatch.pkg.version.DebianVersion;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Debian changelog ({@code debian/changelog}, shipped as {@code usr/share/doc/<pkg>/changelog.Debian.gz}):
 * its entries, newest first, and the CVE identifiers the entries name. Lines that are not an entry's
 * header belong to the entry above them, so old or irregular parts of long changelogs are read
 * without failing.
 */
public final class DebianChangelog {
  private DebianChangelog() {}

  /** One entry: {@code source (version) distributions; urgency=...}, and its text up to the next header. */
  public record Entry(String source, String version, String distributions, String text) {}

  /** A header line as dpkg-parsechangelog reads it: at column 0, a package name, a version in parentheses. */
  private static final Pattern HEADER =
      Pattern.compile("^([a-z0-9][a-z0-9+.-]*) \\(([^()\\s]+)\\)((?:\\s+[^\\s;]+)*)\\s*;.*$");
  private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d{4,}");
  /** Advisory ids other than CVEs that changelogs name: GitHub's (GHSA), Debian's security and LTS advisories. */
  private static final Pattern ADVISORY = Pattern.compile(
      "\\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|DSA-\\d+-\\d+|DLA-\\d+-\\d+)\\b");

  /** The entries of a changelog's text, in the order written (newest first). */
  public static List<Entry> parse(String text) {
    List<Entry> out = new ArrayList<>();
    String source = null;
    String version = null;
    String dists = null;
    StringBuilder body = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      Matcher m = HEADER.matcher(line);
      if (m.matches()) {
        if (version != null) {
          out.add(new Entry(source, version, dists, body.toString()));
        }
        source = m.group(1);
        version = m.group(2);
        dists = m.group(3).strip();
        body.setLength(0);
      } else if (version != null) {
        body.append(line).append('\n');
      }
    }
    if (version != null) {
      out.add(new Entry(source, version, dists, body.toString()));
    }
    return out;
  }

  /**
   * The entries newer than {@code installed} and not newer than {@code upTo}: what an upgrade
   * from {@code installed} to {@code upTo} brings. Reading stops at the first entry at or below
   * {@code installed}, as changelogs are newest first.
   */
  public static List<Entry> between(List<Entry> entries, String installed, String upTo) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (!valid(e.version())) {
        continue;
      }
      if (DebianVersion.ORDER.compare(e.version(), installed) <= 0) {
        break;
      }
      if (DebianVersion.ORDER.compare(e.version(), upTo) <= 0) {
        out.add(e);
      }
    }
    return out;
  }

  private static boolean valid(String version) {
    try {
      DebianVersion.parse(version);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The distinct CVE identifiers the entries name, in the order they first appear. */
  public static List<String> cves(List<Entry> entries) {
    return ids(entries, CVE);
  }

  /**
   * The distinct advisory ids other than CVEs the entries name (GHSA-..., DSA-N-N, DLA-N-N), in
   * the order they first appear: what names a fix whose entries name no CVE.
   */
  public static List<String> advisories(List<Entry> entries) {
    return ids(entries, ADVISORY);
  }

  private static List<String> ids(List<Entry> entries, Pattern pattern) {
    Set<String> out = new LinkedHashSet<>();
    for (Entry e : entries) {
      Matcher m = pattern.matcher(e.text());
      while (m.find()) {
        out.add(m.group());
      }
    }
    return List.copyOf(out);
  }
}
