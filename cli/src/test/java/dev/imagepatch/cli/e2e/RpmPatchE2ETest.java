package dev.imagepatch.cli.e2e;

import static dev.imagepatch.cli.e2e.RpmFixtures.CREATED;
import static dev.imagepatch.cli.e2e.RpmFixtures.UPGRADED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RPM image patched by {@code imagepatch patch}, judged against the same image upgraded by a
 * real {@code dnf --installroot upgrade}.
 *
 * <p>The world ({@link RpmFixtures}, {@code resources/rpm}): packages built here by rpmbuild from
 * specs that behave like RHEL's: setup's accounts; filesystem's usrmove links; a release package
 * (os-release, the .repo file, the key); a glibc with this machine's loader, libc and static
 * ldconfig; a busybox shell; shared libraries with sonames and {@code %post -p /sbin/ldconfig} (one
 * whose file name changes, one new dependency); p11-kit and its trust module; ca-certificates whose
 * {@code %post} runs a RHEL-like update-ca-trust, i.e. p11-kit's trust extract; and acme, whose
 * subpackages carry an epoch, configuration files of each kind, a file moving between them, a hard
 * link, a link becoming a file, a file under /sbin, a directory changing owner, a %doc file, a
 * %ghost, an obsoleted package and a %posttrans no effect covers. Signed by rpmsign, indexed by
 * createrepo_c with a gpg-signed repomd.xml, served over loopback HTTP. The base: dnf installs them
 * into an installroot (SQLite database, {@code tsflags=nodocs}; every scriptlet really runs in the
 * chroot), then the image's builder changes configuration files and adds a local root to the trust
 * store. The reference: a copy of the base upgraded by real dnf (with SOURCE_DATE_EPOCH at the
 * image's creation time, which p11-kit's Java keystore dates take, as the patch layer's epoch is).
 * Ours: the base pushed to a real registry, patched, pulled by skopeo, unpacked by umoci.
 *
 * <p>What the comparison leaves out: dnf's logs, caches and history database (not image state), the
 * database files' bytes (judged by rpm instead: the same packages, {@code rpm -V} and
 * {@code dnf check}), and ldconfig's aux-cache (inode numbers). Alternatives are in the world
 * only when the run is given a build of RHEL's {@code alternatives} ({@code
 * -Dimagepatch.rpm.alternatives=PATH}, a static build of chkconfig's alternatives.c): Debian has
 * none (its update-alternatives writes another format), so in CI no real tool makes the reference and
 * RpmAlternatives is judged against chkconfig's source by its own tests; given a build, the tree
 * comparison below judges its state files and links like every other path. The ldconfig in the world is Debian's, whose
 * built-in directories are the multiarch ones (RHEL's are /lib64 and /usr/lib64): glibc's
 * /etc/ld.so.conf names /usr/lib64, so both ldconfigs see the same directories.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RpmPatchE2ETest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  static Path work;

  static RpmFixtures.World world;
  static RpmFixtures.Server server;
  static Path base;
  static Path reference;
  static String image;
  static Path report;
  static List<DebianDemo.Upgrade> upgrades;
  static long started;

  @BeforeAll
  static void buildTheWorldTheBaseAndTheReference() throws Exception {
    started = System.nanoTime();
    RpmFixtures.requireTools();
    // -Dimagepatch.rpm.work=DIR keeps the trees for a look after the run.
    String keep = System.getProperty("imagepatch.rpm.work");
    if (keep != null) {
      RpmFixtures.run(Map.of(), "rm", "-rf", keep);
      work = Files.createDirectories(Path.of(keep));
    }
    world = RpmFixtures.World.build(work.resolve("world"));
    server = RpmFixtures.Server.start(world.www());
    base = RpmFixtures.installBase(world, work.resolve("base"), server.base());
    reference = RpmFixtures.copy(base, work.resolve("reference"));
    List<String> args = new ArrayList<>(List.of("upgrade"));
    args.addAll(UPGRADED);
    String dnf = world.dnf(reference, server.base(), Map.of("SOURCE_DATE_EPOCH", Long.toString(CREATED)),
        args.toArray(String[]::new));
    System.out.println(dnf.substring(dnf.lastIndexOf("\nUpgraded:")));

    OciLayout layout = OciLayout.openOrCreate(work.resolve("base-layout"));
    RpmFixtures.image(base, layout, "9");
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "9", registry.client().repository("testlinux"),
        "9");
    image = registry.host() + "/testlinux:9";
    Map<String, String> before = evrs(base);
    Map<String, String> after = evrs(reference);
    upgrades = new ArrayList<>();
    for (String name : UPGRADED) {
      upgrades.add(new DebianDemo.Upgrade(name, before.get(name), after.get(name)));
    }
    report = DebianDemo.trivyReport(work.resolve("report.json"), image, "redhat", "9.4", "amd64", upgrades);
    Files.writeString(report, Files.readString(report).replace("APT-UPGRADE-", "RHSA-TEST-"));
    System.out.printf("world, base and reference: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  @AfterAll
  static void stopTheServer() {
    if (server != null) {
      server.close();
    }
    System.out.printf("RpmPatchE2ETest: %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  /** name -> EVR of every installed package but the gpg-pubkey entries. */
  static Map<String, String> evrs(Path root) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (String line : world.rpm(root, "-qa", "--qf", "%{NAME} %{EVR}\\n").split("\n")) {
      String[] f = line.split(" ");
      out.put(f[0], f[1]);
    }
    return out;
  }

  /** The installed names in header-number order. */
  static List<String> numbering(Path root, String[] options) throws Exception {
    List<String> args = new ArrayList<>(List.of(options));
    args.addAll(List.of("-qa", "--qf", "%{NAME}\\n"));
    return List.of(world.rpm(root, args.toArray(String[]::new)).split("\n"));
  }

  /** {@code rpm -qa} as NEVRA and install time, sorted. */
  static List<String> installed(Path root, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of(options));
    args.addAll(List.of("-qa", "--qf", "%{NEVRA} %{INSTALLTIME}\\n"));
    return Arrays.stream(world.rpm(root, args.toArray(String[]::new)).split("\n")).sorted().toList();
  }

  private static List<String> withoutTimes(List<String> lines) {
    return lines.stream().map(l -> l.substring(0, l.lastIndexOf(' '))).toList();
  }

  /**
   * What rpm reads of the upgraded packages (and the new dependency) through the database: each
   * header's signature and digests (the immutable region kept), install color, file states (%doc
   * files "not installed" under nodocs) and colors, and every other tag but the install time
   * ({@code rpm -q --xml}); and through each index: every file of theirs by
   * path ({@code -qf}, Basenames), every capability they provide ({@code --whatprovides},
   * Providename; {@code --whatrequires}, Requirename), the obsoleted name ({@code --whatobsoletes}).
   */
  static String database(Path root, String[] options) throws Exception {
    List<String> names = new ArrayList<>(UPGRADED);
    names.add("zlib");
    Map<String, String> env = Map.of("HOME", world.home().toString());
    List<String> files = new ArrayList<>();
    List<String> capabilities = new ArrayList<>();
    for (String n : names) {
      for (String f : world.rpm(reference, "-ql", n).split("\n")) {
        if (f.startsWith("/")) {
          files.add(f);
        }
      }
      for (String c : world.rpm(reference, "-q", "--provides", n).split("\n")) {
        capabilities.add(c.split(" ")[0]);
      }
    }
    StringBuilder out = new StringBuilder();
    String rpm = "rpm --root '" + root + "' " + String.join(" ", Arrays.stream(options).map(o -> "'" + o + "'").toList());
    out.append(RpmFixtures.output(env, "sh", "-c", rpm + " -q --qf '%{NEVRA} %{RSAHEADER:pgpsig} %{SHA256HEADER}"
        + " %{PAYLOADDIGEST} %{INSTALLCOLOR}\\n[%{FILENAMES} %{FILESTATES:fstate} %{FILECOLORS}\\n]' "
        + String.join(" ", names)));
    // One query for each operand, its answers sorted: their order is the header numbers' (see judge).
    StringBuilder script = new StringBuilder();
    for (String f : files) {
      script.append("echo '== -qf ").append(f).append("'; ").append(rpm).append(" -qf '").append(f)
          .append("' 2>&1 | sort\n");
    }
    for (String c : capabilities) {
      for (String q : List.of("--whatprovides", "--whatrequires")) {
        script.append("echo '== ").append(q).append(' ').append(c).append("'; ").append(rpm).append(" -q ").append(q)
            .append(" '").append(c).append("' 2>&1 | sort\n");
      }
    }
    script.append(rpm).append(" -q --whatobsoletes acme-legacy 2>&1\n");
    out.append(RpmFixtures.output(env, "sh", "-c", script.toString()));
    // Every tag of every installed header but the install time (rpm with SOURCE_DATE_EPOCH counts up from it
    // in the reference's install order; ours are all the layer's epoch, checked in judge).
    out.append(RpmFixtures.output(env, "sh", "-c", rpm + " -q --xml " + String.join(" ", names))
        .replaceAll("(<rpmTag name=\"Installtime\">\\s*<integer>)\\d+(</integer>)", "$1INSTALLTIME$2"));
    return out.toString();
  }

  /** {@code rpm -V} of the packages the upgrade left at new versions (and the new dependency). */
  static String verify(Path root, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of(options));
    args.add("-V");
    args.addAll(UPGRADED);
    args.add("zlib");
    try {
      return world.rpm(root, args.toArray(String[]::new));
    } catch (java.io.IOException e) {
      // rpm -V exits 1 when it reports something; the report is the output.
      String m = e.getMessage();
      return m.substring(m.indexOf(":\n") + 2);
    }
  }

  @Test
  @Order(1)
  void theReferenceIsARealUpgrade() throws Exception {
    Map<String, String> after = evrs(reference);
    assertEquals("1:2.0-1.el9", after.get("acme-tools"));
    assertEquals("x86_64", world.rpm(reference, "-q", "--qf", "%{ARCH}", "acme-libs"), "noarch to x86_64");
    assertFalse(Files.isSymbolicLink(reference.resolve("usr/bin/acmectl")), "a link became a file");
    assertTrue(Files.isSymbolicLink(reference.resolve("sbin")) && Files.isRegularFile(
        reference.resolve("usr/sbin/acme-admin"), LinkOption.NOFOLLOW_LINKS), "/sbin/acme-admin went through the link");
    assertEquals(990, Files.getAttribute(reference.resolve("var/lib/acme"), "unix:uid", LinkOption.NOFOLLOW_LINKS),
        "owned by the system user");
    assertFalse(Files.exists(reference.resolve("usr/share/doc/acme-tools/README")), "tsflags=nodocs");
    assertFalse(after.containsKey("acme-legacy"), "acme-tools 2 obsoletes acme-legacy");
    assertEquals("1.2.13-1.el9", after.get("zlib"), "a new dependency");
    Path acme = reference.resolve("etc/acme");
    assertTrue(Files.exists(acme.resolve("acme.conf.rpmnew")), "changed noreplace file: the new one beside it");
    assertTrue(Files.exists(acme.resolve("defaults.conf.rpmsave")), "changed plain %config: the image's saved");
    assertFalse(Files.exists(acme.resolve("stable.conf.rpmnew")), "a file the package did not change is kept");
    assertTrue(Files.exists(reference.resolve("etc/acme-legacy.conf.rpmsave")), "the erased package's changed file");
    assertEquals("theme = dark\n", Files.readString(acme.resolve("theme.conf")), "an unchanged file is replaced");
    assertEquals("data 2\n", Files.readString(reference.resolve("usr/share/acme/data.txt")), "moved to acme-libs");
    assertFalse(Files.exists(reference.resolve("usr/share/acme/old-only.txt"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("libtasn1.so.6.6.4", Files.readSymbolicLink(reference.resolve("usr/lib64/libtasn1.so.6")).toString());
    assertFalse(Files.exists(reference.resolve("usr/lib64/libtasn1.so.6.6.3"), LinkOption.NOFOLLOW_LINKS));
    String tls = Files.readString(reference.resolve("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"));
    assertFalse(tls.equals(Files.readString(base.resolve("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"))),
        "the trust store was extracted again from the new sources");
    assertEquals("S.5....T.  c /etc/acme/acme.conf\nS.5....T.  c /etc/acme/stable.conf\n", verify(reference),
        "rpm -V: only the image's own configuration changes");
    world.dnf(RpmFixtures.copy(reference, work.resolve("reference-check")), server.base(), Map.of(), "check");
  }

  @Test
  @Order(2)
  void patchedImageIsWhatDnfWouldHaveMade() throws Exception {
    long t = System.nanoTime();
    CliRun r = CliRun.of("patch", "-i", image, "-r", report.toString(), "--push", "--cache",
        work.resolve("cache").toString(), "--mirror", RpmFixtures.ARCHIVE + "=" + server.base() + "good/");
    System.out.println(r.err() + r.out());
    System.out.printf("imagepatch patch: %.1f s%n", (System.nanoTime() - t) / 1e9);
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("Patched " + image + " -> " + image + "-patched (sha256:"), r.out());
    dev.imagepatch.oci.Manifest baseManifest = (dev.imagepatch.oci.Manifest) registry.client().getManifest("testlinux", "9");
    dev.imagepatch.oci.Manifest patched = (dev.imagepatch.oci.Manifest) registry.client().getManifest("testlinux",
        "9-patched");
    assertEquals(baseManifest.layers(), patched.layers().subList(0, patched.layers().size() - 1),
        "one layer added, the base's unchanged");
    Path ours = pull("testlinux:9-patched", work.resolve("ours"));
    // Before rpm opens the database (which makes them again).
    assertFalse(Files.exists(ours.resolve("var/lib/rpm/rpmdb.sqlite-wal"), LinkOption.NOFOLLOW_LINKS),
        "no -wal shipped (the lower layer's whited out)");
    assertFalse(Files.exists(ours.resolve("var/lib/rpm/rpmdb.sqlite-shm"), LinkOption.NOFOLLOW_LINKS),
        "no -shm shipped (the lower layer's whited out)");
    assertEquals("ok\n", RpmFixtures.run(Map.of(), "sqlite3", ours.resolve("var/lib/rpm/rpmdb.sqlite").toString(),
        "PRAGMA integrity_check"), "sqlite3's integrity check");
    judge(ours, new String[0]);
    world.dnf(ours, server.base(), Map.of(), "check");
  }

  /**
   * The trees, the packages (install times apart; the upgraded ones installed at the layer's time),
   * rpm -V of the upgraded packages: ours as the reference. Everything is printed before any
   * assertion, so one run shows every difference.
   */
  static void judge(Path ours, String[] rpmOptions) throws Exception {
    Map<String, List<String>> diff = RpmFixtures.compare(reference, ours);
    System.out.println(RpmFixtures.report(diff));
    List<String> refInstalled = withoutTimes(installed(reference));
    List<String> ourInstalled = installed(ours, rpmOptions);
    List<String> before = withoutTimes(installed(base));
    List<String> wrongTimes = new ArrayList<>();
    for (String line : ourInstalled) {
      String nevra = line.substring(0, line.lastIndexOf(' '));
      if (!before.contains(nevra) && !line.endsWith(" " + CREATED)) {
        wrongTimes.add(line);
      }
    }
    String refVerify = verify(reference);
    String ourVerify = verify(ours, rpmOptions);
    String refDatabase = database(reference, new String[0]);
    String ourDatabase = database(ours, rpmOptions);
    System.out.println("rpm -qa, reference: " + refInstalled + "\nrpm -qa, ours:      " + withoutTimes(ourInstalled));
    System.out.println("rpm -V, reference:\n" + refVerify + "rpm -V, ours:\n" + ourVerify);
    // Database layout, not compared: the header numbers. rpm numbers a transaction's packages in the
    // order it installs them (rpmtsOrder: dependencies first), which shows in rpm -qa's unsorted
    // order and the order of an index's answers.
    System.out.println("header numbers, reference: " + numbering(reference, new String[0])
        + "\nheader numbers, ours:      " + numbering(ours, rpmOptions));
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertEquals(refInstalled, withoutTimes(ourInstalled), "rpm -qa: the same packages"),
        () -> assertEquals(List.of(), wrongTimes, "packages installed by the patch carry the layer's time"),
        () -> assertEquals(refVerify, ourVerify, "rpm -V of the upgraded packages"),
        () -> assertEquals(refDatabase, ourDatabase, "headers and indexes as rpm reads them"),
        () -> assertTrue(diff.isEmpty(), "differences from the real dnf upgrade:\n" + RpmFixtures.report(diff)));
  }

  @Test
  @Order(3)
  void thePatchedImageIsUpToDateAndWithoutAReportTheSameIsUpgraded() throws Exception {
    String mirror = RpmFixtures.ARCHIVE + "=" + server.base() + "good/";
    // Our own layer read back (its database, the -wal/-shm whiteouts): nothing left to do, nothing pushed.
    CliRun again = CliRun.of("patch", "-i", image + "-patched", "-r", report.toString(), "-t", "9-repatched",
        "--push", "--cache", work.resolve("cache").toString(), "--mirror", mirror);
    assertEquals(0, again.code(), again.out() + again.err());
    assertTrue(again.out().contains("already up to date"), again.out());
    assertFalse(registry.client().listTags("testlinux").contains("9-repatched"), "an up-to-date image pushes nothing");
    // Without a report every package with a newer version: what dnf upgraded by name, as a plain dnf upgrade would.
    CliRun all = CliRun.of("patch", "-i", image, "--dry-run", "--cache", work.resolve("cache").toString(),
        "--mirror", mirror);
    assertEquals(0, all.code(), all.out() + all.err());
    for (DebianDemo.Upgrade u : upgrades) {
      assertTrue(all.out().matches("(?s).*\\n  " + java.util.regex.Pattern.quote(u.name()) + " +"
          + java.util.regex.Pattern.quote(u.from()) + " +" + java.util.regex.Pattern.quote(u.to()) + " .*"),
          u + " in:\n" + all.out());
    }
    assertTrue(all.out().matches("(?s).*\\n  zlib +\\(new\\) +1\\.2\\.13-1\\.el9 .*"), all.out());
    assertTrue(all.out().matches("(?s).*\\n  acme-legacy +1\\.0-1\\.el9 +\\(removed\\) .*"), all.out());
  }

  @Test
  @Order(3)
  void berkeleyDbImageIsPatchedInItsFormat() throws Exception {
    Path bdb = RpmFixtures.copy(base, work.resolve("base-bdb"));
    RpmFixtures.toBdb(bdb.resolve("var/lib/rpm"));
    String[] bdbRo = {"--define", "_db_backend bdb_ro"};
    assertEquals(withoutTimes(installed(base)), withoutTimes(installed(bdb, bdbRo)), "the converted base reads back");
    RpmFixtures.run(Map.of(), "db5.3_verify", "-q", bdb.resolve("var/lib/rpm/Packages").toString());
    OciLayout layout = OciLayout.openOrCreate(work.resolve("bdb-layout"));
    RpmFixtures.image(bdb, layout, "9-bdb");
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "9-bdb",
        registry.client().repository("testlinux"), "9-bdb");
    CliRun r = CliRun.of("patch", "-i", image + "-bdb", "-r", report.toString(), "--push", "--cache",
        work.resolve("cache").toString(), "--mirror", RpmFixtures.ARCHIVE + "=" + server.base() + "good/");
    System.out.println(r.err() + r.out());
    assertEquals(0, r.code(), r.out() + r.err());
    Path ours = pull("testlinux:9-bdb-patched", work.resolve("ours-bdb"));
    Path db = ours.resolve("var/lib/rpm");
    assertFalse(Files.exists(db.resolve("rpmdb.sqlite")), "the database stays in its format");
    List<String> files;
    try (var list = Files.list(db)) {
      files = list.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".") && !n.startsWith("__db")).sorted().toList();
    }
    assertTrue(files.contains("Packages"), files.toString());
    for (String f : files) {
      RpmFixtures.run(Map.of(), "db5.3_verify", "-q", db.resolve(f).toString());
    }
    judge(ours, bdbRo);
    world.dnf(ours, server.base(), Map.of("HOME", RpmFixtures.bdbHome(world).toString()), "check");
  }

  @Test
  @Order(4)
  void distrolessMarinerManifestIsUpdatedInItsFormat() throws Exception {
    // syft's vector: CBL-Mariner 2.0, vim's epoch in column 6 (Copa's %{EPOCH} style).
    distroless("syft-testdata-container-manifest-2", "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20220527\"\n"
        + "ID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n", "mariner", "2.0",
        List.of("glibc", "openssl-libs"));
  }

  @Test
  @Order(4)
  void distrolessAzureLinuxManifestIsUpdatedInItsFormat() throws Exception {
    // trivy's vector: Azure Linux 3.0, the literal "(none)" in column 6, ca-certificates-base at epoch 1.
    distroless("trivy-rpmqa_test-container-manifest-2", "NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20250602\"\n"
        + "ID=azurelinux\nVERSION_ID=\"3.0\"\nPRETTY_NAME=\"Microsoft Azure Linux 3.0\"\n", "azurelinux", "3.0",
        List.of("glibc", "ca-certificates-base"));
  }

  /**
   * A distroless image of only the manifests (container-manifest-2 from the vector, -1 made from it)
   * and os-release, patched (every package with a newer version) from a repository given in .repo
   * syntax, its key with --keyring; the manifests must list the new versions in the generator's
   * format, as rpm prints them for the new packages, the other lines byte for byte.
   */
  private static void distroless(String vector, String osRelease, String repository, String tag,
      List<String> upgraded) throws Exception {
    String manifest2 = dev.imagepatch.testing.SharedData.text("vectors/rpm/mariner-manifest/" + vector);
    Path root = work.resolve("distroless-" + repository);
    Path manifests = Files.createDirectories(root.resolve("var/lib/rpmmanifest"));
    Files.writeString(manifests.resolve("container-manifest-2"), manifest2);
    Files.writeString(manifests.resolve("container-manifest-1"), manifest1(manifest2));
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/os-release"), osRelease);
    Files.createDirectories(root.resolve("usr/share/doc/glibc"));
    Files.writeString(root.resolve("usr/share/doc/glibc/VERSION"), "glibc 2.35-2.cm2\n");
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout-" + repository));
    RpmFixtures.image(root, layout, tag);
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, tag, registry.client().repository(repository),
        tag);
    // No repository in the image: one given in .repo syntax, its key with --keyring.
    Path repo = work.resolve("azurelinux.repo");
    Files.writeString(repo, "[azurelinux-test]\nname=Azure Linux test\nbaseurl=" + server.base()
        + "good/azurelinux/x86_64/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n");
    CliRun r = CliRun.of("patch", "-i", registry.host() + "/" + repository + ":" + tag, "--push", "--cache",
        work.resolve("cache").toString(), "--extra-repository", repo.toString(), "--keyring", world.key().toString());
    System.out.println(r.err() + r.out());
    assertEquals(0, r.code(), r.out() + r.err());
    Path ours = pull(repository + ":" + tag + "-patched", work.resolve("ours-" + repository));

    // The generator's format (Azure/dalec), as rpm itself prints it for the new packages; installed at the layer's time.
    Map<String, String> fresh = new TreeMap<>();
    try (var pkgs = Files.list(world.www().resolve("good/azurelinux/x86_64/Packages"))) {
      for (Path p : pkgs.toList()) {
        String line = RpmFixtures.run(Map.of("HOME", world.home().toString()), "rpm", "-qp", "--nosignature", "--qf",
            "%{NAME}\\t%{VERSION}-%{RELEASE}\\t" + CREATED + "\\t%{BUILDTIME}\\t%{VENDOR}\\t(none)\\t%{SIZE}\\t%{ARCH}"
            + "\\t%{EPOCHNUM}\\t%{SOURCERPM}\\n", p.toString());
        fresh.put(line.substring(0, line.indexOf('\t')), line.strip());
      }
    }
    StringBuilder expected = new StringBuilder();
    for (String line : manifest2.split("\n", -1)) {
      String name = line.contains("\t") ? line.substring(0, line.indexOf('\t')) : null;
      expected.append(name != null && upgraded.contains(name) ? fresh.get(name) : line).append('\n');
    }
    String want = expected.substring(0, expected.length() - 1);
    assertEquals(want, Files.readString(ours.resolve("var/lib/rpmmanifest/container-manifest-2")),
        "container-manifest-2: the upgraded lines replaced where they stand, the others byte for byte");
    assertEquals(manifest1(want), Files.readString(ours.resolve("var/lib/rpmmanifest/container-manifest-1")));
    assertEquals("glibc 2.35-3.cm2\n", Files.readString(ours.resolve("usr/share/doc/glibc/VERSION")));
    assertFalse(Files.exists(ours.resolve("var/lib/rpm")), "no database where the image had none");
  }

  /** container-manifest-1 of a container-manifest-2: {@code rpm -qa}'s N-V-R.A, one a line. */
  static String manifest1(String manifest2) {
    StringBuilder out = new StringBuilder();
    for (String line : manifest2.split("\n")) {
      String[] f = line.split("\t");
      if (f.length >= 8) {
        out.append(f[0]).append('-').append(f[1]).append('.').append(f[7]).append('\n');
      }
    }
    return out.toString();
  }

  @Test
  @Order(5)
  void badRepositoriesAreRefusedClearlyAndNothingIsPushed() throws Exception {
    // rpm itself says the two packages are bad.
    for (String bad : List.of("bad-signature", "unknown-key")) {
      Path rpm = world.www().resolve(bad + "/test/9/updates/x86_64/os/Packages/acme-tools-2.0-1.el9.x86_64.rpm");
      try {
        world.rpm(reference, "-K", rpm.toString());
        org.junit.jupiter.api.Assertions.fail(bad + ": rpm -K accepts " + rpm);
      } catch (java.io.IOException e) {
        assertTrue(e.getMessage().contains("SIGNATURES NOT OK"), e.getMessage());
      }
    }
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("bad-signature", "acme-tools-2.0-1.el9.x86_64");
    expected.put("unknown-key", "acme-tools-2.0-1.el9.x86_64");
    expected.put("bad-repomd", "repomd.xml");
    for (Map.Entry<String, String> bad : expected.entrySet()) {
      CliRun r = CliRun.of("patch", "-i", image, "-r", report.toString(), "--push", "-t", "9-" + bad.getKey(),
          "--cache", work.resolve("cache-" + bad.getKey()).toString(), "--mirror",
          RpmFixtures.ARCHIVE + "=" + server.base() + bad.getKey() + "/");
      System.out.println(bad.getKey() + ": " + r.err());
      assertEquals(1, r.code(), r.out() + r.err());
      String err = r.err();
      assertTrue(err.contains(bad.getValue()) && err.contains("test-updates")
          && err.toLowerCase(java.util.Locale.ROOT).contains("signature"), bad.getKey() + ": " + err);
    }
    List<String> tags = registry.client().listTags("testlinux");
    for (String bad : expected.keySet()) {
      assertFalse(tags.contains("9-" + bad), bad + " pushed: " + tags);
    }
  }

  @Test
  @Order(6)
  void aScriptletNoEffectCoversIsListedAndStrictRefusesIt() throws Exception {
    String mirror = RpmFixtures.ARCHIVE + "=" + server.base() + "good/";
    CliRun dry = CliRun.of("patch", "-i", image, "-r", report.toString(), "--dry-run", "--verbose", "-t", "9-dry",
        "--cache", work.resolve("cache").toString(), "--mirror", mirror);
    assertEquals(0, dry.code(), dry.out() + dry.err());
    // acme-tools' %posttrans (systemctl daemon-reload when systemctl exists) is the one script no effect covers.
    assertTrue(dry.out().contains("Note: script not run: acme-tools"), dry.out());
    assertFalse(dry.out().contains("script not run: glibc") || dry.out().contains("script not run: ca-certificates")
        || dry.out().contains("script not run: libtasn1") || dry.out().contains("script not run: p11-kit"),
        "ldconfig and update-ca-trust are reproduced: " + dry.out());
    CliRun strict = CliRun.of("patch", "-i", image, "-r", report.toString(), "--strict", "--push", "-t", "9-strict",
        "--cache", work.resolve("cache").toString(), "--mirror", mirror);
    assertEquals(1, strict.code(), strict.out() + strict.err());
    assertTrue(strict.err().contains("script not run: acme-tools"), strict.err());
    List<String> tags = registry.client().listTags("testlinux");
    assertFalse(tags.contains("9-dry") || tags.contains("9-strict"), tags.toString());
  }

  /** Copies an image out of the registry with skopeo and unpacks it with umoci; returns its rootfs. */
  static Path pull(String repoTag, Path bundle) throws Exception {
    Path layout = work.resolve("pulled-" + repoTag.replace(':', '-'));
    RpmFixtures.run(Map.of(), "skopeo", "copy", "--src-tls-verify=false", "docker://" + registry.host() + "/" + repoTag,
        "oci:" + layout + ":pulled");
    RpmFixtures.run(Map.of(), "umoci", "unpack", "--image", layout + ":pulled", bundle.toString());
    return bundle.resolve("rootfs");
  }
}
