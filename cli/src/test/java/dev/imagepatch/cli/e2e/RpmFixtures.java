package dev.imagepatch.cli.e2e;

import dev.imagepatch.cli.fidelity.TreeDiff;
import com.sun.net.httpserver.HttpServer;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.testing.Judges;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * The rpm package world of {@link RpmPatchE2ETest}, made by the real tools: packages built by
 * rpmbuild from the specs in {@code resources/rpm/specs} (this machine's loader, libc, static
 * ldconfig, busybox-static, p11-kit and its trust module packaged at RHEL's paths, so scriptlets
 * really run in an installroot), signed by rpmsign, indexed by createrepo_c, served over loopback
 * HTTP; installroots made and upgraded by dnf; trees compared path by path.
 */
final class RpmFixtures {
  private RpmFixtures() {}

  /** The base image's creation time: the patch layer's epoch, and the reference's SOURCE_DATE_EPOCH. */
  static final long CREATED = 1_700_000_000L;

  /** What the base image's builder installs (dnf adds the dependencies). */
  static final List<String> BASE_PACKAGES = List.of("filesystem", "test-release", "glibc", "busybox",
      "ca-certificates", "acme-tools", "acme-legacy");

  /** The names upgraded, by the reference's {@code dnf upgrade} and by the patch. */
  static final List<String> UPGRADED = List.of("glibc", "libtasn1", "p11-kit", "p11-kit-trust", "ca-certificates",
      "acme-tools", "acme-libs");

  /**
   * dnf's configuration, the image's (/etc/dnf/dnf.conf) and the host's for the installroot: UBI's
   * {@code tsflags=nodocs} included, so %doc files are not installed.
   */
  static final String DNF_CONF = "[main]\ngpgcheck=1\nrepo_gpgcheck=1\ninstallonly_limit=3\n"
      + "clean_requirements_on_remove=True\nbest=True\nskip_if_unavailable=False\ninstall_weak_deps=False\n"
      + "keepcache=False\ntsflags=nodocs\n";

  /** The image's repository URLs' prefix (its .repo file), mirrored to the loopback server. */
  static final String ARCHIVE = "http://archive.example/";

  /**
   * A build of RHEL's alternatives (chkconfig's alternatives.c, linked statically), when the run is
   * given one ({@code -Dimagepatch.rpm.alternatives=PATH} or {@code IMAGEPATCH_ALTERNATIVES}): Debian
   * has no package of it (its update-alternatives writes another format), so only then do acme's
   * packages register alternatives and the reference judge them.
   */
  static java.util.Optional<Path> alternatives() {
    String p = System.getProperty("imagepatch.rpm.alternatives", System.getenv("IMAGEPATCH_ALTERNATIVES"));
    return p == null || p.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(Path.of(p));
  }

  /** The tools that make and judge the world. */
  static void requireTools() {
    for (String tool : List.of("rpmbuild", "rpmsign", "createrepo_c", "gpg", "gpgconf", "dnf", "rpm", "openssl",
        "busybox", "trust", "umoci", "skopeo", "db5.3_verify", "sqlite3", "bash", "python3")) {
      Judges.require(tool);
    }
    for (String file : List.of("/sbin/ldconfig", "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so", "/lib/x86_64-linux-gnu/libp11-kit.so.0.3.0",
        "/lib/x86_64-linux-gnu/libtasn1.so.6.6.3", "/lib/x86_64-linux-gnu/libffi.so.8.1.2",
        "/lib/x86_64-linux-gnu/libz.so.1.2.13", "/bin/busybox")) {
      if (!Files.exists(Path.of(file))) {
        Judges.unavailable(file + " is missing: the package world packages this machine's binaries (amd64 Debian 12;"
            + " scripts/test installs busybox-static, p11-kit, p11-kit-modules)");
      }
    }
  }

  /** The world make-world.sh wrote into {@code dir}. */
  record World(Path dir) {
    /** HOME of every rpm and dnf run: its .rpmmacros puts the database at /var/lib/rpm, as RHEL 9. */
    Path home() {
      return dir.resolve("home");
    }

    Path key() {
      return dir.resolve("RPM-GPG-KEY-imagepatch-test");
    }

    Path www() {
      return dir.resolve("www");
    }

    static World build(Path dir) throws Exception {
      Path script = resource("rpm/make-world.sh");
      run(alternatives().map(p -> Map.of("ALTERNATIVES", p.toString())).orElse(Map.of()), "bash", script.toString(),
          dir.toString());
      World w = new World(dir);
      seedRepoFile(w);
      return w;
    }

    /** rpm on an installroot. */
    String rpm(Path root, String... args) throws Exception {
      List<String> cmd = new ArrayList<>(List.of("rpm", "--root", root.toString()));
      cmd.addAll(List.of(args));
      return run(Map.of("HOME", home().toString()), cmd.toArray(String[]::new));
    }

