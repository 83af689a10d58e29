package dev.imagepatch.patch.apk;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.effects.LdConfig;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.apk.ApkKeys;
import dev.imagepatch.pkg.apk.RepositoryLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The apk family: Alpine, Wolfi and Chainguard images, distroless ones included (no {@code apk}
 * binary is needed, none is run). Recognizes an image by its installed database, reads its
 * repositories and keys, resolves as {@code apk upgrade <names>} would, and writes packages,
 * database, scripts and triggers as apk-tools 2 leaves them (see {@link ApkSession}).
 */
public final class ApkBackend implements PackageBackend {
  /** The database's directory: {@code lib/apk/db}; on usrmerged images (Wolfi) reached through {@code lib -> usr/lib}. */
  static final String DB_DIR = "lib/apk/db";
  static final String USR_DB_DIR = "usr/lib/apk/db";
  static final Set<String> OS_IDS = Set.of("alpine", "wolfi", "chainguard", "postmarketos");

  static final Predicate<String> KEEP = p -> dbFile(p)
      || p.equals("etc/apk/repositories") || (p.startsWith("etc/apk/repositories.d/") && p.endsWith(".list"))
      || p.startsWith("etc/apk/keys/") || p.startsWith("usr/share/apk/keys/")
      || p.equals("etc/apk/arch") || p.equals("etc/apk/world") || p.startsWith("etc/apk/protected_paths.d/");

  /** Files under /etc may be protected (apk's {@code +etc}): their content decides {@code .apk-new}. */
  static final Predicate<String> SPOOL = p -> p.startsWith("etc/");

