package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.RpmKeys;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpmdb.ContainerManifest;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One rpm image being patched: its installed packages (database, else container manifest), its
 * dnf repositories (opened with their signature checks), dnf's resolution, and the layer rpm would
 * leave ({@link RpmLayer}, {@link DatabaseWrite}), its scripts classified ({@link Scriptlets}).
 */
final class RpmSession implements PackageSession {
  private final MergedFilesystem image;
  private final ImageDatabase db;
  private final OsRelease os;
  private final BackendContext context;
  private final String arch;
  private final List<InstalledRpm> installed;
  private List<OpenRepository> repositories;
  private Resolution resolution;
  private List<RpmChange> resolved = List.of();
  private List<RpmLayer.Unpack> unpacked = List.of();
  private RpmLayer layer;

  RpmSession(MergedFilesystem image, ImageDatabase db, OsRelease os, BackendContext context) throws PatchException {
    this.image = image;
    this.db = db;
    this.os = os;
    this.context = context;
    this.arch = context.architecture().nameFor(PackageManager.RPM).orElseThrow(() -> new PatchException(
        "no rpm architecture for platform linux/" + context.architecture().key()));
    this.installed = read(image, db, "the image's rpm database");
  }

  static List<InstalledRpm> read(MergedFilesystem fs, ImageDatabase db, String what) throws PatchException {
    List<InstalledRpm> out = new ArrayList<>();
    if (db.hasDatabase()) {
      for (RpmDatabase.Installed i : db.read(fs, what + " (/" + db.mainFile() + ")")) {
        out.add(InstalledRpm.of(i.hnum(), i.header()));
      }
      return out;
    }
    String path = db.manifest2() ? ContainerManifest.MANIFEST_2 : ContainerManifest.MANIFEST_1;
    byte[] bytes = fs.content(path).orElseThrow(() -> new PatchException(what + ": /" + path + " not readable"));
    if (!db.manifest2()) {
      throw new PatchException("/" + path + " lists names only (no epochs, no architectures apart); imagepatch"
          + " patches distroless Azure Linux images by their container-manifest-2");
    }
    try {
      for (ContainerManifest.Line l : ContainerManifest.parse(bytes, "/" + path).lines()) {
        out.add(InstalledRpm.of(l));
      }
    } catch (IOException e) {
      throw new PatchException(e.getMessage());
    }
    return out;
  }

  @Override
  public List<Installed> installed() {
    return installed(installed);
  }

  private static List<Installed> installed(List<InstalledRpm> all) {
    return all.stream().filter(i -> !i.isPubkey()).map(i -> new Installed(i.name(), i.arch(), i.evr())).toList();
  }

  private List<Header> headers() {
    return installed.stream().map(InstalledRpm::header).filter(h -> h != null).toList();
  }

  /** The enabled repositories, opened once. */
  private List<OpenRepository> repositories() throws PatchException {
    if (repositories == null) {
      DnfVariables vars = DnfVariables.of(image, headers(), arch, os.versionId());
      List<RepoConfig> configs;
      try {
        configs = RepoConfigs.of(image, vars, context.repositories(), context.listener()::step);
      } catch (IllegalArgumentException e) {
        throw new PatchException(e.getMessage());
      }
      List<RepoConfig> enabled = configs.stream().filter(RepoConfig::enabled).toList();
      if (enabled.isEmpty()) {
        throw new PatchException("the image has no enabled dnf repository (/etc/yum.repos.d/*.repo"
            + (configs.isEmpty() ? "" : "; disabled: " + String.join(", ", configs.stream().map(RepoConfig::id)
                .toList())) + ") and no extra repository was given (--extra-repository: a .repo file or a base URL)");
      }
      if (context.repositories().allowUnsigned()) {
        context.listener().step("WARNING: --allow-unsigned: rpm packages unsigned or signed by no trusted key are"
            + " installed; anyone who can change them can change what is installed");
      }
      ContentCache cache;
      try {
        cache = ContentCache.at(context.cache());
      } catch (IOException e) {
        throw new PatchException("the download cache " + context.cache() + ": " + e.getMessage());
      }
      List<OpenRepository> open = new ArrayList<>();
      for (RepoConfig r : enabled) {
        if (!r.gpgcheck()) {
          context.listener().step("note: repository " + r.id() + " has gpgcheck=0 (" + r.source()
              + "): its packages are checked against its metadata's checksums only, as dnf would");
        }
        try {
          open.add(OpenRepository.open(r, image, context, cache));
        } catch (PatchException e) {
          if (!r.skipIfUnavailable()) {
            throw e;
          }
          // dnf leaves such a repository out, and so do we, loudly: its packages are not candidates.
          context.listener().step("WARNING: repository " + r.id() + " left out (skip_if_unavailable=1 in " + r.source()
              + "): " + e.getMessage());
        }
      }
      repositories = open;
    }
    return repositories;
  }

