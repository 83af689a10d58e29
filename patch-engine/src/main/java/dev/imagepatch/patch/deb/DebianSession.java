package dev.imagepatch.patch.deb;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.apt.AptRepository;
import dev.imagepatch.pkg.apt.AptResolver;
import dev.imagepatch.pkg.apt.AptSource;
import dev.imagepatch.pkg.apt.PackageIndex;
import dev.imagepatch.pkg.apt.PackageRecord;
import dev.imagepatch.pkg.deb.DpkgFields;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import dev.imagepatch.pkg.deb.InstalledPackage;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One Debian image being patched: its dpkg database, its APT repositories (signatures checked
 * against the image's keys), apt's resolution, and the layer dpkg would leave ({@link DebianLayer}).
 */
final class DebianSession implements PackageSession {
  private final MergedFilesystem image;
  private final DpkgDatabase db;
  private final BackendContext context;
  private final String arch;
  private final PackageIndex index = new PackageIndex();
  private List<AptRepository> repositories;
  private List<AptResolver.Change> resolved = List.of();
  private DebianLayer layer;

  DebianSession(MergedFilesystem image, DpkgDatabase db, BackendContext context) throws PatchException {
    this.image = image;
    this.db = db;
    this.context = context;
    this.arch = context.architecture().nameFor(PackageManager.DPKG).orElseThrow(() -> new PatchException(
        "no Debian architecture for platform linux/" + context.architecture().key()));
  }

  @Override
  public List<Installed> installed() {
    return installed(db);
  }

  private static List<Installed> installed(DpkgDatabase db) {
    return db.installed().stream().map(p -> new Installed(p.name(), p.architecture(), p.version())).toList();
  }

  /** The image's repositories, opened once: Release signatures and index hashes checked. */
  private List<AptRepository> repositories() throws IOException, PatchException {
    if (repositories == null) {
      List<AptRepository> open = new ArrayList<>();
      ContentCache cache = ContentCache.at(context.cache());
      for (AptSource s : DebianBackend.sources(image, context.repositories())) {
        context.listener().step("reading " + s.uri() + " " + s.suite() + " (" + s.origin() + ")");
        AptRepository repo = AptRepository.open(s, DebianBackend.keys(s, image, context.repositories()), cache,
            context.http(), context.now(), context.repositories().ignoreValidUntil());
        repo.loadPackages(index, arch);
        open.add(repo);
      }
      repositories = open;
    }
    return repositories;
  }

  @Override
  public List<Request> updateAll() throws IOException, PatchException {
    repositories();
    List<Request> out = new ArrayList<>();
    for (InstalledPackage p : db.installed()) {
      index.best(p.name(), p.architecture().equals("all") ? arch : p.architecture())
          .filter(best -> DebianVersion.ORDER.compare(best.version(), p.version()) > 0)
          .ifPresent(best -> out.add(new Request(p.name(), best.version(), List.of())));
    }
    return out;
  }

  @Override
  public List<PackageChange> resolve(List<Request> requests) throws IOException, PatchException {
    repositories();
    List<AptResolver.Request> apt = requests.stream()
        .map(r -> new AptResolver.Request(r.name(), r.minimumVersion(), r.vulnerabilities())).toList();
    try {
      resolved = new AptResolver(db, index, arch, !db.distroless()).resolve(apt).changes();
    } catch (AptResolver.ResolutionException e) {
      throw new PatchException(e.getMessage());
    }
    return resolved.stream()
        .map(c -> new PackageChange(c.name(), c.architecture(), c.from(), c.to().version(), c.reason())).toList();
  }

  @Override
  public void install(PatchLayer out) throws IOException, PatchException {
    List<DebianLayer.Change> debs = new ArrayList<>();
    for (AptResolver.Change c : resolved) {
      context.listener().step("fetching " + c.to().name() + " " + c.to().version());
      InstalledPackage old = c.from() == null ? null : db.find(c.name(), c.architecture()).orElse(null);
      DebArchive deb;
      try {
        deb = DebArchive.open(DebianBackend.fetch(repositories(), c.to()), c.to().sha256());
      } catch (IOException e) {
        throw new IOException(c.to() + ": " + e.getMessage(), e);
      }
      matchesRecord(deb, c.to());
      debs.add(new DebianLayer.Change(old, deb));
    }
    layer = new DebianLayer(out, db);
    layer.unpackAll(debs);
  }

  /**
   * Refuses a package whose control names another package, version or architecture than the
   * repository record it was fetched for (it would be installed under the record's name).
   */
  static void matchesRecord(DebArchive deb, PackageRecord record) throws IOException {
    String source = deb.file().getFileName() + ", fetched for " + record;
    DpkgFields.check(deb.control(), source + ": control");
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("Package", record.name());
    expected.put("Version", record.version());
    expected.put("Architecture", record.architecture());
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String actual = deb.control().require(e.getKey());
      if (!actual.equals(e.getValue())) {
        throw new IOException(source + ": its control says " + e.getKey() + ": " + actual + ", the repository's record "
            + e.getValue() + "; refused");
      }
    }
  }

  @Override
  public void writeDatabase(PatchLayer out) throws IOException {
    layer.writeDatabase();
  }

  /** The layer's status when it has one; on distroless images its status.d files over the image's. */
  @Override
  public List<Installed> installedWith(MergedFilesystem patchLayer) throws IOException, PatchException {
    Optional<byte[]> status = patchLayer.content("var/lib/dpkg/status");
    if (status.isPresent()) {
      return installed(DpkgDatabase.ofStatus(new String(status.get(), StandardCharsets.UTF_8),
          "the patch layer's /var/lib/dpkg/status"));
    }
    Map<String, String> files = new LinkedHashMap<>();
    for (InstalledPackage p : db.installed()) {
      if (p.statusFile() != null) {
        files.put(p.statusFile(), p.stanza().toString());
      }
    }
    patchLayer.contentsUnder("var/lib/dpkg/status.d")
        .forEach((k, v) -> files.put(k, new String(v, StandardCharsets.UTF_8)));
    return installed(DpkgDatabase.ofStatusD(files));
  }
}
