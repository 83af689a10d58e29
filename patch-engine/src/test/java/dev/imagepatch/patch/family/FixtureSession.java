package dev.imagepatch.patch.family;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** One fixtureos image being patched: its database, its repositories' index for its architecture, the layer. */
final class FixtureSession implements PackageSession {
  private static final VersionOrder ORDER = PackageManager.RPM.versionOrder();

  /** A database line. */
  record Package(String name, String version, String arch, List<String> files) {
    String line() {
      return String.join(" ", name, version, arch, String.join(" ", files)).strip() + "\n";
    }
  }

  /** An index line ({@code name version sha256 file}), the file resolved in its repository. */
  record Available(String name, String version, String sha256, Path file) {}

  private final MergedFilesystem image;
  private final BackendContext context;
  private final Map<String, Package> database;
  private final Map<String, Package> after;
  private List<Available> index;
  private List<Available> resolved = List.of();

  FixtureSession(MergedFilesystem image, BackendContext context) {
    this.image = image;
    this.context = context;
    this.database = read(image).orElseThrow();
    this.after = new LinkedHashMap<>(database);
  }

  private static Optional<Map<String, Package>> read(MergedFilesystem fs) {
    return fs.content(FixtureBackend.DATABASE).map(b -> {
      Map<String, Package> out = new LinkedHashMap<>();
      for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
        String[] f = line.split(" ");
        out.put(f[0], new Package(f[0], f[1], f[2], List.of(Arrays.copyOfRange(f, 3, f.length))));
      }
      return out;
    });
  }

  private static List<Installed> installed(Map<String, Package> database) {
    return database.values().stream().map(p -> new Installed(p.name(), p.arch(), p.version())).toList();
  }

  @Override
  public List<Installed> installed() {
    return installed(database);
  }

  /** The image's repository and the request's extra ones (also {@code file:} URIs), read once. */
  private List<Available> index() throws IOException, PatchException {
    if (index == null) {
      String arch = context.architecture().nameFor(PackageManager.RPM).orElseThrow(() -> new PatchException(
          "no fixture architecture for " + context.architecture().key()));
      List<String> uris = new ArrayList<>(context.repositories().extraRepositories());
      uris.add(0, new String(image.content(FixtureBackend.REPOSITORY).orElseThrow(() -> new PatchException(
          "the image names no repository (/" + FixtureBackend.REPOSITORY + ")")), StandardCharsets.UTF_8).strip());
      index = new ArrayList<>();
      for (String uri : uris) {
        Path dir = Path.of(URI.create(uri)).resolve(arch);
        for (String line : Files.readAllLines(dir.resolve("index"))) {
          String[] f = line.split(" ");
          index.add(new Available(f[0], f[1], f[2], dir.resolve(f[3])));
        }
      }
    }
    return index;
  }

  private Optional<Available> newest(String name) throws IOException, PatchException {
    return index().stream().filter(a -> a.name().equals(name)).max(Comparator.comparing(Available::version, ORDER));
  }

  @Override
  public List<Request> updateAll() throws IOException, PatchException {
    List<Request> out = new ArrayList<>();
    for (Package p : database.values()) {
      newest(p.name()).filter(a -> ORDER.compare(a.version(), p.version()) > 0)
          .ifPresent(a -> out.add(new Request(p.name(), a.version(), List.of())));
    }
    return out;
  }

  /** The newest version of each requested package, as long as it reaches the version asked for. */
  @Override
  public List<PackageChange> resolve(List<Request> requests) throws IOException, PatchException {
    List<Available> chosen = new ArrayList<>();
    List<PackageChange> changes = new ArrayList<>();
    for (Request r : requests) {
      Package had = Optional.ofNullable(database.get(r.name()))
          .orElseThrow(() -> new PatchException(r.name() + " is not installed"));
      if (ORDER.compare(had.version(), r.minimumVersion()) < 0) {
        Available a = newest(r.name()).filter(n -> ORDER.compare(n.version(), r.minimumVersion()) >= 0)
            .orElseThrow(() -> new PatchException("no " + r.name() + " reaches " + r.minimumVersion()));
        chosen.add(a);
        changes.add(new PackageChange(r.name(), had.arch(), had.version(), a.version(), "requested"));
      }
    }
    resolved = chosen;
    return changes;
  }

  @Override
  public void install(PatchLayer layer) throws IOException, PatchException {
    for (Available a : resolved) {
      byte[] tar = Files.readAllBytes(a.file());
      // The family's own check before use: for a fixture the index's SHA-256 is enough (a real
      // family also verifies the index's signature, as apt verifies InRelease).
      if (!Digest.sha256(tar).hex().equals(a.sha256())) {
        throw new PatchException(a.file() + ": SHA-256 does not match the index");
      }
      List<String> files = new ArrayList<>();
      try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          files.add(FsEntry.normalize(e.getName()));
          layer.file(layer.target(e.getName()), e.getMode() & 07777, 0, 0, e.getModTime().getTime() / 1000,
              layer.stage(in));
        }
      }
      Package had = database.get(a.name());
      for (String gone : had.files().stream().filter(f -> !files.contains(f)).toList()) {
        layer.whiteout(layer.target(gone));
      }
      after.put(a.name(), new Package(a.name(), a.version(), had.arch(), files));
    }
  }

  @Override
  public void writeDatabase(PatchLayer layer) throws IOException {
    StringBuilder out = new StringBuilder();
    after.values().forEach(p -> out.append(p.line()));
    layer.bytes(layer.target(FixtureBackend.DATABASE), 0644, out.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public List<Installed> installedWith(MergedFilesystem patchLayer) {
    return installed(read(patchLayer).orElse(database));
  }
}