  private static boolean dbFile(String p) {
    for (String dir : List.of(DB_DIR, USR_DB_DIR)) {
      if (p.equals(dir + "/installed") || p.equals(dir + "/scripts.tar") || p.equals(dir + "/triggers")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String describe() {
    return "native apk backend";
  }

  @Override
  public PackageManager packageManager() {
    return PackageManager.APK;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(KEEP, p -> false, SPOOL);
  }

  @Override
  public List<PostInstallEffect> effects() {
    return List.of(new BusyboxApplets(), new AlpineCaCertificates(), new LdConfig("glibc"));
  }

  @Override
  public boolean recognizes(MergedFilesystem image) {
    if (databaseDir(image).isEmpty()) {
      return false;
    }
    OsRelease os = OsRelease.of(image);
    return os.isEmpty() || OS_IDS.contains(os.id()) || os.is("alpine");
  }

  @Override
  public String looksFor() {
    return "an apk database (/lib/apk/db/installed, or /usr/lib/apk/db/installed) in an Alpine, Wolfi or"
        + " Chainguard image";
  }

  @Override
  public PackageSession open(MergedFilesystem image, BackendContext context) throws IOException, PatchException {
    return new ApkSession(image, databaseDir(image).orElseThrow(), context);
  }

  /**
   * Where the database really is: {@code lib/apk/db}, or {@code usr/lib/apk/db} on a usrmerged
   * image, whose {@code /lib} is a symlink (Trivy reads only the real path, trivy#8936).
   */
  static Optional<String> databaseDir(MergedFilesystem image) {
    for (String dir : List.of(DB_DIR, USR_DB_DIR)) {
      String real = image.resolveParent(dir + "/installed");
      if (image.content(real).isPresent()) {
        return Optional.of(real.substring(0, real.length() - "/installed".length()));
      }
    }
    return Optional.empty();
  }

  /** The image's repositories (repositories and repositories.d), mirror-rewritten, then the extra ones. */
  static List<RepositoryLine> repositories(MergedFilesystem fs, RepositoryOptions req) throws PatchException {
    return repositories(fs, req, skipped -> { });
  }

  /**
   * As {@link #repositories(MergedFilesystem, RepositoryOptions)}. A line of the image that is not an
   * {@code http(s)} URL (a local path, {@code file:}, {@code ftp:}) names the image's own filesystem
   * (or something imagepatch cannot fetch): reading it would read the host's filesystem, so it is
   * passed over and told to {@code skipped}. Only the user's own repositories may be local: an
   * {@code --extra-repository}, or what a {@code --mirror} rewrites an image's line to.
   */
  static List<RepositoryLine> repositories(MergedFilesystem fs, RepositoryOptions req,
      java.util.function.Consumer<String> skipped) throws PatchException {
    Map<String, String> files = new LinkedHashMap<>();
    fs.content("etc/apk/repositories").ifPresent(b -> files.put("/etc/apk/repositories",
        new String(b, StandardCharsets.UTF_8)));
    fs.contentsUnder("etc/apk/repositories.d").forEach((name, b) -> {
      if (name.endsWith(".list")) {
        files.put("/etc/apk/repositories.d/" + name, new String(b, StandardCharsets.UTF_8));
      }
    });
    Set<String> fromImage = Set.copyOf(files.keySet());
    for (int i = 0; i < req.extraRepositories().size(); i++) {
      files.put("extra repository " + (i + 1), req.extraRepositories().get(i));
    }
    List<RepositoryLine> out = new ArrayList<>();
    List<String> passedOver = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      List<RepositoryLine> lines;
      try {
        lines = RepositoryLine.parse(f.getValue(), f.getKey());
      } catch (IllegalArgumentException e) {
        throw new PatchException(e.getMessage());
      }
      for (RepositoryLine l : lines) {
        String url = req.mirrored(l.url());
        if (fromImage.contains(f.getKey()) && url.equals(l.url()) && !l.isRemote()) {
          passedOver.add(l.toString());
          skipped.accept(f.getKey() + ": " + l + " passed over: imagepatch reads an image's repositories only over"
              + " http(s); a local one names the image's filesystem, not this machine's (give it with"
              + " --extra-repository, or --mirror it)");
          continue;
        }
        out.add(new RepositoryLine(url, l.tag()));
      }
    }
    if (out.isEmpty() && !passedOver.isEmpty()) {
      throw new PatchException("the image's apk repositories are all local (" + String.join(", ", passedOver)
          + "), which imagepatch does not read from this machine; give a repository with --extra-repository URL (in"
          + " apk's syntax: [@tag] URL), or --mirror the image's");
    }
    if (out.isEmpty()) {
      throw new PatchException("the image has no apk repositories (/etc/apk/repositories) and no extra repository"
          + " was given (--extra-repository URL, in apk's syntax: [@tag] URL)");
    }
    return out;
  }

  /**
   * The keys apk trusts: the request's (files, or directories of {@code *.pub}), else the image's
   * {@code /etc/apk/keys} (whose entries may be links into {@code /usr/share/apk/keys}).
   */
  static ApkKeys keys(MergedFilesystem fs, RepositoryOptions req) throws IOException, PatchException {
    Map<String, byte[]> pem = new LinkedHashMap<>();
    if (!req.keys().isEmpty()) {
      for (Path p : req.keys()) {
        if (Files.isDirectory(p)) {
          try (Stream<Path> s = Files.list(p)) {
            for (Path k : s.filter(k -> k.getFileName().toString().endsWith(".pub")).sorted().toList()) {
              pem.put(k.getFileName().toString(), Files.readAllBytes(k));
            }
          }
        } else {
          pem.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
      }
    } else {
      // apk reads the files of /etc/apk/keys itself, not of directories under it: a name with a '/'
      // (a hostile image's etc/apk/keys/sub/x.pub) is no key, and not a name ApkKeys accepts.
      for (String name : fs.entries().keySet().stream().filter(p -> p.startsWith("etc/apk/keys/")
          && p.indexOf('/', "etc/apk/keys/".length()) < 0).sorted().toList()) {
        Optional<String> real = fs.resolve(name);
        Optional<byte[]> content = real.flatMap(fs::content);
        content.ifPresent(b -> pem.put(name.substring("etc/apk/keys/".length()), b));
      }
    }
    if (pem.isEmpty()) {
      throw new PatchException("no keys to verify the apk repositories: the image has no /etc/apk/keys; give"
          + " the repository's public key with --keyring");
    }
    try {
      return ApkKeys.of(pem);
    } catch (IOException e) {
      throw new PatchException(e.getMessage());
    }
  }
}
