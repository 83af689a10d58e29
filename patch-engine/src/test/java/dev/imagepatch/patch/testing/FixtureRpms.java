package dev.imagepatch.patch.testing;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.testing.Judges;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * rpm packages built by the real {@code rpmbuild} from small generated specs, dnf repositories of
 * them indexed by the real {@code createrepo_c} and served on loopback ({@code <base>/<repo>/<basearch>/},
 * so one {@code .repo} line with {@code $basearch} serves every architecture), and rpm images whose
 * files and SQLite database (at {@code /var/lib/rpm}, as EL9 keeps it) the real {@code rpm --root -i}
 * wrote. The repositories are unsigned ({@code gpgcheck=0}): what these images test is the engine's
 * multi-arch, re-patch and update-all rules, not signatures. Registered as a static extension it
 * serves the whole test class and stops after it.
 */
public final class FixtureRpms implements AutoCloseable, AfterAllCallback {
  /** Built packages by NEVRA, for every class of the run: a spec builds the same package each time. */
  private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();
  private static Path buildRoot;

  private final LoopbackFiles http;
  private final Path work;
  private final Map<String, Integer> priorities = new ConcurrentHashMap<>();

  private FixtureRpms(LoopbackFiles http, Path work) {
    this.http = http;
    this.work = work;
  }

