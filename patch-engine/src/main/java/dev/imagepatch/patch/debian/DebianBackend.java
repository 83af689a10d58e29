package dev.imagepatch.patch.debian;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.ImageSurgery;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.Layers;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
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
import dev.imagepatch.pkg.deb.DebianVersion;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import dev.imagepatch.pkg.deb.InstalledPackage;
import dev.imagepatch.report.OsFamily;
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

  private static final Predicate<String> KEEP = p -> p.equals("var/lib/dpkg/status")
      || p.startsWith("var/lib/dpkg/status.d/")
      || (p.startsWith("var/lib/dpkg/info/") && p.endsWith(".list"))
      || p.equals("etc/os-release") || p.equals("usr/lib/os-release")
      || p.equals("etc/apt/sources.list") || p.startsWith("etc/apt/sources.list.d/")
      || p.equals("etc/apt/trusted.gpg") || p.startsWith("etc/apt/trusted.gpg.d/")
      || p.startsWith("etc/apt/keyrings/") || p.startsWith("usr/share/keyrings/");
  /** Conffiles live in /etc: their MD5 decides whether the image changed them. */
  private static final Predicate<String> HASH = p -> p.startsWith("etc/");

  @Override
  public String name() {
    return "native";
  }

  @Override
  public PatchResult patch(PatchRequest request) throws PatchException {
    Path work = null;
    try {
      work = Files.createTempDirectory("imagepatch-");
      return run(request, work);
    } catch (IOException e) {
      throw new PatchException(e.getMessage(), e);
    } finally {
      if (work != null) {
        deleteQuietly(work);
      }
    }
  }

  private PatchResult run(PatchRequest req, Path work) throws IOException, PatchException {
    PatchListener out = req.listener();
    ImageSource src = req.source();
    JsonDocument doc = src.fetchManifest(req.reference());
    if (doc instanceof Index) {
      throw new PatchException(src.describe() + ": " + req.reference() + " is an image index; name one platform's"
          + " manifest (by digest) to patch it");
    }
    Manifest manifest = (Manifest) doc;
    ImageConfig config = readConfig(src, manifest);
    Platform platform = config.platform();
    String arch = debianArchitecture(platform);

    UpdatePlan plan;
    try {
      plan = UpdatePlan.of(req.report(), req.ignoreErrors());
    } catch (UpdatePlan.PlanException e) {
      throw new PatchException(req.report().source() + ": " + e.getMessage() + " (ignore-errors skips such entries)");
    }
    OsFamily family = req.report().osFamily().orElseThrow(() -> new PatchException(req.report().source()
        + ": the report names no operating system"));
    if (family.packageManager().orElse(null) != PackageManager.DPKG) {
      throw new PatchException(req.report().source() + ": the report is for " + family.id()
          + ", which the native Debian backend does not patch");
    }

    boolean repatch = isOurPatch(manifest, config);
    ImageSurgery.Image image = new ImageSurgery.Image(manifest, config);
    ImageSurgery.Image base = repatch ? ImageSurgery.dropTopLayer(image) : image;
    List<Descriptor> baseLayers = base.manifest().layers();
    AtomicLong bytesRead = new AtomicLong();
    long total = baseLayers.stream().mapToLong(Descriptor::size).sum();
    out.step(String.format(Locale.ROOT, "reading %d layers (%s) of %s", baseLayers.size(), Sizes.human(total),
        src.describe()));
    MergedFilesystem fs = MergedFilesystem.read(streams(src, baseLayers, bytesRead), KEEP, HASH);
    checkOs(fs, family, req.report().source());
    DpkgDatabase db = database(fs);

    Map<String, AptResolver.Request> requests = new LinkedHashMap<>();
    for (UpdatePlan.PackageUpdate u : plan.updates()) {
      requests.put(u.name(), new AptResolver.Request(u.name(), u.targetVersion(), u.vulnerabilities()));
    }
    if (repatch) {
      keepEarlierPatch(src, manifest, db, requests, bytesRead);
    }

    Path cacheRoot = req.cacheDirectory().orElse(ContentCache.defaultRoot());
    ContentCache cache = new ContentCache(cacheRoot);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    List<AptSource> sources = sources(fs, req);
    PackageIndex index = new PackageIndex();
    List<AptRepository> repositories = new ArrayList<>();
    for (AptSource s : sources) {
      out.step("reading " + s.uri() + " " + s.suite() + " (" + s.origin() + ")");
      AptRepository repo = AptRepository.open(s, keys(s, fs, req), cache, http, req.now(), req.ignoreValidUntil());
      repo.loadPackages(index, arch);
      repositories.add(repo);
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
    List<PatchResult.NoFix> noFix = plan.noFix().stream()
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
    Path staging = Files.createDirectories(work.resolve("staging"));
    DebianLayer layer = new DebianLayer(fs, db, staging, epoch);
    layer.addAll(debs);
    Path blob = work.resolve("layer");
    LayerBuilder.Written written = layer.builder().write(blob, req.compression() == PatchRequest.Compression.ZSTD
        ? LayerBuilder.Compression.ZSTD : LayerBuilder.Compression.GZIP, epoch);
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

    if (req.dryRun()) {
      return new PatchResult(manifest.digest(), Optional.empty(), Optional.of(layerDescriptor), changes,
          List.of(), List.of(), noFix, layer.notes(), entries, bytesRead.get(), 0);
    }
    ImageTarget target = req.target().orElseThrow();
    long uploaded = push(src, target, patched, blob, layerDescriptor, req.tag().orElse(null), out);

    // Read the result back and check every fix against its own database.
    DpkgDatabase after = patchedDatabase(target, patched, blob, layerDescriptor, db);
    List<PatchResult.Fixed> fixed = verify(plan, after);
    List<PatchResult.StillVulnerable> open = stillVulnerable(plan, after);
    return new PatchResult(manifest.digest(), Optional.of(patched.manifest().digest()), Optional.of(layerDescriptor),
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
