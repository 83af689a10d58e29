package dev.imagepatch.fleet;

import dev.imagepatch.fleet.FleetResult.ImageResult;
import dev.imagepatch.fleet.FleetResult.Status;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RegistryException;
import dev.imagepatch.oci.registry.RemoteRepository;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import dev.imagepatch.report.Vulnerability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Patches a {@link FleetConfig} on one machine: a worker pool with a global limit and a limit per
 * registry, each image's failure its own. An image whose newest patched tag was made from the
 * source's current digest and holds everything there is to fix is skipped, and nothing is pushed.
 * Give the run's clients one shared {@code RegistryLimits} so that requests in flight and a host's
 * Retry-After pauses are counted per registry host across every image.
 */
public final class FleetRun {
  /** Called after an image is pushed (signing, attestations); an exception fails that image. */
  @FunctionalInterface
  public interface AfterPatch {
    void patched(ImageReference patched, Digest digest, PatchResult result) throws Exception;
  }

  // The history comment of imagepatch's patch layer names its base manifest's digest
  // (patch-engine's Repatch.HISTORY_MARK); it is how a patched tag tells what it was made from.
  static final String HISTORY_MARK = "imagepatch patch layer of ";

  private final FleetConfig config;
  private final Function<String, RegistryClient> clients;
  private final Optional<Path> reportsDir;
  private final Set<String> severities;
  private final Set<String> exceptions;
  private final int parallel;
  private final int perRegistry;
  private final Optional<Path> cache;
  private final RepositoryOptions repositories;
  private final Optional<Duration> timeout;
  private final Clock clock;
  private final Optional<Instant> now;
  private final Consumer<String> listener;
  private final Optional<AfterPatch> afterPatch;
  private final Patcher patcher;
  private final Map<String, Semaphore> registryLimits = new ConcurrentHashMap<>();

  private final ShardAssignment shard;
  private final Optional<ShardResults> results;

  private FleetRun(Builder b) {
    this.config = Objects.requireNonNull(b.config, "config");
    this.clients = Objects.requireNonNull(b.clients, "clients");
    this.reportsDir = Optional.ofNullable(b.reportsDir);
    this.severities = Set.copyOf(b.severities);
    this.exceptions = Set.copyOf(b.exceptions);
    this.parallel = b.parallel;
    this.perRegistry = b.perRegistry;
    this.cache = Optional.ofNullable(b.cache);
    this.repositories = b.repositories;
    this.timeout = Optional.ofNullable(b.timeout);
    this.clock = b.clock;
    this.now = Optional.ofNullable(b.now);
    this.listener = b.listener;
    this.afterPatch = Optional.ofNullable(b.afterPatch);
    this.patcher = b.patcher;
    this.shard = b.shard;
    this.results = Optional.ofNullable(b.results);
  }

  /** A run of {@code config}, its registries reached through {@code clients} (one client per registry host). */
  public static Builder builder(FleetConfig config, Function<String, RegistryClient> clients) {
    return new Builder(config, clients);
  }

  /** Builds {@link FleetRun}s. */
  public static final class Builder {
    private final FleetConfig config;
    private final Function<String, RegistryClient> clients;
    private Path reportsDir;
    private Set<String> severities = Set.of();
    private final Set<String> exceptions = new TreeSet<>();
    private int parallel = 4;
    private int perRegistry = 4;
    private Path cache;
    private RepositoryOptions repositories = RepositoryOptions.builder().build();
    private Duration timeout;
    private Clock clock = Clock.systemUTC();
    private Instant now;
    private Consumer<String> listener = m -> {};
    private AfterPatch afterPatch;
    private Patcher patcher = Patcher.create();
    private ShardAssignment shard = ShardAssignment.ALL;
    private ShardResults results;

    private Builder(FleetConfig config, Function<String, RegistryClient> clients) {
      this.config = config;
      this.clients = clients;
    }

    /**
     * A directory of Trivy or Grype reports, matched to images by {@code ArtifactName} (Copa's rule); an
     * image with a report is patched report-driven, one without is updated (update-all).
     */
    public Builder reports(Path dir) {
      this.reportsDir = dir;
      return this;
    }

