package dev.imagepatch.patch;

import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.report.Report;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** What to patch, with what report, and where the result goes. Built with {@link #builder}. */
public final class PatchRequest {
  /** Layer compression. */
  public enum Compression { GZIP, ZSTD }

  private final ImageSource source;
  private final String reference;
  private final ImageTarget target;
  private final String tag;
  private final Report report;
  private final boolean ignoreErrors;
  private final boolean dryRun;
  private final Map<String, String> mirrors;
  private final List<String> extraSources;
  private final List<Path> keyrings;
  private final Path cacheDirectory;
  private final Compression compression;
  private final Long sourceDateEpoch;
  private final Instant now;
  private final boolean ignoreValidUntil;
  private final PatchListener listener;

  private PatchRequest(Builder b) {
    this.source = Objects.requireNonNull(b.source, "source");
    this.reference = b.reference;
    this.target = b.target;
    this.tag = b.tag;
    this.report = Objects.requireNonNull(b.report, "report");
    this.ignoreErrors = b.ignoreErrors;
    this.dryRun = b.dryRun;
    this.mirrors = Map.copyOf(b.mirrors);
    this.extraSources = List.copyOf(b.extraSources);
    this.keyrings = List.copyOf(b.keyrings);
    this.cacheDirectory = b.cacheDirectory;
    this.compression = b.compression;
    this.sourceDateEpoch = b.sourceDateEpoch;
    this.now = b.now;
    this.ignoreValidUntil = b.ignoreValidUntil;
    this.listener = b.listener;
    if (target == null && !dryRun) {
      throw new IllegalArgumentException("a patch needs a target (a registry repository or an OCI layout) unless it"
          + " is a dry run");
    }
  }

  public static Builder builder(ImageSource source, String reference, Report report) {
    return new Builder(source, reference, report);
  }

  /** Builds {@link PatchRequest}s. */
  public static final class Builder {
    private final ImageSource source;
    private final String reference;
    private final Report report;
    private ImageTarget target;
    private String tag;
    private boolean ignoreErrors;
    private boolean dryRun;
    private final Map<String, String> mirrors = new LinkedHashMap<>();
    private final List<String> extraSources = new ArrayList<>();
    private final List<Path> keyrings = new ArrayList<>();
    private Path cacheDirectory;
    private Compression compression = Compression.GZIP;
    private Long sourceDateEpoch;
    private Instant now = Instant.now();
    private boolean ignoreValidUntil;
    private PatchListener listener = PatchListener.silent();

    private Builder(ImageSource source, String reference, Report report) {
      this.source = source;
      this.reference = reference;
      this.report = report;
    }

    /** Where the patched image goes, and its tag (null: by digest only). */
    public Builder target(ImageTarget target, String tag) {
      this.target = target;
      this.tag = tag;
      return this;
    }

    /** Skip (and list) report entries that cannot be read or compared instead of failing. */
    public Builder ignoreErrors(boolean ignore) {
      this.ignoreErrors = ignore;
      return this;
    }

    /** Resolve and build the layer, but push nothing. */
    public Builder dryRun(boolean dry) {
      this.dryRun = dry;
      return this;
    }

    /** Fetch from {@code to} whatever the image's sources fetch from {@code from} (URI prefixes). */
    public Builder mirror(String from, String to) {
      mirrors.put(from, to);
      return this;
    }

    /** One more source, in sources.list syntax ({@code deb [signed-by=...] URI SUITE COMPONENT...}). */
    public Builder extraSource(String line) {
      extraSources.add(line);
      return this;
    }

    /** Keyrings to trust instead of the image's own (air-gapped mirrors with their own keys). */
    public Builder keyring(Path keyring) {
      keyrings.add(keyring);
      return this;
    }

    public Builder cacheDirectory(Path dir) {
      this.cacheDirectory = dir;
      return this;
    }

    public Builder compression(Compression c) {
      this.compression = c;
      return this;
    }

    /** Modification times in the new layer are clamped to this (else the base image's creation time). */
    public Builder sourceDateEpoch(long seconds) {
      this.sourceDateEpoch = seconds;
      return this;
    }

    /** The time Release files' Valid-Until is checked against (tests use a fixed one). */
    public Builder now(Instant time) {
      this.now = time;
      return this;
    }

    /** Accept Release files past their Valid-Until (frozen snapshots). Insecure, and logged as such. */
    public Builder ignoreValidUntil(boolean ignore) {
      this.ignoreValidUntil = ignore;
      return this;
    }

    public Builder listener(PatchListener l) {
      this.listener = l;
      return this;
    }

    public PatchRequest build() {
      return new PatchRequest(this);
    }
  }

  public ImageSource source() {
    return source;
  }

  /** The tag or digest of the image in the source (may be null for a single-image source). */
  public String reference() {
    return reference;
  }

  public Optional<ImageTarget> target() {
    return Optional.ofNullable(target);
  }

  public Optional<String> tag() {
    return Optional.ofNullable(tag);
  }

  public Report report() {
    return report;
  }

  public boolean ignoreErrors() {
    return ignoreErrors;
  }

  public boolean dryRun() {
    return dryRun;
  }

  public Map<String, String> mirrors() {
    return mirrors;
  }

  public List<String> extraSources() {
    return extraSources;
  }

  public List<Path> keyrings() {
    return keyrings;
  }

  public Optional<Path> cacheDirectory() {
    return Optional.ofNullable(cacheDirectory);
  }

  public Compression compression() {
    return compression;
  }

  public Optional<Long> sourceDateEpoch() {
    return Optional.ofNullable(sourceDateEpoch);
  }

  public Instant now() {
    return now;
  }

  public boolean ignoreValidUntil() {
    return ignoreValidUntil;
  }

  public PatchListener listener() {
    return listener;
  }
}
