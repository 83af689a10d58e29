package dev.imagepatch.patch.testing;

import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.apk.ApkEntry;
import dev.imagepatch.pkg.apk.InstalledDatabase;
import dev.imagepatch.pkg.apk.InstalledPackage;
import dev.imagepatch.pkg.apk.ScriptsTar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * apk images written to an OCI layout: one base layer with the installed packages' files (modes,
 * directories and symlinks as their data tars have them), {@code lib/apk/db/installed} as apk
 * writes it (the records {@link InstalledPackage#installed} builds, each ended by a blank line),
 * {@code scripts.tar} and {@code triggers} when a package has them, {@code /etc/os-release}, and
 * {@code /etc/apk/{repositories,keys/<key>,world,arch}} naming a {@link FixtureApkRepository}.
 */
public final class FixtureApkImages {
  private FixtureApkImages() {}

  /** An Alpine image for OCI architecture {@code ociArch} (amd64, arm64) with {@code installed} from {@code repo}'s {@code repoPath}. */
  public static Spec alpine(String ociArch, FixtureApkRepository repo, String repoPath, ApkBuilder... installed) {
    return new Spec(ociArch, repo, repoPath, List.of(installed));
  }

  /** The apk architecture of an OCI one. */
  public static String apkArch(String ociArch) {
    return switch (ociArch) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> throw new IllegalArgumentException(ociArch);
    };
  }

  /** What goes into one image; change the defaults before {@link #write}. */
  public static final class Spec {
    private final String ociArch;
    private final FixtureApkRepository repo;
    private final String repoPath;
    private final List<ApkBuilder> installed;
    private String osId = "alpine";
    private boolean usrmerged;
    private boolean distroless;
    private String world;
    private String repositories;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Map<String, byte[]> extra = new TreeMap<>();

    private Spec(String ociArch, FixtureApkRepository repo, String repoPath, List<ApkBuilder> installed) {
      this.ociArch = ociArch;
      this.repo = repo;
      this.repoPath = repoPath;
      this.installed = installed;
    }

    /** Another {@code ID} in /etc/os-release (wolfi, chainguard). */
    public Spec osId(String id) {
      this.osId = id;
      return this;
    }

    /** As Wolfi lays it out: {@code lib -> usr/lib}, the database at {@code usr/lib/apk/db}. */
    public Spec usrmerged() {
      this.usrmerged = true;
      return this;
    }

    /** As Chainguard static images are: no {@code /etc/apk} at all, no {@code /sbin/apk}. */
    public Spec distroless() {
      this.distroless = true;
      return this;
    }

    /** {@code /etc/apk/world}; by default the installed packages' names, one a line. */
    public Spec world(String text) {
      this.world = text;
      return this;
    }

    /** {@code /etc/apk/repositories}; by default the one line {@code repo.url(repoPath)}. */
    public Spec repositories(String text) {
      this.repositories = text;
      return this;
    }

    /** The repository tag {@code name} was installed from (its record's {@code s:}). */
    public Spec installedFrom(String name, String tag) {
      tags.put(name, tag);
      return this;
    }

    /** A file of the base layer, written over the others. */
    public Spec file(String path, String content) {
      extra.put(path, content.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    public String dbDir() {
      return usrmerged ? "usr/lib/apk/db" : "lib/apk/db";
    }

    /** The installed database the image holds. */
    public String installedText() {
      StringBuilder db = new StringBuilder();
      for (ApkBuilder p : installed) {
        db.append(built(p).installed(tags.get(p.name())).text()).append('\n');
      }
      return db.toString();
    }

    private ApkBuilder.Built built(ApkBuilder p) {
      return p.build(repo.key(), repo.keyName());
    }

    /** Writes the image and tags it (null: untagged); returns its descriptor, platform set. */
    public Descriptor write(OciLayout layout, String tag) throws IOException {
      long t = FixtureImages.CREATED;
      LayerBuilder layer = new LayerBuilder();
      Map<String, byte[]> files = new TreeMap<>();
      if (usrmerged) {
        layer.directory("usr", 0755, 0, 0, t).directory("usr/lib", 0755, 0, 0, t).symlink("lib", "usr/lib", 0, 0, t);
      }
      files.put("etc/os-release", utf8(switch (osId) {
        case "alpine" -> "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n";
        default -> "ID=" + osId + "\nNAME=\"" + osId + "\"\nPRETTY_NAME=\"" + osId + "\"\nVERSION_ID=20230201\n";
      }));
      if (!distroless) {
        files.put("etc/apk/repositories", utf8(repositories != null ? repositories : repo.url(repoPath) + "\n"));
        files.put("etc/apk/keys/" + repo.keyName(), repo.publicKeyPem());
        files.put("etc/apk/arch", utf8(apkArch(ociArch) + "\n"));
        StringBuilder w = new StringBuilder();
        installed.forEach(p -> w.append(p.name()).append(tags.containsKey(p.name()) ? "@" + tags.get(p.name()) : "")
            .append('\n'));
        files.put("etc/apk/world", utf8(world != null ? world : w.toString()));
        files.put("sbin/apk", utf8("#!/bin/sh\necho apk-tools 2.14.4 stand-in\n"));
      }
      List<InstalledPackage> records = new ArrayList<>();
      Map<String, Map<String, byte[]>> scripts = new LinkedHashMap<>();
      StringBuilder triggers = new StringBuilder();
      for (ApkBuilder p : installed) {
        ApkBuilder.Built b = built(p);
        for (ApkEntry e : b.entries()) {
          String path = where(e.path());
          switch (e.type()) {
            case DIRECTORY -> {
              if (!(usrmerged && e.path().equals("lib"))) {
                layer.directory(path, e.mode(), 0, 0, t);
              }
            }
            case SYMLINK -> layer.symlink(path, e.linkTarget(), 0, 0, t);
            default -> files.put(path, p.files().get(e.path()));
          }
        }
        InstalledPackage ip = b.installed(tags.get(p.name()));
        records.add(ip);
        if (!p.scripts().isEmpty()) {
          scripts.put(ip.header().checksum(), p.scripts());
        }
        b.pkgInfo().first("triggers").ifPresent(g -> triggers.append(ip.header().checksum()).append(' ').append(g)
            .append('\n'));
      }
      String db = installedText();
      files.put(dbDir() + "/installed", utf8(db));
      if (!scripts.isEmpty()) {
        InstalledDatabase parsed = InstalledDatabase.parse(db, "fixture installed");
        files.put(dbDir() + "/scripts.tar", ScriptsTar.empty().update(parsed, scripts).write(t));
      }
      if (!triggers.isEmpty()) {
        files.put(dbDir() + "/triggers", utf8(triggers.toString()));
      }
      files.putAll(extra);
      files.forEach((path, content) -> {
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
          String dir = path.substring(0, i);
          if (!layer.contains(dir)) {
            layer.directory(dir, 0755, 0, 0, t);
          }
        }
        layer.file(path, path.matches("(.*/)?s?bin/.*") ? 0755 : 0644, 0, 0, t, content.length,
            () -> new ByteArrayInputStream(content));
      });
      return FixtureImages.image(layout, tag, ociArch, layer);
    }

    /** Where a package path is in the image: through {@code lib -> usr/lib} when usrmerged. */
    private String where(String path) {
      if (usrmerged && (path.equals("lib") || path.startsWith("lib/"))) {
        return "usr/" + path;
      }
      return path;
    }
  }

  /** One entry of a written layer: its tar type ('0' file, '2' symlink, '5' directory), mode, link and content. */
  public record LayerEntry(char type, int mode, String link, byte[] content) {
    public String text() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  /** Every entry of the gzip layer {@code layer}, by path (directories without their trailing slash). */
  public static Map<String, LayerEntry> entries(OciLayout layout, Descriptor layer) throws IOException {
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(layout.openBlob(layer)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = e.getName().replaceFirst("^\\./", "").replaceFirst("/$", "");
        char type = e.isDirectory() ? '5' : e.isSymbolicLink() ? '2' : e.isLink() ? '1' : '0';
        out.put(name, new LayerEntry(type, e.getMode() & 07777, e.getLinkName(), e.isFile() ? tar.readAllBytes()
            : new byte[0]));
      }
    }
    return out;
  }

  /** The entries of the top layer of the image at {@code reference}. */
  public static Map<String, LayerEntry> topLayer(OciLayout layout, String reference) throws IOException {
    List<Descriptor> layers = FixtureImages.manifest(layout, reference).layers();
    return entries(layout, layers.get(layers.size() - 1));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