    /** Only findings of these severities count (Trivy's {@code --severity CRITICAL,HIGH}); empty: all. */
    public Builder severities(Set<String> s) {
      this.severities = s.stream().map(x -> x.strip().toUpperCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
      return this;
    }

    /** Accepted vulnerability ids: neither patched for nor counted as without a fix. */
    public Builder exceptions(Set<String> ids) {
      exceptions.addAll(ids);
      return this;
    }

    /** The seed's {@code .copa-exceptions.txt}: one vulnerability id a line, {@code #} comments. */
    public Builder exceptionsFile(Path file) throws IOException {
      for (String line : Files.readAllLines(file)) {
        int hash = line.indexOf('#');
        String id = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (!id.isEmpty()) {
          exceptions.add(id.split("\\s+")[0]);
        }
      }
      return this;
    }

    /** Images patched at once (default 4). */
    public Builder parallel(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("parallel must be at least 1: " + n);
      }
      this.parallel = n;
      return this;
    }

    /** Images of one registry patched at once (default 4). */
    public Builder perRegistry(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("per-registry limit must be at least 1: " + n);
      }
      this.perRegistry = n;
      return this;
    }

    /** The package cache shared by every image of the run (indexes and packages are fetched once). */
    public Builder cacheDirectory(Path dir) {
      this.cache = dir;
      return this;
    }

    public Builder repositories(RepositoryOptions options) {
      this.repositories = Objects.requireNonNull(options);
      return this;
    }

    /** A wall-clock limit for each image's patch (Copa's per-job {@code --timeout}). */
    public Builder timeout(Duration limit) {
      this.timeout = limit;
      return this;
    }

    /** The clock the run's date ({@code {{ .Date }}}, the digests list) is read from. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c);
      return this;
    }

    /** The time repository metadata's validity is checked against (tests use a fixed one). */
    public Builder now(Instant time) {
      this.now = time;
      return this;
    }

    /** Progress, one line per step, prefixed with the image. */
    public Builder listener(Consumer<String> l) {
      this.listener = Objects.requireNonNull(l);
      return this;
    }

    public Builder afterPatch(AfterPatch hook) {
      this.afterPatch = hook;
      return this;
    }

    public Builder patcher(Patcher p) {
      this.patcher = Objects.requireNonNull(p);
      return this;
    }

    /**
     * Patch only the images shard {@code index} of {@code count} is assigned ({@link ShardAssignment}:
     * rendezvous hashing of the source reference after tag selection); every shard lists the tags.
     */
    public Builder shard(int index, int count) {
      this.shard = new ShardAssignment(index, count);
      return this;
    }

    /**
     * Record this shard's results in the registry after each image; a shard whose earlier run did not
     * finish (killed mid-run) keeps what that run finished and redoes only the rest.
     */
    public Builder results(ShardResults r) {
      this.results = Objects.requireNonNull(r);
      return this;
    }