  /** dnf upgrade's resolver over the image and its repositories, built once. */
  private Resolution resolution() throws PatchException {
    if (resolution == null) {
      java.util.Set<String> installonly = new java.util.LinkedHashSet<>();
      RepoConfigs.main(image).ifPresent(m -> installonly.addAll(m.list("installonlypkgs")));
      try {
        resolution = new Resolution(installed, repositories(), ModulesState.of(image), arch, installonly,
            context.listener());
      } catch (IllegalArgumentException e) {
        throw new PatchException("the image's rpm database: " + e.getMessage());
      }
    }
    return resolution;
  }

  @Override
  public List<Request> updateAll() throws IOException, PatchException {
    return resolution().updateAll();
  }

  @Override
  public List<PackageChange> resolve(List<Request> requests) throws IOException, PatchException {
    resolved = resolution().upgrade(requests);
    return resolved.stream().map(c -> new PackageChange(c.name(), c.arch(),
        c.from() == null ? null : c.from().evr(), c.toEvr(), c.reason())).toList();
  }

  @Override
  public void install(PatchLayer out) throws IOException, PatchException {
    RpmKeys dbKeys;
    try {
      dbKeys = RpmKeys.fromDatabase(headers());
    } catch (IOException e) {
      throw new PatchException("the image's rpm database keys (gpg-pubkey): " + e.getMessage());
    }
    PackageFetch fetch = new PackageFetch(context, ContentCache.at(context.cache()), dbKeys);
    List<RpmLayer.Unpack> all = new ArrayList<>();
    for (RpmChange c : resolved) {
      RpmPackage p = c.isRemoval() ? null : fetch.fetch(c.repository(), c.to());
      all.add(new RpmLayer.Unpack(db.hasDatabase() ? c : withOldHeader(c, fetch), p));
    }
    Set<InstalledRpm> changed = new HashSet<>();
    resolved.stream().filter(c -> c.from() != null).forEach(c -> changed.add(c.from()));
    RpmMacros macros = RpmMacros.of(image);
    layer = new RpmLayer(out, RepoConfigs.nodocs(image) || macros.excludeDocs(), macros.installLangs());
    if (!db.hasDatabase()) {
      layer.listed(ListedFiles.of(installed, repositories(), context.listener()));
    }
    try {
      layer.unpackAll(all, installed.stream().filter(i -> !changed.contains(i)).toList());
    } catch (IOException e) {
      throw new PatchException(e.getMessage());
    }
    unpacked = all;
  }

  /**
   * A distroless image's change with the old version's header, from that version's package in the
   * repositories (fetched and verified as any other): what rpm knows of the files it replaces
   * (digests for %config decisions, the file list for whiteouts, its %preun/%postun). Unchanged
   * when no repository has it any more.
   */
  private RpmChange withOldHeader(RpmChange c, PackageFetch fetch) throws PatchException {
    InstalledRpm from = c.from();
    if (from == null || from.header() != null) {
      return c;
    }
    for (OpenRepository r : repositories()) {
      for (dev.imagepatch.pkg.rpm.repo.RpmRecord rec : r.records()) {
        if (rec.name().equals(from.name()) && rec.arch().equals(from.arch()) && RpmChange.evr(rec).equals(from.evr())) {
          RpmPackage old = fetch.fetch(r, rec);
          InstalledRpm known = new InstalledRpm(from.hnum(), old.header(), from.name(), from.epoch(), from.version(),
              from.release(), from.arch());
          return new RpmChange(c.name(), c.arch(), known, c.to(), c.repository(), c.reason());
        }
      }
    }
    context.listener().step(from.nevra() + " is in no repository any more: its files are known from the file lists"
        + " at best, and its config files are replaced");
    return c;
  }

  @Override
  public void writeDatabase(PatchLayer out) throws IOException {
    int color = DatabaseWrite.color(installed);
    List<DatabaseWrite.Entry> entries = new ArrayList<>();
    for (RpmLayer.Unpack u : unpacked) {
      entries.add(new DatabaseWrite.Entry(u.change(), u.pkg() == null ? null
          : DatabaseWrite.installedHeader(u, layer.notInstalled(u), out.epoch(), color)));
    }
    DatabaseWrite.write(out, db, entries);
    Set<InstalledRpm> changed = new HashSet<>();
    resolved.stream().filter(c -> c.from() != null).forEach(c -> changed.add(c.from()));
    Scriptlets scripts = new Scriptlets(out);
    TransactionScripts.run(scripts, entries, installed.stream().filter(i -> !changed.contains(i)).toList(),
        layer.installedPaths(), layer.removedPaths());
    scripts.finish();
  }

  @Override
  public List<Installed> installedWith(MergedFilesystem patchLayer) throws IOException, PatchException {
    String main = db.hasDatabase() ? db.mainFile() : db.manifest2() ? ContainerManifest.MANIFEST_2
        : ContainerManifest.MANIFEST_1;
    Optional<byte[]> inLayer = patchLayer.content(main);
    if (inLayer.isEmpty()) {
      return installed(installed);
    }
    return installed(read(patchLayer, db, "the patch layer's rpm database"));
  }
}
