package dev.imagepatch.patch.apk;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.apk.ApkArchive;
import dev.imagepatch.pkg.apk.ApkKeys;
import dev.imagepatch.pkg.apk.ApkRecord;
import dev.imagepatch.pkg.apk.ApkRepository;
import dev.imagepatch.pkg.apk.ApkResolver;
import dev.imagepatch.pkg.apk.InstalledDatabase;
import dev.imagepatch.pkg.apk.InstalledPackage;
import dev.imagepatch.pkg.apk.RepositoryLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One apk image being patched: its installed database, its repositories (index signatures
 * checked against the image's keys or the ones given), apk's resolution, and the layer apk-tools
 * would leave ({@link ApkLayer}).
 */
final class ApkSession implements PackageSession {
  private final MergedFilesystem image;
  private final String dbDir;
  private final InstalledDatabase db;
  private final BackendContext context;
  private final String arch;
  private List<ApkRepository> repositories;
  private List<ApkResolver.Change> resolved = List.of();
  private ApkLayer layer;

  ApkSession(MergedFilesystem image, String dbDir, BackendContext context) throws PatchException {
    this.image = image;
    this.dbDir = dbDir;
    this.context = context;
    this.db = database(image, dbDir, "/" + dbDir + "/installed");
    this.arch = image.content("etc/apk/arch").map(b -> new String(b, StandardCharsets.UTF_8).strip())
        .filter(s -> !s.isEmpty())
        .or(() -> context.architecture().nameFor(PackageManager.APK))
        .orElseThrow(() -> new PatchException("no apk architecture for platform linux/"
            + context.architecture().key()));
  }

  static InstalledDatabase database(MergedFilesystem fs, String dbDir, String what) throws PatchException {
    byte[] bytes = fs.content(dbDir + "/installed").orElseThrow(() -> new PatchException(
        "the image has no apk database (" + what + ")"));
    if (bytes.length >= 3 && bytes[0] == 'A' && bytes[1] == 'D' && bytes[2] == 'B') {
      throw new PatchException(what + " is an APKv3 (.adb) database, which imagepatch does not patch; v2 is the"
          + " format Alpine and Wolfi ship");
    }
    try {
      return InstalledDatabase.parse(new String(bytes, StandardCharsets.UTF_8), what);
    } catch (IllegalArgumentException e) {
      throw new PatchException(e.getMessage());
    }
  }

  @Override
  public List<Installed> installed() {
    return installed(db);
  }

  private static List<Installed> installed(InstalledDatabase db) {
    return db.packages().stream()
        .map(p -> new Installed(p.header().name(), p.header().arch(), p.header().version())).toList();
  }

  /** The image's repositories, opened once: index signatures checked. */
  private List<ApkRepository> repositories() throws IOException, PatchException {
    if (repositories == null) {
      ApkKeys keys = ApkBackend.keys(image, context.repositories());
      boolean unsigned = context.repositories().allowUnsigned();
      List<ApkRepository> open = new ArrayList<>();
      for (RepositoryLine line : ApkBackend.repositories(image, context.repositories(),
          skipped -> context.listener().step(skipped))) {
        context.listener().step("reading " + (line.tag() == null ? "" : "@" + line.tag() + " ") + line.url()
            + " (" + arch + ")");
        try {
          open.add(ApkRepository.open(line, arch, keys, unsigned, context.cache(), context.http()));
        } catch (IOException e) {
          throw new PatchException(e.getMessage());
        }
      }
      repositories = open;
    }
    return repositories;
  }

  private ApkResolver resolver() throws IOException, PatchException {
    // A distroless image (Chainguard static, or /etc/apk removed) has no world. apk over an empty world
    // would purge every package as an orphan, so a request could never be met ("no candidate reaches");
    // the installed names (each pinned to the tag it came from) stand in for it: everything stays
    // installed and only what is asked for (and what it needs) changes. Nothing writes the world.
    String world = image.content("etc/apk/world").map(b -> new String(b, StandardCharsets.UTF_8))
        .orElseGet(() -> installedAsWorld(db));
    List<ApkResolver.Repository> repos = new ArrayList<>();
    for (ApkRepository r : repositories()) {
      repos.add(new ApkResolver.Repository(r.toString(), r.line().tag(), r.records()));
    }
    return ApkResolver.of(db, world, repos, arch);
  }

  /** One world line per installed package, {@code name@tag} for one installed from a pinned repository. */
  static String installedAsWorld(InstalledDatabase db) {
    StringBuilder out = new StringBuilder();
    for (InstalledPackage p : db.packages()) {
      out.append(p.name()).append(p.header().get('s').filter(t -> !t.isEmpty()).map(t -> "@" + t).orElse(""))
          .append('\n');
    }
    return out.toString();
  }

  @Override
  public List<Request> updateAll() throws IOException, PatchException {
    try {
      return resolver().updateAll().stream()
          .map(r -> new Request(r.name(), r.minimumVersion(), List.of())).toList();
    } catch (ApkResolver.ResolutionException e) {
      throw new PatchException(e.getMessage());
    }
  }

  @Override
  public List<PackageChange> resolve(List<Request> requests) throws IOException, PatchException {
    List<ApkResolver.Request> apk = requests.stream()
        .map(r -> new ApkResolver.Request(r.name(), r.minimumVersion(), r.vulnerabilities())).toList();
    try {
      resolved = resolver().upgrade(apk).changes();
    } catch (ApkResolver.ResolutionException e) {
      throw new PatchException(e.getMessage());
    }
    return resolved.stream().map(c -> new PackageChange(c.name(),
        (c.to() != null ? c.to() : c.from()).arch(), c.fromVersion(), c.to() == null ? null : c.to().version(),
        c.reason())).toList();
  }

  @Override
  public void install(PatchLayer out) throws IOException, PatchException {
    List<ApkLayer.Change> changes = new ArrayList<>();
    java.util.Map<InstalledPackage, String> retags = new java.util.LinkedHashMap<>();
    java.util.Map<ApkRecord, ApkRepository> from = new java.util.IdentityHashMap<>();
    for (ApkRepository r : repositories()) {
      r.records().forEach(rec -> from.put(rec, r));
    }
    for (ApkResolver.Change c : resolved) {
      InstalledPackage old = c.from() == null ? null : db.find(c.name()).orElse(null);
      if (c.to() == null) {
        changes.add(new ApkLayer.Change(old, null, null, null));
        continue;
      }
      if ("pin".equals(c.reason()) && old != null) {
        // Only the repository tag changes: apk_solver_commit_changeset calls apk_db_install_pkg only when
        // old_pkg != new_pkg (or a reinstall), and then just sets ipkg->repository_tag. Nothing is fetched or
        // unpacked (no files, no scripts, no .apk-new); only the record's s: is rewritten, in place.
        retags.put(old, c.tag());
        continue;
      }
      context.listener().step("fetching " + c.name() + " " + c.to().version());
      ApkRepository repo = from.get(c.to());
      if (repo == null) {
        throw new IllegalStateException("no repository holds the record resolved for " + c.name());
      }
      ApkArchive apk;
      try {
        apk = repo.fetch(c.to());
      } catch (IOException e) {
        throw new PatchException(e.getMessage());
      }
      changes.add(new ApkLayer.Change(old, c.to(), apk, c.tag()));
    }
    layer = new ApkLayer(out, db, dbDir);
    retags.forEach(layer::retag);
    layer.unpackAll(changes);
  }

  @Override
  public void writeDatabase(PatchLayer out) throws IOException {
    layer.writeDatabase();
  }

  @Override
  public List<Installed> installedWith(MergedFilesystem patchLayer) throws IOException, PatchException {
    Optional<byte[]> inLayer = patchLayer.content(dbDir + "/installed");
    if (inLayer.isEmpty()) {
      return installed(db);
    }
    return installed(database(patchLayer, dbDir, "the patch layer's /" + dbDir + "/installed"));
  }
}
