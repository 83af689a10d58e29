package dev.imagepatch.cli.demo;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.apt.AptRepository;
import dev.imagepatch.pkg.apt.AptSource;
import dev.imagepatch.pkg.apt.Dependency;
import dev.imagepatch.pkg.apt.PackageIndex;
import dev.imagepatch.pkg.apt.PackageRecord;
import dev.imagepatch.pkg.apt.SignedRelease;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.StatusStanzas;
import dev.imagepatch.pkg.deb.DebianChangelog;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * The demo's vulnerable Debian 12 image, made from the plain {@code bookworm} suite's .debs
 * without root, debootstrap or a chroot: the packages a few roots need (their Depends and
 * Pre-Depends, resolved in bookworm) are fetched through the project's own APT client (Release
 * signatures checked with this machine's keyring, each .deb's SHA256 against the index), their
 * data archives streamed into one layer, and dpkg's database written as dpkg leaves it (status,
 * info/*.list, md5sums, conffiles, maintainer scripts). Maintainer scripts are not run, as for
 * distroless images. Then what bookworm-security and bookworm-updates fix in it, with the CVE ids
 * the fixed packages' own Debian changelogs name.
 */
public final class DemoImage {
  private DemoImage() {}

  /** What the image is made of: a small base with OpenSSL, the CA store, tzdata and compressors. */
  public static final List<String> ROOTS = List.of("base-files", "debian-archive-keyring", "ca-certificates",
      "openssl", "tzdata", "xz-utils", "zstd", "libexpat1", "libpcre2-8-0", "libpam0g");

  /** The keyring this machine's apt trusts for Debian (used to check the Release signatures). */
  public static final Path DEBIAN_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");

  /**
   * An upgrade with what the changelog entries between the two versions name: CVE ids, else other
   * advisory ids (GHSA, DSA, DLA); {@code changelog} false when the package ships no Debian changelog.
   */
  public record Upgrade(String name, String from, String to, List<String> cves, List<String> advisories,
      boolean changelog) {

    /** The ids the report gives this upgrade: its CVEs, else its other advisories, else {@link #NO_CVE}. */
    public List<String> ids() {
      return !cves.isEmpty() ? cves : !advisories.isEmpty() ? advisories : List.of(NO_CVE);
    }

    /** What the demo says of the upgrade's fixes. */
    public String why() {
      if (!cves.isEmpty()) {
        return cves.size() + (cves.size() == 1 ? " CVE: " : " CVEs: ") + String.join(" ", cves);
      }
      if (!advisories.isEmpty()) {
        return "no CVE named; advisory " + String.join(" ", advisories);
      }
      return changelog ? "no CVE named in its changelog" : "no CVE named (the package ships no Debian changelog)";
    }
  }

  /** The three suites, read and verified. */
  public record Suites(String architecture, AptRepository plain, PackageIndex plainIndex, PackageIndex updates,
      Map<String, AptRepository> byUri, Instant plainDate) {

    /** The verified .deb of a record of any of the suites (from the cache, or downloaded). */
    public Path fetch(PackageRecord r) throws IOException {
      return byUri.get(r.repository()).fetch(r);
    }
  }

