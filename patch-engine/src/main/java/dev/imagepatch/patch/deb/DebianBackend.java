package dev.imagepatch.patch.deb;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.effects.LdConfig;
import dev.imagepatch.patch.effects.PythonByteCodeRefresh;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.apt.AptRepository;
import dev.imagepatch.pkg.apt.AptSource;
import dev.imagepatch.pkg.apt.SignedRelease;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * The dpkg/apt family: Debian, Ubuntu and their distroless images. Recognizes an image by its dpkg
 * database, reads its APT sources and keys, resolves as {@code apt-get install --only-upgrade}
 * would, and writes packages and database as dpkg would leave them (see {@link DebianSession}).
 */
public final class DebianBackend implements PackageBackend {
  /** The post-install steps a Debian image needs beyond dpkg's own, in order: byte-code, then ldconfig. */
  static final List<PostInstallEffect> EFFECTS = List.of(new PythonByteCodeRefresh(), new LdConfig("libc-bin"));

  static final Predicate<String> KEEP = p -> p.equals("var/lib/dpkg/status")
      || p.startsWith("var/lib/dpkg/status.d/")
      || (p.startsWith("var/lib/dpkg/info/") && (p.endsWith(".list") || p.endsWith(".triggers")))
      || p.startsWith(DebianLayer.TRIGGERS_DIR + "/")
      || p.equals("var/lib/apt/extended_states")
      || p.startsWith(Alternatives.ADMIN) || p.equals(DpkgOverrides.DIVERSIONS) || p.equals(DpkgOverrides.STATOVERRIDE)
      || p.equals(DpkgOverrides.PASSWD) || p.equals(DpkgOverrides.GROUP)
      || p.equals("etc/apt/sources.list") || p.startsWith("etc/apt/sources.list.d/")
      || p.equals("etc/apt/trusted.gpg") || p.startsWith("etc/apt/trusted.gpg.d/")
      || p.startsWith("etc/apt/keyrings/") || p.startsWith("usr/share/keyrings/")
      // The trust store, which configuring ca-certificates rebuilds.
      || p.equals(CaCertificates.CONF) || p.equals(CaCertificates.DEBCONF)
      || p.startsWith(CaCertificates.SHARE + "/") || p.startsWith(CaCertificates.LOCAL + "/")
      || p.startsWith(CaCertificates.ETC + "/");
  /** Conffiles live in /etc: their MD5 decides whether the image changed them. */
  static final Predicate<String> HASH = p -> p.startsWith("etc/");

  /** /etc is spooled: small, and the only place a changed file may have to be kept aside as {@code .dpkg-old}. */
  static final Predicate<String> SPOOL = p -> p.startsWith("etc/");

  @Override
  public String describe() {
    return "native Debian backend";
  }

  @Override
  public PackageManager packageManager() {
    return PackageManager.DPKG;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(KEEP, HASH, SPOOL);
  }

  @Override
  public List<PostInstallEffect> effects() {
    return EFFECTS;
  }

  @Override
  public boolean recognizes(MergedFilesystem image) {
    boolean database = image.content("var/lib/dpkg/status").isPresent()
        || !image.contentsUnder("var/lib/dpkg/status.d").isEmpty();
    OsRelease os = OsRelease.of(image);
    // Distroless images may lack os-release; the dpkg database decides.
    return database && (os.isEmpty() || os.id().equals("debian") || os.id().equals("ubuntu")
        || os.idLike().contains("debian"));
  }

  @Override
  public String looksFor() {
    return "a dpkg database (/var/lib/dpkg/status or /var/lib/dpkg/status.d) in a Debian or Ubuntu image";
  }

  @Override
  public PackageSession open(MergedFilesystem image, BackendContext context) throws IOException, PatchException {
    return new DebianSession(image, database(image), context);
  }

  static DpkgDatabase database(MergedFilesystem fs) throws IOException, PatchException {
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
  static List<AptSource> sources(MergedFilesystem fs, RepositoryOptions req) throws IOException, PatchException {
    Map<String, String> files = new LinkedHashMap<>();
    fs.content("etc/apt/sources.list").ifPresent(b -> files.put("/etc/apt/sources.list",
        new String(b, StandardCharsets.UTF_8)));
    fs.contentsUnder("etc/apt/sources.list.d").forEach((name, b) -> {
      if (name.endsWith(".list") || name.endsWith(".sources")) {
        files.put("/etc/apt/sources.list.d/" + name, new String(b, StandardCharsets.UTF_8));
      }
    });
    for (int i = 0; i < req.extraRepositories().size(); i++) {
      files.put("extra source " + (i + 1) + ".list", req.extraRepositories().get(i));
    }
    List<AptSource> out = new ArrayList<>();
    List<String> local = new ArrayList<>();
    for (AptSource s : AptSource.parse(files)) {
      String uri = s.uri().toString();
      boolean mirrored = false;
      for (Map.Entry<String, String> m : req.mirrors().entrySet()) {
        String from = m.getKey().endsWith("/") ? m.getKey() : m.getKey() + "/";
        if (uri.startsWith(from)) {
          String to = m.getValue().endsWith("/") ? m.getValue() : m.getValue() + "/";
          s = s.withUri(URI.create(to + uri.substring(from.length())));
          mirrored = true;
          break;
        }
      }
      // A file: (or cdrom:, copy:) source of the image names the image's filesystem, never this
      // machine's: only the user's own sources (extra ones, mirror rewrites) may be local.
      String scheme = s.uri().getScheme() == null ? "" : s.uri().getScheme();
      if (!mirrored && !s.origin().startsWith("extra source") && !scheme.equals("http") && !scheme.equals("https")) {
        local.add(s + " (" + s.origin() + ")");
        continue;
      }
      out.add(s);
    }
    if (out.isEmpty() && !local.isEmpty()) {
      throw new PatchException("the image's APT sources are all local (" + String.join(", ", local) + "); imagepatch"
          + " reads an image's sources only over http(s): give a mirror with --mirror FROM=TO or --extra-source");
    }
    if (out.isEmpty()) {
      throw new PatchException("the image has no APT sources (/etc/apt/sources.list, sources.list.d) and no extra"
          + " source was given");
    }
    return out;
  }

  /** The keys a source trusts: the request's keyrings, else Signed-By, else apt's trusted.gpg(.d). */
  static PGPPublicKeyRingCollection keys(AptSource s, MergedFilesystem fs, RepositoryOptions req)
      throws IOException, PatchException {
    if (!req.keys().isEmpty()) {
      return SignedRelease.keyring(req.keys());
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

  static Path fetch(List<AptRepository> repositories, dev.imagepatch.pkg.apt.PackageRecord r)
      throws IOException {
    for (AptRepository repo : repositories) {
      if (repo.source().uri().toString().equals(r.repository())) {
        return repo.fetch(r);
      }
    }
    throw new IOException("no repository for " + r);
  }
}