    public FleetRun build() {
      return new FleetRun(this);
    }
  }

  /** One selected tag of one config entry. */
  private record Job(FleetConfig.ImageSpec spec, ImageReference source) {}

  /** Runs every image; reports that cannot be read fail the run before anything is patched. */
  public FleetResult run() throws IOException, InterruptedException {
    long start = System.nanoTime();
    LocalDate date = LocalDate.now(clock);
    Map<String, List<Report>> reports = readReports();
    ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
      Thread t = new Thread(r, "fleet-worker");
      t.setDaemon(true);
      return t;
    });
    try {
      // Tags first (one listing per entry), then the images, all through the same pool and limits.
      List<Future<List<Object>>> expansions = new ArrayList<>();
      for (FleetConfig.ImageSpec spec : config.images()) {
        expansions.add(pool.submit(() -> expand(spec)));
      }
      List<Object> planned = new ArrayList<>();
      for (Future<List<Object>> f : expansions) {
        planned.addAll(get(f));
      }
      // An unfinished earlier run of this shard (same config): keep what it finished.
      Map<String, ImageResult> earlier = new LinkedHashMap<>();
      if (results.isPresent()) {
        Optional<ShardResults.Recorded> r = results.get().load(shard);
        if (r.isPresent() && !r.get().complete()) {
          for (ImageResult i : r.get().images()) {
            if (i.status() != Status.FAILED) {
              earlier.put(i.source().toString(), i);
            }
          }
          listener.accept("shard " + shard + ": resuming, " + earlier.size() + " images finished earlier");
        }
      }
      List<ImageResult> finished = java.util.Collections.synchronizedList(new ArrayList<>(earlier.values()));
      List<Future<ImageResult>> running = new ArrayList<>();
      for (Object o : planned) {
        // A listing failure has no tag: it is reported by the shard its repository would go to.
        String ref = o instanceof Job j ? j.source().toString() : ((ImageResult) o).source().toString();
        if (!shard.owns(ref)) {
          continue;
        }
        if (earlier.containsKey(ref)) {
          running.add(java.util.concurrent.CompletableFuture.completedFuture(earlier.get(ref)));
        } else if (o instanceof Job job) {
          running.add(pool.submit(() -> recorded(finished, date, patch(job, date, reports))));
        } else {
          running.add(java.util.concurrent.CompletableFuture.completedFuture((ImageResult) o));
        }
      }
      List<ImageResult> out = new ArrayList<>();
      for (Future<ImageResult> f : running) {
        out.add(get(f));
      }
      if (results.isPresent()) {
        results.get().store(shard, out, date, true);
      }
      return new FleetResult(out, date, Duration.ofNanos(System.nanoTime() - start));
    } finally {
      pool.shutdownNow();
    }
  }

  /** Records a finished image at once, so a shard killed after it does not redo it. */
  private ImageResult recorded(List<ImageResult> finished, LocalDate date, ImageResult r) {
    if (results.isPresent()) {
      synchronized (finished) {
        finished.add(r);
        try {
          results.get().store(shard, List.copyOf(finished), date, false);
        } catch (IOException e) {
          // The end-of-run write is the one that counts; a lost intermediate one costs a redo at most.
          listener.accept("shard " + shard + ": recording results: " + message(e));
        }
      }
    }
    return r;
  }

  private static <T> T get(Future<T> f) throws InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      // Jobs catch their own failures; anything else is a bug worth its stack trace.
      throw new IllegalStateException(e.getCause());
    }
  }

  private List<Object> expand(FleetConfig.ImageSpec spec) {
    ImageReference repo = ImageReference.parse(spec.image());
    long start = System.nanoTime();
    try {
      List<String> available = withLimit(repo.registry(), null,
          () -> clients.apply(repo.registry()).listTags(repo.repository()));
      List<String> tags = TagSelector.select(spec.tags(), available, w -> listener.accept(spec.name() + ": " + w));
      List<Object> jobs = new ArrayList<>();
      for (String t : tags) {
        jobs.add(new Job(spec, ImageReference.of(repo.registry(), repo.repository(), t)));
      }
      if (tags.isEmpty()) {
        listener.accept(spec.name() + ": no tag selected");
      }
      return jobs;
    } catch (Exception e) {
      return List.of(failed(spec.name(), repo, "listing tags: " + message(e), start));
    }
  }

  private ImageResult patch(Job job, LocalDate date, Map<String, List<Report>> reports) {
    long start = System.nanoTime();
    ImageReference src = job.source();
    ImageReference target = job.spec().target(src);
    String sourceTag = src.tag().orElseThrow();
    try {
      return withLimit(src.registry(), target.registry(), () -> {
        RegistryClient sc = clients.apply(src.registry());
        RegistryClient tc = clients.apply(target.registry());
        JsonDocument source = sc.getManifest(src.repository(), sourceTag);
        List<Report> mine = reports.getOrDefault(src.toString(), List.of());
        Map<String, Report> byPlatform = byPlatform(mine);
        Map<String, String> severityOf = new HashMap<>();
        mine.forEach(r -> r.vulnerabilities().forEach(v -> severityOf.putIfAbsent(v.id(),
            v.severity() == null ? "UNKNOWN" : v.severity().toUpperCase(Locale.ROOT))));
        String mode = byPlatform.isEmpty() ? "update-all" : "report";
        List<String> existing = tagsOrNone(tc, target.repository());
        Optional<String> newest = PatchedTag.newest(job.spec().targetTag(), sourceTag, existing);
        String why = "";
        if (newest.isPresent()) {
          RemoteRepository targetRepo = tc.repository(target.repository());
          JsonDocument patched = tc.getManifest(target.repository(), newest.get());
          if (madeFrom(targetRepo, patched, source)) {
            PatchResult dry = patcher.patch(request(targetRepo, newest.get(), byPlatform, job).dryRun(true).build());
            if (dry.upToDate()) {
              String reason = newest.get() + " was made from the current digest and "
                  + (mode.equals("report") ? "holds every fix the report asks for" : "the repositories offer nothing newer");
              return result(job, Status.SKIPPED, source.digest(), Optional.of(target.withTag(newest.get())),
                  Optional.of(patched.digest()), reason, dry, severityOf, 0, start);
            }
            why = "newer fixes than " + newest.get() + "; ";
          } else {
            why = "the source changed since " + newest.get() + "; ";
          }
        }
        String tag = PatchedTag.next(job.spec().targetTag(), sourceTag, date, existing);
        PatchRequest.Builder b = request(sc.repository(src.repository()), sourceTag, byPlatform, job)
            .target(tc.repository(target.repository()), tag);
        PatchResult r = patcher.patch(b.build());
        if (r.patched().isEmpty()) {
          Status s = noFix(r).isEmpty() ? Status.UP_TO_DATE : Status.NO_FIX;
          String reason = s == Status.UP_TO_DATE ? "nothing to fix (" + mode + ")"
              : "nothing fixable; " + noFix(r).size() + " without a fix";
          return result(job, s, source.digest(), Optional.empty(), Optional.empty(), reason, r, severityOf, 0, start);
        }
        ImageReference out = target.withTag(tag);
        if (afterPatch.isPresent()) {
          afterPatch.get().patched(out, r.patched().get(), r);
        }
        return result(job, Status.PATCHED, source.digest(), Optional.of(out), r.patched(),
            why + changes(r) + " (" + mode + ")", r, severityOf, bytes(r), start);
      });
    } catch (Exception e) {
      return failed(job.spec().name(), src, message(e), start);
    }
  }

  private PatchRequest.Builder request(dev.imagepatch.oci.ImageSource from, String reference,
      Map<String, Report> byPlatform, Job job) {
    PatchRequest.Builder b = PatchRequest.builder(from, reference).reports(byPlatform).repositories(repositories)
        .listener(m -> listener.accept(job.source() + ": " + m));
    job.spec().platforms().forEach(b::platform);
    cache.ifPresent(b::cacheDirectory);
    timeout.ifPresent(b::timeout);
    now.ifPresent(b::now);
    return b;
  }

  /** Whether {@code patched} was made from {@code source} as it is now: each patched child names a source child as its base. */
  static boolean madeFrom(RemoteRepository repo, JsonDocument patched, JsonDocument source) throws IOException {
    Set<String> current = new HashSet<>();
    if (source instanceof Index i) {
      i.manifests().forEach(d -> current.add(d.digest().toString()));
    } else {
      current.add(source.digest().toString());
    }
    if (patched instanceof Manifest m) {
      return current.contains(base(repo, m));
    }
    if (!(patched instanceof Index index)) {
      return false;
    }
    boolean any = false;
    for (Descriptor d : index.manifests()) {
      if (current.contains(d.digest().toString())) {
        continue;   // a platform that passed through unchanged
      }
      JsonDocument child = repo.fetchManifest(d.digest().toString());
      if (!(child instanceof Manifest cm) || !current.contains(base(repo, cm))) {
        return false;
      }
      any = true;
    }
    return any;
  }

  private static String base(RemoteRepository repo, Manifest m) throws IOException {
    ImageConfig config;
    try (InputStream in = repo.openBlob(m.config())) {
      config = ImageConfig.parse(in.readAllBytes(), m.config().mediaType(), m.config().digest(), "config");
    }
    List<com.fasterxml.jackson.databind.node.ObjectNode> history = config.history();
    for (int i = history.size() - 1; i >= 0; i--) {
      if (!history.get(i).path("empty_layer").asBoolean(false)) {
        String comment = history.get(i).path("comment").asText("");
        return comment.startsWith(HISTORY_MARK) ? comment.substring(HISTORY_MARK.length()) : "";
      }
    }
    return "";
  }

  private static List<String> tagsOrNone(RegistryClient client, String repository) throws IOException {
    try {
      return client.listTags(repository);
    } catch (RegistryException e) {
      if (e.statusCode() == 404) {
        return List.of();   // no repository yet: nothing patched there
      }
      throw e;
    }
  }

  private ImageResult result(Job job, Status status, Digest sourceDigest, Optional<ImageReference> patched,
      Optional<Digest> patchedDigest, String details, PatchResult r, Map<String, String> severityOf, long bytes,
      long start) {
    Map<String, Integer> fixed = new TreeMap<>();
    if (status == Status.PATCHED) {
      all(r).flatMap(p -> p.fixed().stream()).map(PatchResult.Fixed::vulnerability).distinct()
          .forEach(id -> fixed.merge(severityOf.getOrDefault(id, "UNKNOWN"), 1, Integer::sum));
    }
    List<String> open = all(r).flatMap(p -> p.stillVulnerable().stream())
        .map(v -> v.vulnerability() + " (" + v.packageName() + ": " + v.reason() + ")").distinct().toList();
    List<String> nf = noFix(r);
    String d = details;
    if (!nf.isEmpty() && status != Status.NO_FIX) {
      d += "; " + nf.size() + " without a fix";
    }
    if (!open.isEmpty()) {
      d += "; still open: " + String.join(", ", open);
    }
    listener.accept(job.source() + ": " + status + " " + d);
    return new ImageResult(job.spec().name(), job.source(), status, Optional.of(sourceDigest), patched, patchedDigest,
        d, fixed, nf, open, bytes, Duration.ofNanos(System.nanoTime() - start));
  }

  private ImageResult failed(String name, ImageReference source, String message, long start) {
    listener.accept(source + ": FAILED " + message);
    return new ImageResult(name, source, Status.FAILED, Optional.empty(), Optional.empty(), Optional.empty(), message,
        Map.of(), List.of(), List.of(), 0, Duration.ofNanos(System.nanoTime() - start));
  }

  private static Stream<PatchResult> all(PatchResult r) {
    return Stream.concat(Stream.of(r), r.platforms().stream().flatMap(FleetRun::all));
  }

  private static List<String> noFix(PatchResult r) {
    return all(r).flatMap(p -> p.noFix().stream()).flatMap(n -> n.vulnerabilities().stream()).distinct().sorted().toList();
  }

  private static long bytes(PatchResult r) {
    return r.platforms().isEmpty() ? r.bytesWritten()
        : Math.max(r.bytesWritten(), r.platforms().stream().mapToLong(PatchResult::bytesWritten).sum());
  }

  private static String changes(PatchResult r) {
    List<String> names = all(r).flatMap(p -> p.changes().stream())
        .map(c -> c.name() + " " + c.from() + " -> " + c.to()).distinct().toList();
    return names.size() <= 3 ? String.join(", ", names) : String.join(", ", names.subList(0, 3))
        + " and " + (names.size() - 3) + " more";
  }

  private static String message(Throwable e) {
    while (e.getCause() != null && (e.getMessage() == null || e instanceof IllegalStateException)) {
      e = e.getCause();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T call() throws Exception;
  }

  /** Holds the registries' permits (in a fixed order, so two jobs never wait on each other) around {@code call}. */
  private <T> T withLimit(String registry, String other, IoCall<T> call) throws Exception {
    List<String> hosts = new ArrayList<>(new TreeSet<>(other == null ? List.of(registry) : List.of(registry, other)));
    List<Semaphore> held = new ArrayList<>();
    try {
      for (String h : hosts) {
        Semaphore s = registryLimits.computeIfAbsent(h, k -> new Semaphore(perRegistry));
        s.acquire();
        held.add(s);
      }
      return call.call();
    } finally {
      held.forEach(Semaphore::release);
    }
  }

  /** The reports of the directory, by normalized {@code ArtifactName}; filtered by severity and exceptions. */
  private Map<String, List<Report>> readReports() throws IOException {
    Map<String, List<Report>> out = new LinkedHashMap<>();
    if (reportsDir.isEmpty()) {
      return out;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(reportsDir.get())) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    for (Path f : files) {
      Report r = Reports.read(f);
      String name = r.artifactName().orElseThrow(() -> new IOException(f + ": the report has no ArtifactName to match"
          + " an image by"));
      String key;
      try {
        key = ImageReference.parse(name).toString();
      } catch (IllegalArgumentException e) {
        throw new IOException(f + ": ArtifactName " + name + " is no image reference", e);
      }
      out.computeIfAbsent(key, k -> new ArrayList<>()).add(filtered(r));
    }
    return out;
  }

  private Report filtered(Report r) {
    List<Vulnerability> kept = r.vulnerabilities().stream()
        .filter(v -> !exceptions.contains(v.id()))
        .filter(v -> severities.isEmpty() || (v.severity() != null && severities.contains(v.severity().toUpperCase(Locale.ROOT))))
        .toList();
    // The unfiltered findings keep their severities for the counts; the patch sees only these.
    return new Report(r.scanner(), r.source(), r.artifactName().orElse(null), r.osFamily().orElse(null),
        r.osVersion().orElse(null), r.architecture().orElse(null), r.variant().orElse(null), kept);
  }

  private static Map<String, Report> byPlatform(List<Report> reports) {
    Map<String, Report> out = new LinkedHashMap<>();
    for (Report r : reports) {
      String key = Reports.platformKey(r).orElse("");
      if (out.put(key, r) != null) {
        throw new IllegalArgumentException(r.source() + ": a second report for " + r.artifactName().orElse("?")
            + (key.isEmpty() ? "" : " (" + key + ")"));
      }
    }
    return out;
  }
}