  public static HttpClient http() {
    return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  /** Reads bookworm, bookworm-updates and bookworm-security of this machine's mirror, as the image's sources name them. */
  public static Suites suites(DebianDemo.Mirrors m, String arch, ContentCache cache, HttpClient http) throws IOException {
    PGPPublicKeyRingCollection keys = SignedRelease.keyring(List.of(DEBIAN_KEYRING));
    Map<String, AptRepository> byUri = new LinkedHashMap<>();
    PackageIndex plainIndex = new PackageIndex();
    PackageIndex updates = new PackageIndex();
    AptRepository plain = null;
    for (AptSource s : AptSource.parse(Map.of("demo.sources", DebianDemo.imageSources(m)))) {
      AptRepository repo = AptRepository.open(s, keys, cache, http, Instant.now(), false);
      byUri.put(s.uri().toString(), repo);
      if (s.suite().equals("bookworm")) {
        plain = repo;
        repo.loadPackages(plainIndex, arch);
      } else {
        repo.loadPackages(updates, arch);
      }
    }
    if (plain == null) {
      throw new IllegalStateException("no bookworm suite in the demo's sources");
    }
    Instant date = plain.release().date().orElse(Instant.ofEpochSecond(1_700_000_000L));
    return new Suites(arch, plain, plainIndex, updates, byUri, date);
  }

  /**
   * The roots and everything they depend on (Depends and Pre-Depends, first alternative that
   * bookworm has, else its smallest provider), as bookworm's index gives them, by name.
   */
  public static List<PackageRecord> resolve(PackageIndex index, List<String> roots, String arch) throws IOException {
    Map<String, PackageRecord> chosen = new TreeMap<>();
    Map<String, String> provided = new LinkedHashMap<>();
    Deque<String> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (chosen.containsKey(name)) {
        continue;
      }
      PackageRecord r = index.best(name, arch)
          .orElseThrow(() -> new IOException("bookworm has no package " + name + " for " + arch));
      chosen.put(name, r);
      for (Dependency p : r.provided()) {
        provided.put(p.name(), name);
      }
      for (List<Dependency> group : r.requirements()) {
        if (group.stream().anyMatch(d -> chosen.containsKey(d.name()) || provided.containsKey(d.name())
            || todo.contains(d.name()))) {
          continue;
        }
        String pick = null;
        for (Dependency d : group) {
          if (index.best(d.name(), arch).isPresent()) {
            pick = d.name();
            break;
          }
          // A virtual package (awk): its smallest provider (mawk, as Debian's own base has it).
          java.util.Optional<PackageRecord> provider = index.providers(d.name()).stream()
              .min(java.util.Comparator.comparingLong(PackageRecord::size));
          if (provider.isPresent()) {
            pick = provider.get().name();
            break;
          }
        }
        if (pick == null) {
          throw new IOException(name + ": bookworm has nothing that satisfies " + group);
        }
        todo.add(pick);
      }
    }
    return List.copyOf(chosen.values());
  }