    /**
     * dnf on an installroot with the host's repository definitions (the image's, at the server's
     * URL; the key from the host, as dnf --installroot takes it), so nothing of this machine's
     * configuration is used.
     */
    String dnf(Path root, String serverBase, Map<String, String> env, String... args) throws Exception {
      Path conf = Files.createDirectories(dir.resolve("dnf"));
      Path repos = Files.createDirectories(conf.resolve("repos.d"));
      Files.writeString(conf.resolve("dnf.conf"), DNF_CONF);
      String repo = Files.readString(dir.resolve("test.repo"));
      Files.writeString(repos.resolve("test.repo"), repo.replace(ARCHIVE, serverBase + "good/")
          .replace("file:///etc/pki/rpm-gpg/RPM-GPG-KEY-imagepatch-test", key().toUri().toString()));
      List<String> cmd = new ArrayList<>(List.of("dnf", "-y", "--installroot", root.toString(), "--config",
          conf.resolve("dnf.conf").toString(), "--setopt=reposdir=" + repos, "--releasever", "9"));
      cmd.addAll(List.of(args));
      Map<String, String> e = new LinkedHashMap<>(env);
      e.putIfAbsent("HOME", home().toString());
      return run(e, cmd.toArray(String[]::new));
    }
  }

  /** The image's .repo file, as test-release ships it: what the host's dnf configuration is made from. */
  static void seedRepoFile(World w) throws IOException {
    String spec = Files.readString(resource("rpm/specs/test-release.spec"));
    int from = spec.indexOf("[test-baseos]");
    int to = spec.indexOf("REPO\n", from);
    Files.writeString(w.dir().resolve("test.repo"), spec.substring(from, to));
  }

