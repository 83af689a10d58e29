package dev.imagepatch.patch.debian;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.ImageSurgery;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.Layers;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.internal.CountingInputStream;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.oci.internal.Sizes;
import dev.imagepatch.patch.PatchBackend;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.apt.AptRepository;
import dev.imagepatch.pkg.apt.AptResolver;
import dev.imagepatch.pkg.apt.AptSource;
import dev.imagepatch.pkg.apt.ContentCache;
import dev.imagepatch.pkg.apt.PackageIndex;
import dev.imagepatch.pkg.apt.SignedRelease;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.version.DebianVersion;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import dev.imagepatch.pkg.deb.InstalledPackage;
import dev.imagepatch.report.OsFamily;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.UpdatePlan;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * The native backend for Debian and Ubuntu images: reads the image's dpkg database, sources and
 * keys from its layers, resolves the report's fixes from the image's own repositories, writes one
 * layer with the new packages and the database as dpkg would leave it, pushes the image and reads
 * it back to check every fix from its own database.
 */
public final class DebianBackend implements PatchBackend {
  /**
   * The history comment of a patch layer; it names the base image. Config and manifest otherwise
   * stay as they were, so this is where a second patch learns to replace the first.
   */
  public static final String HISTORY_MARK = "imagepatch patch layer of ";

  static final Predicate<String> KEEP = p -> p.equals("var/lib/dpkg/status")
      || p.startsWith("var/lib/dpkg/status.d/")
      || (p.startsWith("var/lib/dpkg/info/") && (p.endsWith(".list") || p.endsWith(".triggers")))
      || p.startsWith(DebianLayer.TRIGGERS_DIR + "/")
      || p.equals("var/lib/apt/extended_states")
      || p.startsWith(Alternatives.ADMIN) || p.equals(DpkgOverrides.DIVERSIONS) || p.equals(DpkgOverrides.STATOVERRIDE)
      || p.equals(DpkgOverrides.PASSWD) || p.equals(DpkgOverrides.GROUP)
      // ldconfig's configuration and cache, which the ldconfig trigger rewrites.
      || p.equals(LdCache.CACHE) || p.equals(LdCache.CONF) || p.startsWith(LdCache.CONF + ".d/")
      || p.equals("etc/os-release") || p.equals("usr/lib/os-release")
      || p.equals("etc/apt/sources.list") || p.startsWith("etc/apt/sources.list.d/")
      || p.equals("etc/apt/trusted.gpg") || p.startsWith("etc/apt/trusted.gpg.d/")
      || p.startsWith("etc/apt/keyrings/") || p.startsWith("usr/share/keyrings/")
      // The trust store, which configuring ca-certificates rebuilds.
      || p.equals(CaCertificates.CONF) || p.equals(CaCertificates.DEBCONF)
      || p.startsWith(CaCertificates.SHARE + "/") || p.startsWith(CaCertificates.LOCAL + "/")
      || p.startsWith(CaCertificates.ETC + "/");
  /** The ELF facts ldconfig needs of every file named like a shared library, read as it streams by. */
  static final MergedFilesystem.Probe SONAMES = new MergedFilesystem.Probe() {
    @Override
    public boolean wants(String path) {
      return LdCache.isDso(path.substring(path.lastIndexOf('/') + 1));
    }

    @Override
    public String probe(InputStream content) throws IOException {
      return ElfInfo.read(content).map(ElfInfo::encode).orElse(null);
    }
  };
  /** Conffiles live in /etc: their MD5 decides whether the image changed them. */
  static final Predicate<String> HASH = p -> p.startsWith("etc/") || PythonByteCode.isSource(p);

  /**
   * Contents copied to disk as the layers stream: byte-code, whose headers may be rewritten, and
   * /etc, small and the only place a changed file may have to be kept aside as {@code .dpkg-old}.
   */
  static final Predicate<String> SPOOL = p -> PythonByteCode.isByteCode(p) || p.startsWith("etc/");

  @Override
  public String name() {
    return "native";
  }