  /** Fetches the records' .debs, four at a time; returns them in the records' order. */
  public static List<Path> fetchAll(Suites suites, List<PackageRecord> records) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Path>> futures = new ArrayList<>();
      for (PackageRecord r : records) {
        futures.add(pool.submit(() -> suites.fetch(r)));
      }
      List<Path> out = new ArrayList<>();
      for (Future<Path> f : futures) {
        try {
          out.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted");
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** What {@link #layer} wrote. */
  public record Layer(LayerBuilder.Written written, int files) {}

  private static final String INFO = "var/lib/dpkg/info/";
  private static final java.util.Set<String> SCRIPTS = java.util.Set.of("preinst", "postinst", "prerm", "postrm",
      "config");

  /**
   * Writes the image's one layer to {@code blob}: every package's data archive, streamed (file
   * contents go through {@code staging}, one file each, never memory), dpkg's database as dpkg
   * writes it, and {@code extra} files (path to content).
   */
  public static Layer layer(List<PackageRecord> records, List<Path> debs, Map<String, byte[]> extra, Path staging,
      Path blob, long epoch) throws IOException {
    LayerBuilder layer = new LayerBuilder();
    StringBuilder status = new StringBuilder();
    int[] count = {0};
    for (int i = 0; i < records.size(); i++) {
      PackageRecord r = records.get(i);
      DebArchive deb = DebArchive.open(debs.get(i), r.sha256());
      List<String> list = new ArrayList<>();
      list.add("/.");
      Map<String, String> md5 = new LinkedHashMap<>();
      deb.readData((e, in) -> {
        String path = FsEntry.normalize(e.getName());
        if (path.isEmpty()) {
          return;
        }
        list.add("/" + path);
        long mtime = e.getModTime().getTime() / 1000;
        int mode = e.getMode() & 07777;
        long uid = e.getLongUserId();
        long gid = e.getLongGroupId();
        if (e.isDirectory()) {
          layer.directory(path, mode, uid, gid, mtime);
        } else if (e.isSymbolicLink()) {
          layer.symlink(path, e.getLinkName(), uid, gid, mtime);
        } else if (e.isLink()) {
          layer.hardlink(path, FsEntry.normalize(e.getLinkName()), mode, uid, gid, mtime);
        } else if (DebArchive.isRegularFile(e)) {
          Path file = staging.resolve(Integer.toString(count[0]++));
          MessageDigest md = md5();
          try (OutputStream out = Files.newOutputStream(file)) {
            new DigestInputStream(in, md).transferTo(out);
          }
          md5.put(path, HexFormat.of().formatHex(md.digest()));
          layer.file(path, mode, uid, gid, mtime, Files.size(file), () -> Files.newInputStream(file));
        }
      });
      String info = INFO + (deb.control().get("Multi-Arch").map(String::strip).orElse("no").equals("same")
          ? deb.packageName() + ":" + deb.architecture() : deb.packageName());
      bytes(layer, info + ".list", 0644, epoch, (String.join("\n", list) + "\n").getBytes(StandardCharsets.UTF_8));
      for (Map.Entry<String, DebArchive.ControlMember> m : deb.controlArchive().entrySet()) {
        if (!m.getKey().equals("control") && !m.getKey().contains("/")) {
          bytes(layer, info + "." + m.getKey(), SCRIPTS.contains(m.getKey()) ? 0755 : 0644,
              Math.min(m.getValue().mtimeSeconds(), epoch), m.getValue().content());
        }
      }
      if (!deb.controlMembers().containsKey("md5sums")) {
        StringBuilder sums = new StringBuilder();
        md5.forEach((path, sum) -> sums.append(sum).append("  ").append(path).append('\n'));
        bytes(layer, info + ".md5sums", 0644, epoch, sums.toString().getBytes(StandardCharsets.UTF_8));
      }
      status.append(stanza(deb, md5)).append('\n');
    }
    bytes(layer, "var/lib/dpkg/status", 0644, epoch, status.toString().getBytes(StandardCharsets.UTF_8));
    extra.forEach((path, content) -> bytes(layer, path, 0644, epoch, content));
    LayerBuilder.Written w = layer.write(blob, LayerBuilder.Compression.GZIP, epoch);
    return new Layer(w, layer.entries().size());
  }

  private static void bytes(LayerBuilder layer, String path, int mode, long mtime, byte[] content) {
    String parent = FsEntry.parent(path);
    Deque<String> missing = new ArrayDeque<>();
    while (parent != null && !parent.isEmpty() && !layer.contains(parent)) {
      missing.push(parent);
      parent = FsEntry.parent(parent);
    }
    missing.forEach(d -> layer.directory(d, 0755, 0, 0, mtime));
    layer.file(path, mode, 0, 0, mtime, content.length, () -> new java.io.ByteArrayInputStream(content));
  }

  /** The status stanza dpkg leaves for the installed package: its control, Status, Conffiles with their MD5s. */
  static String stanza(DebArchive deb, Map<String, String> md5ByPath) throws IOException {
    return StatusStanzas.installed(deb.control(), deb.conffileEntries(), md5ByPath, null).toString();
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What bookworm-security and bookworm-updates upgrade among the installed packages, with the CVE
   * ids of the changelog entries between the installed and the fixed version. The changelog is the
   * fixed package's {@code usr/share/doc/<pkg>/changelog.Debian.gz}, or, where that directory is a
   * symlink to another package of the same source, that package's.
   */
  public static List<Upgrade> upgrades(Suites suites, List<PackageRecord> installed, Consumer<String> progress)
      throws IOException {
    List<Upgrade> out = new ArrayList<>();
    for (PackageRecord r : installed) {
      PackageRecord fix = suites.updates().best(r.name(), suites.architecture()).orElse(null);
      if (fix == null || DebianVersion.ORDER.compare(fix.version(), r.version()) <= 0) {
        continue;
      }
      String changelog = changelog(suites, fix, 3);
      List<DebianChangelog.Entry> entries = changelog == null ? List.of() : DebianChangelog.between(
          DebianChangelog.parse(changelog), sourceVersion(r), sourceVersion(fix));
      out.add(new Upgrade(r.name(), r.version(), fix.version(), DebianChangelog.cves(entries),
          DebianChangelog.advisories(entries), changelog != null));
    }
    return out;
  }

  /** The source package's version: the one in {@code Source: name (version)}, else the binary's. */
  static String sourceVersion(PackageRecord r) {
    String s = r.source();
    if (s != null && s.contains("(") && s.endsWith(")")) {
      return s.substring(s.indexOf('(') + 1, s.length() - 1).strip();
    }
    return r.version();
  }

  private static final class Found extends RuntimeException {
    Found() {
      super(null, null, false, false);
    }
  }

  private static String changelog(Suites suites, PackageRecord r, int hops) throws IOException {
    String doc = "usr/share/doc/" + r.name();
    String[] text = {null};
    String[] link = {null};
    boolean native_ = !sourceVersion(r).contains("-");
    DebArchive deb = DebArchive.open(suites.fetch(r), r.sha256());
    try {
      deb.readData((e, in) -> {
        String path = FsEntry.normalize(e.getName());
        if (path.equals(doc) && e.isSymbolicLink()) {
          link[0] = e.getLinkName();
        } else if (path.equals(doc + "/changelog.Debian.gz") && DebArchive.isRegularFile(e)) {
          text[0] = new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
          throw new Found();
        } else if (path.equals(doc + "/changelog.gz") && native_ && DebArchive.isRegularFile(e)) {
          // A native package's changelog.gz is its Debian changelog (a non-native one's is upstream's).
          text[0] = new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
        }
      });
    } catch (Found f) {
      return text[0];
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (text[0] != null) {
      return text[0];
    }
    if (link[0] != null && hops > 0) {
      String target = link[0].substring(link[0].lastIndexOf('/') + 1);
      for (PackageRecord other : suites.updates().named(target)) {
        if (other.sourceName().equals(r.sourceName()) && sourceVersion(other).equals(sourceVersion(r))
            && (other.architecture().equals(r.architecture()) || other.architecture().equals("all"))) {
          return changelog(suites, other, hops - 1);
        }
      }
    }
    return null;
  }

  /** A Trivy (SchemaVersion 2) report: one finding per id of each upgrade (see {@link Upgrade#ids}). */
  public static void trivyReport(Path file, String artifact, String arch, List<Upgrade> upgrades) throws IOException {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var r = json.createObjectNode();
    r.put("SchemaVersion", 2);
    r.put("ArtifactName", artifact);
    r.put("ArtifactType", "container_image");
    var md = r.putObject("Metadata");
    md.putObject("OS").put("Family", "debian").put("Name", "12");
    md.putObject("ImageConfig").put("architecture", arch);
    var result = r.putArray("Results").addObject();
    result.put("Target", artifact + " (debian 12)");
    result.put("Class", "os-pkgs");
    result.put("Type", "debian");
    var vulns = result.putArray("Vulnerabilities");
    for (Upgrade u : upgrades) {
      for (String id : u.ids()) {
        vulns.addObject().put("VulnerabilityID", id).put("PkgName", u.name()).put("InstalledVersion", u.from())
            .put("FixedVersion", u.to()).put("Status", "fixed").put("Severity", "UNKNOWN");
      }
    }
    Files.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
  }

  /** The id of an upgrade whose changelog entries name no CVE (a time-zone or CA-store update, say). */
  public static final String NO_CVE = "no CVE named";

  /** The installed versions the dpkg database of an image in a layout shows, read back from its layers. */
  public static Map<String, String> installedVersions(OciLayout layout, String tag) throws IOException {
    Manifest m = (Manifest) layout.fetchManifest(tag);
    byte[] status = null;
    for (var layer : m.layers()) {
      try (InputStream in = new GZIPInputStream(layout.openBlob(layer), 1 << 16);
          var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in)) {
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
          if (FsEntry.normalize(e.getName()).equals("var/lib/dpkg/status") && DebArchive.isRegularFile(e)) {
            status = tar.readAllBytes();
          }
        }
      }
    }
    if (status == null) {
      throw new IOException("oci:" + layout.root() + ":" + tag + " has no /var/lib/dpkg/status");
    }
    Map<String, String> out = new TreeMap<>();
    for (var p : dev.imagepatch.pkg.deb.DpkgDatabase.ofStatus(new String(status, StandardCharsets.UTF_8),
        tag + ":/var/lib/dpkg/status").installed()) {
      out.put(p.name(), p.version());
    }
    return out;
  }
}