  static Path resource(String name) {
    try {
      return Path.of(RpmFixtures.class.getClassLoader().getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a command with more environment; returns its standard output, or fails with both outputs. */
  static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
    Path err = Files.createTempFile("imagepatch-rpm-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out
            + Files.readString(err));
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** Runs a command; returns its standard output and error whatever its exit code (rpm -q's "not found" is 1). */
  static String output(Map<String, String> env, String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  /** A loopback HTTP server streaming the files below a directory (links followed), 404 for the rest. */
  static final class Server implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService threads;

    private Server(HttpServer server, ExecutorService threads) {
      this.server = server;
      this.threads = threads;
    }

    static Server start(Path root) {
      HttpServer server;
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "rpm-fixture-http");
        t.setDaemon(true);
        return t;
      });
      server.createContext("/", exchange -> {
        String path = exchange.getRequestURI().getPath();
        Path file = root.resolve(path.substring(1)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
          return;
        }
        exchange.sendResponseHeaders(200, Files.size(file));
        try (OutputStream out = exchange.getResponseBody(); InputStream in = Files.newInputStream(file)) {
          in.transferTo(out);
        }
      });
      server.setExecutor(threads);
      server.start();
      return new Server(server, threads);
    }

    /** {@code http://127.0.0.1:PORT/}. */
    String base() {
      return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/";
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }

  /** The base installroot: dnf installs the packages, then the image's builder changes what images do. */
  static Path installBase(World w, Path root, String serverBase) throws Exception {
    Files.createDirectories(root);
    List<String> args = new ArrayList<>(List.of("--disablerepo=test-updates", "install"));
    args.addAll(BASE_PACKAGES);
    w.dnf(root, serverBase, Map.of(), args.toArray(String[]::new));
    Files.createDirectories(root.resolve("etc/dnf"));
    Files.writeString(root.resolve("etc/dnf/dnf.conf"), DNF_CONF);
    administer(w, root);
    w.dnf(root, serverBase, Map.of(), "clean", "all");
    return root;
  }

  /**
   * What an image's builder does that the upgrade must respect: configuration files changed (one
   * of each kind, {@code %config(noreplace)} changed by the update or not, plain {@code %config},
   * one of the package the update obsoletes, which rpm's erase saves as .rpmsave),
   * a local root added to the trust store's sources and one of the bundle's distrusted (blocklist),
   * extracted by the image's update-ca-trust.
   */
  static void administer(World w, Path root) throws Exception {
    for (String conf : List.of("acme/acme.conf", "acme/defaults.conf", "acme/stable.conf", "acme-legacy.conf")) {
      Files.writeString(root.resolve("etc/" + conf), "# changed by the image's builder\n",
          java.nio.file.StandardOpenOption.APPEND);
    }
    List<String> roots;
    try (Stream<Path> s = Files.list(Path.of("/usr/share/ca-certificates/mozilla"))) {
      roots = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    // make-world.sh's bundles hold the first 14 in this order: the local root is none of them; the
    // distrusted one is the fifth, trusted for servers and email by both versions of the bundle.
    Files.copy(Path.of("/usr/share/ca-certificates/mozilla", roots.get(19)),
        root.resolve("etc/pki/ca-trust/source/anchors/local-ca.pem"));
    Files.copy(Path.of("/usr/share/ca-certificates/mozilla", roots.get(4)),
        root.resolve("etc/pki/ca-trust/source/blocklist/distrusted.pem"));
    run(Map.of("HOME", w.home().toString(), "SOURCE_DATE_EPOCH", Long.toString(CREATED)), "chroot", root.toString(),
        "/usr/bin/update-ca-trust", "extract");
  }

  /**
   * Converts an rpm database directory from SQLite to Berkeley DB, as RHEL 8 and Amazon Linux 2
   * images carry it: Debian's rpm reads Berkeley DB (bdb_ro) but cannot write it, and no other tool
   * here can, so pkg-rpmdb's writer makes it (the headers and header numbers of the SQLite
   * database); rpm's bdb_ro backend and db5.3_verify judge the result.
   */
  static void toBdb(Path dbDir) throws IOException {
    java.util.SortedMap<Integer, dev.imagepatch.pkg.rpm.Header> headers = new TreeMap<>(Integer::compareUnsigned);
    try (dev.imagepatch.pkg.rpmdb.RpmDatabase db = dev.imagepatch.pkg.rpmdb.RpmDatabase.open(dbDir,
        dev.imagepatch.pkg.rpmdb.RpmDatabase.Format.SQLITE)) {
      for (dev.imagepatch.pkg.rpmdb.RpmDatabase.Installed i : db.packages()) {
        headers.put((int) i.hnum(), i.header());
      }
    }
    java.util.SortedMap<Integer, byte[]> blobs = new TreeMap<>(Integer::compareUnsigned);
    headers.forEach((n, h) -> blobs.put(n, h.blob()));
    for (String f : List.of("rpmdb.sqlite", "rpmdb.sqlite-wal", "rpmdb.sqlite-shm")) {
      Files.deleteIfExists(dbDir.resolve(f));
    }
    dev.imagepatch.pkg.rpmdb.bdb.RpmBdb.write(dbDir, blobs, dev.imagepatch.pkg.rpmdb.bdb.RpmBdb.indexes(headers),
        new dev.imagepatch.pkg.rpmdb.bdb.BdbWriter());
  }

  /** A HOME for rpm and dnf whose macros read the database with the Berkeley DB backend. */
  static Path bdbHome(World w) throws IOException {
    Path home = Files.createDirectories(w.dir().resolve("home-bdb"));
    Files.writeString(home.resolve(".rpmmacros"), Files.readString(w.home().resolve(".rpmmacros"))
        + "%_db_backend bdb_ro\n");
    return home;
  }

  /** A copy of a tree, as cp -a makes it. */
  static Path copy(Path from, Path to) throws Exception {
    run(Map.of(), "cp", "-a", from.toString(), to.toString());
    return to;
  }

  /** The image in an OCI layout, as DebianDemo makes one from a tree. */
  static void image(Path rootfs, dev.imagepatch.oci.layout.OciLayout layout, String tag) throws IOException {
    DebianDemo.image(rootfs, layout, tag, "amd64", CREATED);
  }

  // ---- tree comparison --------------------------------------------------------------------

  /** Not part of the image's state: dnf's logs, caches and history, and what the judges compare instead. */
  static boolean ignored(String path) {
    return path.equals("var/log") || path.startsWith("var/log/") || path.startsWith("var/cache/dnf")
        || path.startsWith("var/lib/dnf") || path.startsWith("var/lib/rpm/") || path.equals("var/lib/rpm")
        // ldconfig's auxiliary cache is keyed by inode numbers and ctimes of the machine that ran it.
        || path.equals("var/cache/ldconfig/aux-cache");
  }

  /** The cause a difference is grouped under. */
  static String cause(String path) {
    if (path.startsWith("etc/pki/ca-trust/extracted")) {
      return "trust store (update-ca-trust extract)";
    }
    if (path.equals("etc/ld.so.cache") || path.startsWith("usr/lib64/lib")) {
      return "shared libraries and ld.so.cache (ldconfig)";
    }
    if (path.endsWith(".rpmnew") || path.endsWith(".rpmsave") || path.startsWith("etc/")) {
      return "configuration files";
    }
    if (path.startsWith("etc/alternatives") || path.startsWith("var/lib/alternatives")) {
      return "alternatives";
    }
    return "files";
  }

  /** Differences by cause: "path: reference ... | ours ...". */
  static Map<String, List<String>> compare(Path reference, Path ours) throws IOException {
    return TreeDiff.compare(reference, ours, RpmFixtures::ignored, RpmFixtures::cause);
  }

  static String report(Map<String, List<String>> diff) {
    StringBuilder out = new StringBuilder();
    int total = 0;
    for (Map.Entry<String, List<String>> e : diff.entrySet()) {
      out.append("== ").append(e.getKey()).append(" (").append(e.getValue().size()).append(")\n");
      e.getValue().forEach(l -> out.append("  ").append(l).append('\n'));
      total += e.getValue().size();
    }
    return out.append(total).append(" differences\n").toString();
  }
}
