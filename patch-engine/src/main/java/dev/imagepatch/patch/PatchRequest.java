package dev.imagepatch.patch;

import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.IndexLimits;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.report.Report;
import dev.imagepatch.pkg.io.DiskBudget;
import java.nio.file.Path;
import java.time.Duration;
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
  private final Map<String, Report> reports;
  private final List<Platform> platforms;
  private final boolean perPlatformTags;
  private final int concurrency;
  private final boolean ignoreErrors;
  private final boolean dryRun;
  private final boolean strict;
  private final RepositoryOptions repositories;
  private final Map<PackageManager, RepositoryOptions> familyRepositories;
  private final Path cacheDirectory;
  private final Compression compression;
  private final Long sourceDateEpoch;
  private final Instant now;
  private final PatchListener listener;
  private final Duration timeout;
  private final long maxTempBytes;
  private final IndexLimits indexLimits;

  private PatchRequest(Builder b) {
    this.source = Objects.requireNonNull(b.source, "source");
    this.reference = b.reference;
    this.target = b.target;
    this.tag = b.tag;
    this.reports = Map.copyOf(b.reports);
    this.platforms = List.copyOf(b.platforms);
    this.perPlatformTags = b.perPlatformTags;
    this.concurrency = b.concurrency;
    this.ignoreErrors = b.ignoreErrors;
    this.dryRun = b.dryRun;
    this.strict = b.strict;
    this.repositories = b.repositories;
    this.familyRepositories = Map.copyOf(b.familyRepositories);
    this.cacheDirectory = b.cacheDirectory;
    this.compression = b.compression;
    this.sourceDateEpoch = b.sourceDateEpoch;
    this.now = b.now;
    this.listener = b.listener;
    this.timeout = b.timeout;
    this.maxTempBytes = b.maxTempBytes;
    this.indexLimits = b.indexLimits;
    if (target == null && !dryRun) {
      throw new IllegalArgumentException("a patch needs a target (a registry repository or an OCI layout) unless it"
          + " is a dry run");
    }
  }

  /** A request without reports: every package with a newer version in the image's repositories is upgraded. */
  public static Builder builder(ImageSource source, String reference) {
    return new Builder(source, reference);
  }

  /** A request patching what {@code report} found. */
  public static Builder builder(ImageSource source, String reference, Report report) {
    return new Builder(source, reference).report(report);
  }

  /** Builds {@link PatchRequest}s. */
  public static final class Builder {
    private final ImageSource source;
    private final String reference;
    private final Map<String, Report> reports = new LinkedHashMap<>();
    private final List<Platform> platforms = new ArrayList<>();
    private boolean perPlatformTags;
    private int concurrency = 2;
    private ImageTarget target;
    private String tag;
    private boolean ignoreErrors;
    private boolean dryRun;
    private boolean strict;
    private RepositoryOptions repositories = RepositoryOptions.none();
    private final Map<PackageManager, RepositoryOptions> familyRepositories = new java.util.EnumMap<>(
        PackageManager.class);
    private Path cacheDirectory;
    private Compression compression = Compression.GZIP;
    private Long sourceDateEpoch;
    private Instant now = Instant.now();
    private Duration timeout;
    private long maxTempBytes = Long.getLong("imagepatch.maxTempBytes", DiskBudget.DEFAULT_LIMIT);
    private IndexLimits indexLimits = IndexLimits.DEFAULT;
    private PatchListener listener = PatchListener.silent();

    private Builder(ImageSource source, String reference) {
      this.source = source;
      this.reference = reference;
    }

    /**
     * A report to patch; for an index, it applies to the platform it names (a report naming no
     * architecture applies to a single-platform image only).
     */
    public Builder report(Report report) {
      reports.put(report.architecture().map(a -> PatchRequest.key(report)).orElse(""), report);
      return this;
    }

    /** One report per platform (e.g. {@code Reports.readDirectory}), keyed by platform. */
    public Builder reports(Map<String, Report> byPlatform) {
      byPlatform.values().forEach(this::report);
      return this;
    }

    /** Patch only these platforms of an index; the others pass through unchanged. */
    public Builder platform(Platform platform) {
      platforms.add(platform);
      return this;
    }

    /** Also tag each patched platform's manifest {@code <tag>-<arch>} (Copa's per-platform tags). */
    public Builder perPlatformTags(boolean tags) {
      this.perPlatformTags = tags;
      return this;
    }

    /** How many platforms are patched at once (default 2). */
    public Builder concurrency(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1");
      }
      this.concurrency = n;
      return this;
    }

    /**
     * A wall-clock limit for the whole patch, all platforms together (Copa's {@code --timeout}).
     * When it passes, the patch is interrupted and fails with {@link PatchTimeoutException}; the
     * patched tag is not written unless the patch had already written it. Default: none.
     */
    public Builder timeout(Duration limit) {
      if (limit.isNegative() || limit.isZero()) {
        throw new IllegalArgumentException("the timeout must be positive: " + limit);
      }
      this.timeout = limit;
      return this;
    }

    /**
     * The most the patch may write to its temporary directory, all platforms together: spooled
     * image files and unpacked package contents. A decompression bomb fails there instead of
     * filling the disk. Default: 16 GiB, or the system property {@code imagepatch.maxTempBytes}.
     */
    public Builder maxTempBytes(long limit) {
      if (limit <= 0) {
        throw new IllegalArgumentException("the temporary-file limit must be positive: " + limit);
      }
      this.maxTempBytes = limit;
      return this;
    }

    /** How deep indexes may nest and how many entries one may list (default {@link IndexLimits#DEFAULT}). */
    public Builder indexLimits(IndexLimits limits) {
      this.indexLimits = Objects.requireNonNull(limits, "limits");
      return this;
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

    /**
     * Fail, before anything is pushed, when a maintainer script or trigger the upgrade would run
     * has effects the engine does not reproduce (the "script not run" notes).
     */
    public Builder strict(boolean strict) {
      this.strict = strict;
      return this;
    }

    /** Mirrors, extra repositories and keys for whichever package family the image turns out to use. */
    public Builder repositories(RepositoryOptions options) {
      this.repositories = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Repository options for one package family, over those given for all. */
    public Builder repositories(PackageManager family, RepositoryOptions options) {
      familyRepositories.put(family, Objects.requireNonNull(options, "options"));
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

    /** The time repository metadata's validity is checked against (tests use a fixed one). */
    public Builder now(Instant time) {
      this.now = time;
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

  /** The reports by platform key ("" for one naming no architecture); empty: update everything. */
  public Map<String, Report> reports() {
    return reports;
  }

  /** The report for a platform, if any: the one naming it, or the only one when it names none. */
  public Optional<Report> reportFor(Platform platform) {
    for (Map.Entry<String, Report> e : reports.entrySet()) {
      if (!e.getKey().isEmpty() && Platform.parse("linux/" + e.getKey()).matches(platform)) {
        return Optional.of(e.getValue());
      }
    }
    return reports.size() == 1 && reports.containsKey("") ? Optional.of(reports.get("")) : Optional.empty();
  }

  /** Selected platforms; empty: every Linux platform. */
  public List<Platform> platforms() {
    return platforms;
  }

  public boolean perPlatformTags() {
    return perPlatformTags;
  }

  public int concurrency() {
    return concurrency;
  }

  static String key(Report report) {
    return dev.imagepatch.report.Reports.platformKey(report).orElse("");
  }

  public IndexLimits indexLimits() {
    return indexLimits;
  }

  public boolean ignoreErrors() {
    return ignoreErrors;
  }

  public boolean dryRun() {
    return dryRun;
  }

  public boolean strict() {
    return strict;
  }

  /** The repository options for {@code family}: its own when given, else those given for all. */
  public RepositoryOptions repositories(PackageManager family) {
    return familyRepositories.getOrDefault(family, repositories);
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

  public PatchListener listener() {
    return listener;
  }

  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /** The most the patch may write to its temporary directory ({@link Builder#maxTempBytes}). */
  public long maxTempBytes() {
    return maxTempBytes;
  }
}