  /** Repositories served from a fresh directory (call {@link #requireTools} before building anything). */
  public static FixtureRpms start() {
    try {
      return new FixtureRpms(LoopbackFiles.start("fixture-rpm", "/"), Files.createTempDirectory("fixture-rpms-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Skips the test (fails it under CI=true) without the rpm tools these fixtures run. */
  public static void requireTools() {
    for (String tool : List.of("rpmbuild", "rpm", "createrepo_c", "sqlite3")) {
      Judges.require(tool);
    }
  }

  /**
   * What the real {@code rpm -qa} says the SQLite database at {@code var/lib/rpm/rpmdb.sqlite} of
   * {@code files} (an image's or a layer's) holds: {@code name-[epoch:]version-release.arch}, sorted.
   */
  public static List<String> rpmQueryAll(Map<String, byte[]> files) throws IOException {
    byte[] db = files.get("var/lib/rpm/rpmdb.sqlite");
    if (db == null) {
      throw new IOException("no var/lib/rpm/rpmdb.sqlite among " + files.keySet());
    }
    Path dir = Files.createTempDirectory("fixture-rpmdb-");
    Files.write(dir.resolve("rpmdb.sqlite"), db);
    Process p = new ProcessBuilder("rpm", "--dbpath", dir.toString(), "--define", "_db_backend sqlite", "-qa", "--qf",
        "%{NAME}-%{EVR}.%{ARCH}\\n").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException("rpm -qa on the database failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out.lines().filter(l -> !l.isBlank() && !l.startsWith("gpg-pubkey-")).sorted().toList();
  }

  /**
   * A package: {@code name-[epoch:]version-release.arch}, its files (path without the leading
   * slash, text content) and extra spec header lines ({@code Provides: ...}).
   */
  public record Pkg(String name, String epoch, String version, String release, String arch, Map<String, String> files,
      List<String> tags) {
    /** {@code [epoch:]version-release}, the epoch shown only when set. */
    public String evr() {
      return (epoch == null ? "" : epoch + ":") + version + "-" + release;
    }

    public String nevra() {
      return name + "-" + evr() + "." + arch;
    }

    /** The same package with one more file. */
    public Pkg file(String path, String content) {
      Map<String, String> f = new TreeMap<>(files);
      f.put(path, content);
      return new Pkg(name, epoch, version, release, arch, f, tags);
    }

    /** The same package with one more spec header line. */
    public Pkg tag(String line) {
      List<String> t = new ArrayList<>(tags);
      t.add(line);
      return new Pkg(name, epoch, version, release, arch, files, t);
    }
  }

  /**
   * {@code name} at {@code evr} ({@code [epoch:]version-release}) for {@code arch} (rpm's name:
   * {@code x86_64}, {@code aarch64}, {@code noarch}), its one file {@code /usr/share/<name>/<name>.txt}
   * saying which package it is.
   */
  public static Pkg rpm(String name, String evr, String arch) {
    String epoch = evr.contains(":") ? evr.substring(0, evr.indexOf(':')) : null;
    String vr = evr.substring(evr.indexOf(':') + 1);
    int dash = vr.lastIndexOf('-');
    return new Pkg(name, epoch, vr.substring(0, dash), vr.substring(dash + 1), arch,
        new TreeMap<>(Map.of("usr/share/" + name + "/" + name + ".txt", name + " " + evr + " " + arch + "\n")), List.of());
  }

  /** rpm's name for an OCI architecture ({@code amd64} is {@code x86_64}). */
  public static String arch(String goArch) {
    return Architecture.of(goArch, "").nameFor(PackageManager.RPM).orElseThrow();
  }

  /** The package file, built once per run. */
  public static synchronized Path build(Pkg p) throws IOException {
    String key = p.nevra() + p.files() + p.tags();
    Path done = BUILT.get(key);
    if (done != null) {
      return done;
    }
    if (buildRoot == null) {
      buildRoot = Files.createTempDirectory("fixture-rpmbuild-");
    }
    Path top = Files.createDirectories(buildRoot.resolve("b" + BUILT.size()));
    StringBuilder spec = new StringBuilder();
    spec.append("Name: ").append(p.name()).append("\nVersion: ").append(p.version()).append("\nRelease: ")
        .append(p.release()).append('\n');
    if (p.epoch() != null) {
      spec.append("Epoch: ").append(p.epoch()).append('\n');
    }
    spec.append("Summary: fixture package ").append(p.name()).append("\nLicense: MIT\n");
    if (p.arch().equals("noarch")) {
      spec.append("BuildArch: noarch\n");
    }
    p.tags().forEach(t -> spec.append(t).append('\n'));
    spec.append("%description\nA fixture package built by imagepatch's tests.\n%install\n");
    for (Map.Entry<String, String> f : p.files().entrySet()) {
      String path = "%{buildroot}/" + f.getKey();
      spec.append("mkdir -p \"$(dirname ").append(path).append(")\"\n");
      spec.append("printf '%s' '").append(f.getValue().replace("'", "'\\''").replace("%", "%%")).append("' > ")
          .append(path).append('\n');
    }
    spec.append("%files\n");
    p.files().keySet().forEach(f -> spec.append('/').append(f).append('\n'));
    Path specFile = top.resolve(p.name() + ".spec");
    Files.writeString(specFile, spec.toString());
    run(top, "rpmbuild", "-bb", "--quiet", "--target", p.arch().equals("noarch") ? "x86_64" : p.arch(),
        "--define", "_topdir " + top, "--define", "_build_id_links none", "--define", "_buildhost fixture.example",
        "--define", "use_source_date_epoch_as_buildtime 1", "--define", "clamp_mtime_to_source_date_epoch 1",
        specFile.toString());
    Path rpm = top.resolve("RPMS").resolve(p.arch()).resolve(p.name() + "-" + p.version() + "-" + p.release() + "."
        + p.arch() + ".rpm");
    if (!Files.isRegularFile(rpm)) {
      throw new IOException("rpmbuild did not write " + rpm);
    }
    BUILT.put(key, rpm);
    return rpm;
  }

  /**
   * Adds the packages to repository {@code repo}, each under its architecture's directory (noarch
   * ones under every architecture's), and indexes and serves each directory anew.
   */
  public void publish(String repo, Pkg... packages) throws IOException {
    Map<String, List<Path>> byArch = new LinkedHashMap<>();
    for (Pkg p : packages) {
      List<String> arches = p.arch().equals("noarch") ? List.of("x86_64", "aarch64") : List.of(p.arch());
      for (String a : arches) {
        byArch.computeIfAbsent(a, k -> new ArrayList<>()).add(build(p));
      }
    }
    for (Map.Entry<String, List<Path>> e : byArch.entrySet()) {
      Path dir = Files.createDirectories(work.resolve("repos").resolve(repo).resolve(e.getKey()));
      for (Path rpm : e.getValue()) {
        Files.copy(rpm, dir.resolve(rpm.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      run(dir, "createrepo_c", "--quiet", "--no-database", "--simple-md-filenames", dir.toString());
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          http.files().put(repo + "/" + e.getKey() + "/" + dir.relativize(f).toString().replace('\\', '/'),
              Files.readAllBytes(f));
        }
      }
    }
  }

  /** The base URL of {@code repo} as a {@code .repo} file names it, with dnf's {@code $basearch}. */
  public String baseUrl(String repo) {
    return http.base() + repo + "/$basearch/";
  }

  /** Gives {@code repo} dnf's {@code priority=} (default 99; lower wins over any version elsewhere). */
  public void priority(String repo, int priority) {
    priorities.put(repo, priority);
  }

  /** A {@code .repo} file of the repositories, each {@code [fixture-<repo>]}, enabled, unsigned. */
  public String repoFile(String... repos) {
    StringBuilder s = new StringBuilder();
    for (String r : repos) {
      s.append("[fixture-").append(r).append("]\nname=Fixture ").append(r).append("\nbaseurl=").append(baseUrl(r))
          .append("\nenabled=1\ngpgcheck=0\n");
      if (priorities.containsKey(r)) {
        s.append("priority=").append(priorities.get(r)).append('\n');
      }
      s.append('\n');
    }
    return s.toString();
  }

  /**
   * The judge of update-all: the real {@code dnf --installroot R upgrade} (database only, no
   * scripts) run on the image's files, {@code rootfs}, as they are; returns what {@code rpm -qa}
   * then lists ({@code name-[epoch:]version-release.arch}, sorted). dnf reads the image's own
   * {@code /etc/yum.repos.d}; {@code $basearch} is this machine's, so the image must be of its
   * architecture.
   */
  public List<String> dnfUpgrade(Map<String, byte[]> rootfs, String releasever, String... names) throws IOException {
    Judges.require("dnf");
    Path root = Files.createTempDirectory(work, "dnf-root-");
    for (Map.Entry<String, byte[]> f : rootfs.entrySet()) {
      Path file = root.resolve(f.getKey());
      Files.createDirectories(file.getParent());
      Files.write(file, f.getValue());
    }
    // Debian's rpm keeps its database under $HOME; the image's is where EL9 keeps it.
    Path home = Files.createTempDirectory(work, "dnf-home-");
    Files.writeString(home.resolve(".rpmmacros"), "%_dbpath /var/lib/rpm\n%_db_backend sqlite\n");
    List<String> cmd = new ArrayList<>(List.of("dnf", "--installroot", root.toString(), "--releasever", releasever,
        "-y", "-q", "--setopt=tsflags=justdb,noscripts,notriggers", "--setopt=install_weak_deps=0",
        "--setopt=cachedir=" + home.resolve("cache"), "upgrade"));
    cmd.addAll(List.of(names));
    ProcessBuilder b = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
    b.environment().put("HOME", home.toString());
    runBuilt(b, cmd);
    ProcessBuilder q = new ProcessBuilder("rpm", "--root", root.toString(), "--dbpath", "/var/lib/rpm", "--define",
        "_db_backend sqlite", "-qa", "--qf", "%{NAME}-%{EVR}.%{ARCH}\\n").redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = q.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out.lines().filter(l -> !l.isBlank() && !l.startsWith("gpg-pubkey-")).sorted().toList();
  }

  /** The {@code .repo} file of {@code repos} on disk, for {@code --extra-repository}. */
  public Path extraRepository(Path dir, String... repos) throws IOException {
    return Files.writeString(dir.resolve("extra-" + String.join("-", repos) + ".repo"), repoFile(repos));
  }

  /**
   * The files of an image of {@code goArch} (paths without the leading slash): os-release
   * ({@code osRelease}), {@code /etc/yum.repos.d/fixture.repo} naming {@code repos}, and the
   * {@code installed} packages' files and SQLite database as {@code rpm --root -i} wrote them.
   */
  public Map<String, byte[]> rootfs(String goArch, String osRelease, List<String> repos, Pkg... installed)
      throws IOException {
    Path root = Files.createTempDirectory(work, "root-");
    List<String> cmd = new ArrayList<>(List.of("rpm", "--root", root.toString(), "--dbpath", "/var/lib/rpm", "--define",
        "_db_backend sqlite", "-i", "--nodeps", "--noscripts", "--notriggers", "--ignorearch", "--ignoreos"));
    for (Pkg p : installed) {
      if (!p.arch().equals("noarch") && !p.arch().equals(arch(goArch))) {
        throw new IllegalArgumentException(p.nevra() + " in a " + goArch + " image");
      }
      cmd.add(build(p).toString());
    }
    run(root, cmd.toArray(String[]::new));
    Path db = root.resolve("var/lib/rpm/rpmdb.sqlite");
    // The database as an image ships it: checkpointed, without the -wal/-shm and lock rpm leaves.
    run(root, "sqlite3", db.toString(), "PRAGMA wal_checkpoint(TRUNCATE);");
    for (String side : List.of("rpmdb.sqlite-wal", "rpmdb.sqlite-shm", ".rpm.lock")) {
      Files.deleteIfExists(root.resolve("var/lib/rpm").resolve(side));
    }
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
    }
    files.put("etc/os-release", osRelease.getBytes(StandardCharsets.UTF_8));
    files.put("etc/yum.repos.d/fixture.repo", repoFile(repos.toArray(String[]::new)).getBytes(StandardCharsets.UTF_8));
    return files;
  }

  /** A Rocky Linux 9 os-release. */
  public static final String ROCKY_9 = "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\n"
      + "ID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\n"
      + "PRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n";

  /** An image of {@code goArch} (see {@link #rootfs}), tagged {@code tag} (null: untagged). */
  public Descriptor image(OciLayout layout, String tag, String goArch, List<String> repos, Pkg... installed)
      throws IOException {
    return FixtureImages.image(layout, tag, goArch, rootfs(goArch, ROCKY_9, repos, installed));
  }

  private static void run(Path dir, String... command) throws IOException {
    ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    // Build times and file times from a fixed date: the same spec builds the same package bytes.
    b.environment().put("SOURCE_DATE_EPOCH", Long.toString(FixtureImages.CREATED));
    runBuilt(b, List.of(command));
  }

  private static void runBuilt(ProcessBuilder b, List<String> command) throws IOException {
    Process p = b.start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    http.close();
  }
}
