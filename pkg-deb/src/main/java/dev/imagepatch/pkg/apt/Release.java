package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.deb.ControlFile;
import dev.imagepatch.pkg.deb.Paragraph;
import java.io.IOException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A repository's Release file (the signed part of {@code InRelease}): suite, dates, architectures,
 * components, and the SHA256 of every index it lists. Only SHA256 is trusted; MD5Sum and SHA1
 * lists are ignored, as apt ignores them.
 */
public final class Release {
  /** One index file the Release vouches for. */
  public record IndexFile(String path, String sha256, long size) {}

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss z", Locale.ENGLISH);

  private final String source;
  private final Paragraph fields;
  private final Map<String, IndexFile> sha256;

  private Release(String source, Paragraph fields, Map<String, IndexFile> sha256) {
    this.source = source;
    this.fields = fields;
    this.sha256 = Collections.unmodifiableMap(sha256);
  }

  /** Parses Release text (already verified, when it came from InRelease). */
  public static Release parse(String text, String source) throws IOException {
    List<Paragraph> paragraphs = ControlFile.parse(text, source);
    if (paragraphs.size() != 1) {
      throw new IOException(source + ": a Release file holds one paragraph, found " + paragraphs.size());
    }
    Paragraph p = paragraphs.get(0);
    Map<String, IndexFile> files = new LinkedHashMap<>();
    for (String line : p.lines("SHA256")) {
      String[] f = line.split("\\s+");
      if (f.length != 3 || f[0].length() != 64) {
        throw new IOException(source + ": bad SHA256 line '" + line + "'");
      }
      try {
        files.put(f[2], new IndexFile(f[2], f[0].toLowerCase(Locale.ROOT), Long.parseLong(f[1])));
      } catch (NumberFormatException e) {
        throw new IOException(source + ": bad size in SHA256 line '" + line + "'");
      }
    }
    Release release = new Release(source, p, files);
    release.date(); // a malformed date is an error now, not on first use
    release.validUntil();
    return release;
  }

  public String source() {
    return source;
  }

  /** Every field, for what this class does not model (Origin, Label, Version, ...). */
  public Paragraph fields() {
    return fields;
  }

  public Optional<String> suite() {
    return fields.get("Suite").map(String::strip);
  }

  public Optional<String> codename() {
    return fields.get("Codename").map(String::strip);
  }

  public List<String> architectures() {
    return words("Architectures");
  }

  public List<String> components() {
    return words("Components");
  }

  /** True when the repository serves indexes under {@code by-hash/SHA256/<digest>}. */
  public boolean acquireByHash() {
    return fields.get("Acquire-By-Hash").map(v -> v.strip().equalsIgnoreCase("yes")).orElse(false);
  }

  public Optional<Instant> date() throws IOException {
    return instant("Date");
  }

  public Optional<Instant> validUntil() throws IOException {
    return instant("Valid-Until");
  }

  /** The SHA256 and size the Release gives for an index path (relative to the dists/SUITE directory). */
  public Optional<IndexFile> sha256(String path) {
    return Optional.ofNullable(sha256.get(path));
  }

  /** Every index listed with a SHA256. */
  public Map<String, IndexFile> indexFiles() {
    return sha256;
  }

  /**
   * Checks Valid-Until against {@code now}: a Release past it may be a replay of old metadata that
   * hides newer security fixes, so it is refused.
   */
  public void checkValidAt(Instant now) throws IOException {
    Optional<Instant> until = validUntil();
    if (until.isPresent() && now.isAfter(until.get())) {
      throw new IOException(source + ": expired: Valid-Until was " + fields.require("Valid-Until") + " (now " + now
          + "); the mirror serves stale metadata");
    }
  }

  private List<String> words(String field) {
    return fields.get(field).map(v -> Arrays.stream(v.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  private Optional<Instant> instant(String field) throws IOException {
    Optional<String> v = fields.get(field);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(ZonedDateTime.parse(v.get().strip(), DATE).toInstant());
    } catch (DateTimeParseException e) {
      throw new IOException(source + ": " + field + " '" + v.get().strip() + "' is not a date");
    }
  }
}