  @Override
  public PatchResult patch(PatchRequest request) throws PatchException {
    Path work = null;
    try {
      work = Files.createTempDirectory("imagepatch-");
      Context ctx = new Context(request, work, new ContentCache(request.cacheDirectory().orElse(
          ContentCache.defaultRoot())), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
          .followRedirects(HttpClient.Redirect.NORMAL).build(), new AtomicLong());
      ImageSource src = request.source();
      JsonDocument doc = src.fetchManifest(request.reference());
      if (doc instanceof Index index) {
        return patchIndex(ctx, index);
      }
      Manifest manifest = (Manifest) doc;
      ImageConfig config = readConfig(src, manifest);
      Optional<Report> report = Optional.empty();
      if (!request.reports().isEmpty()) {
        Platform platform = config.platform();
        report = request.reportFor(platform);
        if (report.isEmpty()) {
          throw new PatchException("no report for the image's platform " + platform + " (the reports name: "
              + String.join(", ", request.reports().keySet()) + ")");
        }
      }
      return patchImage(ctx, manifest, config, report, request.tag().orElse(null), request.listener());
    } catch (IOException e) {
      throw new PatchException(e.getMessage(), e);
    } finally {
      if (work != null) {
        deleteQuietly(work);
      }
    }
  }

  /** What one patch run shares across platforms: the request, a work directory, the cache, HTTP. */
  private record Context(PatchRequest req, Path work, ContentCache cache, HttpClient http, AtomicLong jobs) {
    Path newDirectory() throws IOException {
      return Files.createDirectories(work.resolve("job-" + jobs.incrementAndGet()));
    }
  }

  /**
   * Patches each Linux platform of an index that a report (or update-all) selects, concurrently,
   * then writes the index with the patched children in place: same media type, annotations and
   * order; each entry keeps its platform and annotations. Children are pushed by digest; the index
   * last, under the tag, so a failure moves no tag.
   */
  private PatchResult patchIndex(Context ctx, Index index) throws IOException, PatchException {
    PatchRequest req = ctx.req();
    ImageSource src = req.source();
    List<String> passed = new ArrayList<>();
    Map<Descriptor, java.util.concurrent.Future<PatchResult>> jobs = new LinkedHashMap<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(req.concurrency());
    try {
      for (Descriptor entry : index.manifests()) {
        Optional<Platform> platform = entry.platform();
        String why = null;
        if (isAttestation(entry)) {
          continue;
        } else if (!MediaTypes.isManifest(entry.mediaType())) {
          why = "not an image manifest";
        } else if (platform.isEmpty()) {
          why = "no platform";
        } else if (!platform.get().os().equals("linux")) {
          why = "not Linux";
        } else if (!req.platforms().isEmpty() && req.platforms().stream().noneMatch(p -> p.matches(platform.get()))) {
          why = "not selected";
        } else if (!req.reports().isEmpty() && req.reportFor(platform.get()).isEmpty()) {
          why = "no report names it";
        }
        if (why != null) {
          passed.add(entry.digest() + " " + platform.map(Platform::toString).orElse("") + ": " + why);
          continue;
        }
        String key = key(platform.get());
        Optional<Report> report = req.reportFor(platform.get());
        String childTag = req.perPlatformTags() && req.tag().isPresent() ? req.tag().get() + "-" + key.replace('/', '-')
            : null;
        PatchListener prefixed = message -> req.listener().step("[" + key + "] " + message);
        jobs.put(entry, pool.submit(() -> {
          Manifest child = (Manifest) src.fetchManifest(entry.digest().toString());
          return patchImage(ctx, child, readConfig(src, child), report, childTag, prefixed).forPlatform(key);
        }));
      }
      Map<Digest, PatchResult> patched = new LinkedHashMap<>();
      List<PatchResult> results = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (Map.Entry<Descriptor, java.util.concurrent.Future<PatchResult>> job : jobs.entrySet()) {
        String label = job.getKey().platform().map(Platform::toString).orElse("?");
        try {
          PatchResult r = job.getValue().get();
          results.add(r);
          if (r.patched().isPresent() || req.dryRun()) {
            patched.put(job.getKey().digest(), r);
          }
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable cause = e.getCause();
          failures.add(label + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted");
        }
      }
      if (!failures.isEmpty()) {
        if (!req.ignoreErrors()) {
          throw new PatchException("patching failed for " + failures.size() + " platform(s); the index was not pushed: "
              + String.join("; ", failures) + " (ignore-errors leaves failed platforms unpatched)");
        }
        failures.forEach(f -> passed.add(f + " (failed, left unpatched)"));
      }
      List<Descriptor> entries = new ArrayList<>();
      Set<Digest> replaced = new java.util.HashSet<>();
      for (Descriptor entry : index.manifests()) {
        PatchResult r = patched.get(entry.digest());
        if (r != null && r.patched().isPresent()) {
          entries.add(entry.withContent(r.manifest().get().digest(), r.manifest().get().size()));
          replaced.add(entry.digest());
        } else if (isAttestation(entry) && replaced.contains(attests(entry))) {
          passed.add(entry.digest() + ": attestation of " + attests(entry) + " dropped, it describes the unpatched image");
        } else {
          entries.add(entry);
        }
      }
      // Attestations may come before the child they describe: drop those too.
      entries.removeIf(e -> isAttestation(e) && replaced.contains(attests(e)));
      for (Descriptor entry : index.manifests()) {
        if (isAttestation(entry) && replaced.contains(attests(entry))
            && passed.stream().noneMatch(p -> p.startsWith(entry.digest().toString()))) {
          passed.add(entry.digest() + ": attestation of " + attests(entry) + " dropped, it describes the unpatched"
              + " image");
        }
      }
      Index newIndex = index.withManifests(entries);
      boolean changed = !replaced.isEmpty();
      if (changed && !req.dryRun()) {
        // What passes through must be in the target too (another repository, an OCI layout): copied, or
        // found there already, before the index that names it.
        ImageCopier copier = ImageCopier.create(4, new ImageCopier.Listener() {});
        for (Descriptor entry : entries) {
          if (!replaced.contains(entry.digest()) && patched.values().stream()
              .noneMatch(r -> r.manifest().map(d -> d.digest().equals(entry.digest())).orElse(false))) {
            copier.copy(src, entry.digest().toString(), req.target().get(), null);
          }
        }
        req.target().orElseThrow().putManifest(newIndex, req.tag().orElse(null));
        req.listener().step("pushed index " + newIndex.digest() + req.tag().map(t -> " as " + t).orElse("") + " to "
            + req.target().get().describe());
      }
      return new PatchResult(index.digest(), changed && !req.dryRun() ? Optional.of(newIndex.descriptor())
          : Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
          results.stream().mapToLong(PatchResult::bytesRead).sum(),
          results.stream().mapToLong(PatchResult::bytesWritten).sum(), Optional.empty(), results, passed);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Docker's build attestations: {@code unknown/unknown} entries marked as attestation manifests. */
  static boolean isAttestation(Descriptor d) {
    return "attestation-manifest".equals(d.annotations().get("vnd.docker.reference.type"));
  }

  private static Digest attests(Descriptor attestation) {
    String d = attestation.annotations().get("vnd.docker.reference.digest");
    return d != null && Digest.isDigest(d) ? Digest.parse(d) : null;
  }

  /** {@code amd64}, {@code arm64}, {@code arm/v7}: the platform key reports and tags use. */
  static String key(Platform platform) {
    Platform n = platform.normalized();
    return n.architecture().equals("arm") ? "arm/" + n.variant().orElse("v7") : n.architecture();
  }

  /**
   * Patches one image manifest: the report's fixes, or every package with a newer version when
   * there is no report. Pushes the image under {@code tag} (by digest when null).
   */
  private PatchResult patchImage(Context ctx, Manifest manifest, ImageConfig config, Optional<Report> report,
      String tag, PatchListener out) throws IOException, PatchException {
    PatchRequest req = ctx.req();
    ImageSource src = req.source();
    Platform platform = config.platform();
    String arch = debianArchitecture(platform);

    UpdatePlan plan = null;
    OsFamily family = null;
    if (report.isPresent()) {
      try {
        plan = UpdatePlan.of(report.get(), req.ignoreErrors());
      } catch (UpdatePlan.PlanException e) {
        throw new PatchException(report.get().source() + ": " + e.getMessage()
            + " (ignore-errors skips such entries)");
      }
      family = report.get().osFamily().orElseThrow(() -> new PatchException(report.get().source()
          + ": the report names no operating system"));
      if (family.packageManager().orElse(null) != PackageManager.DPKG) {
        throw new PatchException(report.get().source() + ": the report is for " + family.id()
            + ", which the native Debian backend does not patch");
      }
    }

    boolean repatch = isOurPatch(manifest, config);
    ImageSurgery.Image image = new ImageSurgery.Image(manifest, config);
    ImageSurgery.Image base = repatch ? ImageSurgery.dropTopLayer(image) : image;
    List<Descriptor> baseLayers = base.manifest().layers();
    AtomicLong bytesRead = new AtomicLong();
    long total = baseLayers.stream().mapToLong(Descriptor::size).sum();
    out.step(String.format(Locale.ROOT, "reading %d layers (%s) of %s", baseLayers.size(), Sizes.human(total),
        src.describe()));
    Path job = ctx.newDirectory();
    MergedFilesystem fs = MergedFilesystem.read(streams(src, baseLayers, bytesRead), KEEP, HASH, SPOOL,
        Files.createDirectories(job.resolve("spool")), SONAMES);
    checkOs(fs, family, report.map(Report::source).orElse("the image"));
    DpkgDatabase db = database(fs);

    ContentCache cache = ctx.cache();
    HttpClient http = ctx.http();
    List<AptSource> sources = sources(fs, req);
    PackageIndex index = new PackageIndex();
    List<AptRepository> repositories = new ArrayList<>();
    for (AptSource s : sources) {
      out.step("reading " + s.uri() + " " + s.suite() + " (" + s.origin() + ")");
      AptRepository repo = AptRepository.open(s, keys(s, fs, req), cache, http, req.now(), req.ignoreValidUntil());
      repo.loadPackages(index, arch);
      repositories.add(repo);
    }

    Map<String, AptResolver.Request> requests = new LinkedHashMap<>();
    if (plan != null) {
      for (UpdatePlan.PackageUpdate u : plan.updates()) {
        requests.put(u.name(), new AptResolver.Request(u.name(), u.targetVersion(), u.vulnerabilities()));
      }
    } else {
      // No report: every installed package with a newer version in the image's repositories.
      for (InstalledPackage p : db.installed()) {
        index.best(p.name(), p.architecture().equals("all") ? arch : p.architecture())
            .filter(best -> DebianVersion.ORDER.compare(best.version(), p.version()) > 0)
            .ifPresent(best -> requests.put(p.name(), new AptResolver.Request(p.name(), best.version(), List.of())));
      }
    }
    if (repatch) {
      keepEarlierPatch(src, manifest, db, requests, bytesRead);
    }
    AptResolver.Resolution resolution;
    try {
      resolution = new AptResolver(db, index, arch, !db.distroless()).resolve(List.copyOf(requests.values()));
    } catch (AptResolver.ResolutionException e) {
      throw new PatchException(e.getMessage());
    }
    List<PatchResult.PackageChange> changes = new ArrayList<>();
    for (AptResolver.Change c : resolution.changes()) {
      changes.add(new PatchResult.PackageChange(c.name(), c.architecture(), c.from(), c.to().version(), c.reason()));
    }
    List<PatchResult.NoFix> noFix = plan == null ? List.of() : plan.noFix().stream()
        .map(n -> new PatchResult.NoFix(n.name(), n.installedVersion(), n.vulnerabilities())).toList();
    if (changes.isEmpty()) {
      out.step("nothing to change: every fixable vulnerability is already fixed");
      return new PatchResult(manifest.digest(), Optional.empty(), Optional.empty(), changes,
          verify(plan, db), List.of(), noFix, List.of(), List.of(), bytesRead.get(), 0);
    }

    List<DebianLayer.Change> debs = new ArrayList<>();
    for (AptResolver.Change c : resolution.changes()) {
      out.step("fetching " + c.to().name() + " " + c.to().version());
      Path file = fetch(repositories, c.to());
      InstalledPackage old = c.from() == null ? null : db.find(c.name(), c.architecture()).orElse(null);
      debs.add(new DebianLayer.Change(old, DebArchive.open(file, c.to().sha256())));
    }
    long epoch = req.sourceDateEpoch().orElseGet(() -> created(config));
    // Packages' files keep their own times, as dpkg leaves them (byte-code records them), unless a
    // source date epoch is asked for, which clamps every time in the layer.
    long clamp = req.sourceDateEpoch().orElse(Long.MAX_VALUE);
    Path staging = Files.createDirectories(job.resolve("staging"));
    DebianLayer layer;
    try {
      layer = new DebianLayer(fs, db, arch, staging, epoch, clamp);
    } catch (IllegalArgumentException e) {
      throw new PatchException(src.describe() + ": " + e.getMessage());
    }
    layer.addAll(debs);
    Path blob = job.resolve("layer");
    LayerBuilder.Written written = layer.builder().write(blob, req.compression() == PatchRequest.Compression.ZSTD
        ? LayerBuilder.Compression.ZSTD : LayerBuilder.Compression.GZIP, clamp);
    out.step(String.format(Locale.ROOT, "wrote the patch layer: %d entries, %s", written.entries(),
        Sizes.human(written.size())));

    Descriptor layerDescriptor = Descriptor.of(layerMediaType(manifest, req.compression()), written.digest(),
        written.size());
    ObjectNode history = Json.MAPPER.createObjectNode();
    history.put("created", Instant.ofEpochSecond(epoch).toString());
    history.put("created_by", "imagepatch: " + String.join(", ", changes.stream()
        .map(c -> c.name() + " " + (c.from() == null ? "(new)" : c.from()) + " -> " + c.to()).toList()));
    history.put("comment", HISTORY_MARK + (repatch ? basedOn(config) : manifest.digest().toString()));
    ImageSurgery.Image patched = ImageSurgery.appendLayer(base, layerDescriptor, written.diffId(), history, Map.of());
    List<String> entries = new ArrayList<>(layer.builder().entries().keySet());

    List<String> notRun = layer.notes().stream().filter(n -> n.startsWith(DebianLayer.SCRIPT_NOT_RUN)).toList();
    if (req.strict() && !notRun.isEmpty()) {
      throw new PatchException("--strict: the upgrade would run maintainer scripts or triggers whose effects imagepatch"
          + " does not reproduce; nothing was pushed:\n  " + String.join("\n  ", notRun));
    }
    if (req.dryRun()) {
      return new PatchResult(manifest.digest(), Optional.empty(), Optional.of(layerDescriptor), changes,
          List.of(), List.of(), noFix, layer.notes(), entries, bytesRead.get(), 0);
    }
    ImageTarget target = req.target().orElseThrow();
    long uploaded = push(src, target, patched, blob, layerDescriptor, tag, out);

    // Read the result back and check every fix against its own database.
    DpkgDatabase after = patchedDatabase(target, patched, blob, layerDescriptor, db);
    List<PatchResult.Fixed> fixed = verify(plan, after);
    List<PatchResult.StillVulnerable> open = stillVulnerable(plan, after);
    return new PatchResult(manifest.digest(), Optional.of(patched.manifest().descriptor()), Optional.of(layerDescriptor),
        changes, fixed, open, noFix, layer.notes(), entries, bytesRead.get(), uploaded);
  }

  private static ImageConfig readConfig(ImageSource src, Manifest manifest) throws IOException {
    try (InputStream in = src.openBlob(manifest.config())) {
      byte[] bytes = Json.readLimited(in, ImageConfig.MAX_CONFIG_BYTES, "config " + manifest.config().digest());
      return ImageConfig.parse(bytes, manifest.config().mediaType(), manifest.config().digest(),
          src.describe() + " config");
    }
  }

  /** The image was made by imagepatch when the history entry of its top layer is a patch layer's. */
  static boolean isOurPatch(Manifest manifest, ImageConfig config) throws IOException {
    return !basedOn(config).isEmpty() && manifest.layers().size() == config.diffIds().size();
  }

  /** The base image a patch layer names, or "" when the top layer is no patch layer. */
  private static String basedOn(ImageConfig config) {
    List<ObjectNode> history = config.history();
    for (int i = history.size() - 1; i >= 0; i--) {
      if (!history.get(i).path("empty_layer").asBoolean(false)) {
        String comment = history.get(i).path("comment").asText("");
        return comment.startsWith(HISTORY_MARK) ? comment.substring(HISTORY_MARK.length()) : "";
      }
    }
    return "";
  }

  /** Packages an earlier patch upgraded stay at least at those versions when it is replaced. */
  private static void keepEarlierPatch(ImageSource src, Manifest manifest, DpkgDatabase base,
      Map<String, AptResolver.Request> requests, AtomicLong bytesRead) throws IOException {
    Descriptor top = manifest.layers().get(manifest.layers().size() - 1);
    MergedFilesystem layer = MergedFilesystem.read(streams(src, List.of(top), bytesRead), KEEP, p -> false);
    Optional<byte[]> status = layer.content("var/lib/dpkg/status");
    DpkgDatabase earlier = status.isPresent()
        ? DpkgDatabase.ofStatus(new String(status.get(), StandardCharsets.UTF_8), "earlier patch layer")
        : DpkgDatabase.ofStatusD(strings(layer.contentsUnder("var/lib/dpkg/status.d")));
    for (InstalledPackage p : earlier.installed()) {
      Optional<InstalledPackage> was = base.find(p.name(), p.architecture());
      if (was.isPresent() && DebianVersion.ORDER.compare(p.version(), was.get().version()) > 0) {
        AptResolver.Request have = requests.get(p.name());
        if (have == null || DebianVersion.ORDER.compare(p.version(), have.minimumVersion()) > 0) {
          requests.put(p.name(), new AptResolver.Request(p.name(), p.version(),
              have == null ? List.of("kept from the earlier patch") : have.vulnerabilities()));
        }
      }
    }
  }

  private static List<MergedFilesystem.LayerStream> streams(ImageSource src, List<Descriptor> layers,
      AtomicLong bytesRead) {
    List<MergedFilesystem.LayerStream> out = new ArrayList<>();
    for (Descriptor d : layers) {
      out.add(() -> Layers.uncompressed(new CountingInputStream(src.openBlob(d), bytesRead), d.mediaType()));
    }
    return out;
  }

  private static void checkOs(MergedFilesystem fs, OsFamily family, String report) throws PatchException {
    if (family == null) {
      String os = fs.content("etc/os-release").or(() -> fs.content("usr/lib/os-release"))
          .map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
      String id = field(os, "ID");
      String like = field(os, "ID_LIKE");
      if (!id.isEmpty() && !id.equals("debian") && !id.equals("ubuntu") && !like.contains("debian")) {
        throw new PatchException("the image is " + id + ", which the native Debian backend does not patch");
      }
      return;
    }
    String osRelease = fs.content("etc/os-release").or(() -> fs.content("usr/lib/os-release"))
        .map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    String id = field(osRelease, "ID");
    if (id.isEmpty()) {
      if (fs.entry("var/lib/dpkg").isEmpty()) {
        throw new PatchException("the image has neither /etc/os-release nor a dpkg database: not a Debian image");
      }
      return; // distroless images may lack os-release; the dpkg database decides
    }
    if (!id.equals(family.id()) && !field(osRelease, "ID_LIKE").contains(family.id())) {
      throw new PatchException(report + ": the report is for " + family.id() + ", but the image is " + id
          + " (" + field(osRelease, "PRETTY_NAME") + ")");
    }
  }

  private static String field(String osRelease, String name) {
    for (String line : osRelease.split("\n")) {
      if (line.startsWith(name + "=")) {
        return line.substring(name.length() + 1).replaceAll("^\"|\"$", "").strip();
      }
    }
    return "";
  }

  private static DpkgDatabase database(MergedFilesystem fs) throws IOException, PatchException {
    Optional<byte[]> status = fs.content("var/lib/dpkg/status");
    if (status.isPresent()) {
      return DpkgDatabase.ofStatus(new String(status.get(), StandardCharsets.UTF_8), "/var/lib/dpkg/status");
    }
    Map<String, byte[]> statusD = fs.contentsUnder("var/lib/dpkg/status.d");
    if (!statusD.isEmpty()) {
      return DpkgDatabase.ofStatusD(strings(statusD));
    }
    throw new PatchException("the image has no dpkg database (/var/lib/dpkg/status or /var/lib/dpkg/status.d)");
  }

  private static Map<String, String> strings(Map<String, byte[]> files) {
    Map<String, String> out = new LinkedHashMap<>();
    files.forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
    return out;
  }

  /** The image's APT sources, mirror-rewritten, plus the request's extra ones. */
  private static List<AptSource> sources(MergedFilesystem fs, PatchRequest req) throws IOException, PatchException {
    Map<String, String> files = new LinkedHashMap<>();
    fs.content("etc/apt/sources.list").ifPresent(b -> files.put("/etc/apt/sources.list",
        new String(b, StandardCharsets.UTF_8)));
    fs.contentsUnder("etc/apt/sources.list.d").forEach((name, b) -> {
      if (name.endsWith(".list") || name.endsWith(".sources")) {
        files.put("/etc/apt/sources.list.d/" + name, new String(b, StandardCharsets.UTF_8));
      }
    });
    for (int i = 0; i < req.extraSources().size(); i++) {
      files.put("extra source " + (i + 1) + ".list", req.extraSources().get(i));
    }
    List<AptSource> out = new ArrayList<>();
    for (AptSource s : AptSource.parse(files)) {
      String uri = s.uri().toString();
      for (Map.Entry<String, String> m : req.mirrors().entrySet()) {
        String from = m.getKey().endsWith("/") ? m.getKey() : m.getKey() + "/";
        if (uri.startsWith(from)) {
          String to = m.getValue().endsWith("/") ? m.getValue() : m.getValue() + "/";
          s = s.withUri(URI.create(to + uri.substring(from.length())));
          break;
        }
      }
      out.add(s);
    }
    if (out.isEmpty()) {
      throw new PatchException("the image has no APT sources (/etc/apt/sources.list, sources.list.d) and no extra"
          + " source was given");
    }
    return out;
  }

  /** The keys a source trusts: the request's keyrings, else Signed-By, else apt's trusted.gpg(.d). */
  private static PGPPublicKeyRingCollection keys(AptSource s, MergedFilesystem fs, PatchRequest req)
      throws IOException, PatchException {
    if (!req.keyrings().isEmpty()) {
      return SignedRelease.keyring(req.keyrings());
    }
    Map<String, byte[]> rings = new LinkedHashMap<>();
    if (s.inlineKey() != null) {
      rings.put(s.origin() + " Signed-By", s.inlineKey().getBytes(StandardCharsets.US_ASCII));
    }
    for (String path : s.signedBy()) {
      Optional<byte[]> inImage = fs.content(path);
      if (inImage.isPresent()) {
        rings.put(path, inImage.get());
      } else if (s.origin().startsWith("extra source") && Files.isRegularFile(Path.of(path))) {
        rings.put(path, Files.readAllBytes(Path.of(path)));
      } else {
        throw new PatchException("keyring " + path + " named by " + s.origin() + " is not in the image");
      }
    }
    if (rings.isEmpty()) {
      fs.content("etc/apt/trusted.gpg").ifPresent(b -> rings.put("/etc/apt/trusted.gpg", b));
      fs.contentsUnder("etc/apt/trusted.gpg.d").forEach((name, b) -> {
        if (name.endsWith(".gpg") || name.endsWith(".asc")) {
          rings.put("/etc/apt/trusted.gpg.d/" + name, b);
        }
      });
    }
    if (rings.isEmpty()) {
      throw new PatchException("no keys to verify " + s + " (" + s.origin() + "): the image has no Signed-By keyring"
          + " and no /etc/apt/trusted.gpg.d; give one with --keyring");
    }
    return SignedRelease.keyring(rings);
  }

  private static Path fetch(List<AptRepository> repositories, dev.imagepatch.pkg.apt.PackageRecord r)
      throws IOException {
    for (AptRepository repo : repositories) {
      if (repo.source().uri().toString().equals(r.repository())) {
        return repo.fetch(r);
      }
    }
    throw new IOException("no repository for " + r);
  }

  /** What the pushed image's database says: the new layer's status (or status.d), the base for the rest. */
  private static DpkgDatabase patchedDatabase(ImageTarget target, ImageSurgery.Image patched, Path localBlob,
      Descriptor layer, DpkgDatabase base) throws IOException, PatchException {
    MergedFilesystem.LayerStream stream = target instanceof ImageSource readable
        ? () -> Layers.uncompressed(readable.openBlob(layer), layer.mediaType())
        : () -> Layers.uncompressed(Files.newInputStream(localBlob), layer.mediaType());
    if (target instanceof ImageSource readable) {
      JsonDocument back = readable.fetchManifest(patched.manifest().digest().toString());
      if (!back.digest().equals(patched.manifest().digest())) {
        throw new PatchException("the pushed manifest reads back as " + back.digest());
      }
    }
    MergedFilesystem top = MergedFilesystem.read(List.of(stream), KEEP, p -> false);
    Optional<byte[]> status = top.content("var/lib/dpkg/status");
    if (status.isPresent()) {
      return DpkgDatabase.ofStatus(new String(status.get(), StandardCharsets.UTF_8), "patched /var/lib/dpkg/status");
    }
    Map<String, String> files = new LinkedHashMap<>();
    for (InstalledPackage p : base.installed()) {
      if (p.statusFile() != null) {
        files.put(p.statusFile(), p.stanza().toString());
      }
    }
    files.putAll(strings(top.contentsUnder("var/lib/dpkg/status.d")));
    return DpkgDatabase.ofStatusD(files);
  }

  private static List<PatchResult.Fixed> verify(UpdatePlan plan, DpkgDatabase db) {
    List<PatchResult.Fixed> out = new ArrayList<>();
    if (plan == null) {
      return out;
    }
    for (UpdatePlan.PackageUpdate u : plan.updates()) {
      Optional<String> v = db.installed().stream().filter(p -> p.name().equals(u.name())).map(InstalledPackage::version)
          .findFirst();
      if (v.isPresent() && DebianVersion.ORDER.compare(v.get(), u.targetVersion()) >= 0) {
        u.vulnerabilities().forEach(id -> out.add(new PatchResult.Fixed(id, u.name(), v.get())));
      }
    }
    return out;
  }

  private static List<PatchResult.StillVulnerable> stillVulnerable(UpdatePlan plan, DpkgDatabase db) {
    List<PatchResult.StillVulnerable> out = new ArrayList<>();
    if (plan == null) {
      return out;
    }
    for (UpdatePlan.PackageUpdate u : plan.updates()) {
      Optional<String> v = db.installed().stream().filter(p -> p.name().equals(u.name())).map(InstalledPackage::version)
          .findFirst();
      if (v.isEmpty()) {
        u.vulnerabilities().forEach(id -> out.add(new PatchResult.StillVulnerable(id, u.name(), null,
            u.targetVersion(), "the patched image's database does not list the package")));
      } else if (DebianVersion.ORDER.compare(v.get(), u.targetVersion()) < 0) {
        u.vulnerabilities().forEach(id -> out.add(new PatchResult.StillVulnerable(id, u.name(), v.get(),
            u.targetVersion(), "installed " + v.get() + " is below the fixed " + u.targetVersion())));
      }
    }
    return out;
  }

  /** Blobs before the manifest: base layers (mounted or copied from the source), the new layer, the config. */
  private static long push(ImageSource src, ImageTarget target, ImageSurgery.Image patched, Path blob,
      Descriptor layer, String tag, PatchListener out) throws IOException {
    long written = 0;
    for (Descriptor d : patched.manifest().layers()) {
      if (d.digest().equals(layer.digest())) {
        out.step("uploading the patch layer (" + Sizes.human(layer.size()) + ")");
        if (target.putBlob(d, () -> Files.newInputStream(blob)) == ImageTarget.BlobOutcome.WRITTEN) {
          written += d.size();
        }
        continue;
      }
      if (MediaTypes.isNonDistributable(d.mediaType())) {
        continue;
      }
      ImageTarget.BlobOutcome o = target.putBlob(d, new ImageTarget.BlobContent() {
        @Override
        public InputStream open() throws IOException {
          return src.openBlob(d);
        }

        @Override
        public Optional<dev.imagepatch.oci.ImageReference> mountFrom() {
          return src.repository();
        }
      });
      if (o == ImageTarget.BlobOutcome.WRITTEN) {
        written += d.size();
      }
    }
    ImageConfig config = patched.config();
    if (target.putBlob(patched.manifest().config(), config::openStream) == ImageTarget.BlobOutcome.WRITTEN) {
      written += config.size();
    }
    target.putManifest(patched.manifest(), tag);
    out.step("pushed " + patched.manifest().digest() + (tag == null ? "" : " as " + tag) + " to " + target.describe());
    return written;
  }

  private static String layerMediaType(Manifest manifest, PatchRequest.Compression c) throws PatchException {
    boolean docker = MediaTypes.isDocker(manifest.mediaType());
    if (c == PatchRequest.Compression.ZSTD) {
      if (docker) {
        throw new PatchException("zstd layers need an OCI manifest; this image's manifest is Docker schema 2");
      }
      return MediaTypes.OCI_LAYER_TAR_ZSTD;
    }
    return docker ? MediaTypes.DOCKER_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR_GZIP;
  }

  /** The base image's creation time, the default source epoch of the new layer's times. */
  private static long created(ImageConfig config) {
    String created = config.json().path("created").asText("");
    try {
      return created.isEmpty() ? 0 : OffsetDateTime.parse(created).toEpochSecond();
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  /** Debian's name for an image platform's architecture. */
  static String debianArchitecture(Platform platform) throws PatchException {
    Platform p = platform.normalized();
    return switch (p.architecture()) {
      case "amd64", "arm64", "s390x", "riscv64" -> p.architecture();
      case "386" -> "i386";
      case "ppc64le" -> "ppc64el";
      case "mips64le" -> "mips64el";
      case "arm" -> p.variant().orElse("v7").equals("v7") || p.variant().orElse("").equals("v8") ? "armhf" : "armel";
      default -> throw new PatchException("no Debian architecture for platform " + platform);
    };
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is not worth failing for
    }
  }
}
