package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static dev.imagepatch.patch.testing.RpmSpec.rpm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkImages.LayerEntry;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import dev.imagepatch.report.Report;
import dev.imagepatch.testing.Judges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rocky-like images (rpm installed by the real {@code rpm --root}) patched through
 * {@code Patcher.create()} from a loopback repository of packages {@code rpmbuild} made,
 * {@code rpmsign} signed and {@code createrepo_c} indexed (repomd.xml signed, repo_gpgcheck=1),
 * judged by the layer written and by the database read back by our reader and by {@code rpm}.
 */
class RpmPatchTest {
  static final String BASEOS = "rocky/9/BaseOS/x86_64/os";
  static final String CVE = "CVE-2025-0001";

  static final RpmSpec HELLO_1 = rpm("hello", "1.0", "1").file("/usr/bin/hello", "hello 1.0-1\n")
      .file("/usr/share/doc/hello/OLD-NEWS", "dropped in 1.0-2\n").configNoreplace("/etc/hello.conf", "greeting=hi\n")
      .config("/etc/hello-plain.conf", "x=1\n").ghost("/var/log/hello.log").dir("/usr/share/hello-old");
  static final RpmSpec HELLO_2 = rpm("hello", "1.0", "2").file("/usr/bin/hello", "hello 1.0-2\n")
      .file("/usr/share/doc/hello/NEWS", "new in 1.0-2\n")
      .configNoreplace("/etc/hello.conf", "greeting=hi\nwave=yes\n").config("/etc/hello-plain.conf", "x=2\n")
      .ghost("/var/log/hello.log").file("/usr/lib/hello/a", "linked\n", 0644).hardlink("/usr/lib/hello/b",
          "/usr/lib/hello/a").symlink("/usr/bin/hi", "hello")
      .script("%post", "echo hello upgraded > /dev/console");
  static final RpmSpec LIBFOO_1 = rpm("libfoo", "2.0", "1").file("/usr/lib64/libfoo.so.2", "foo 2.0-1\n", 0755)
      .script("%post -p /sbin/ldconfig", "");
  static final RpmSpec LIBFOO_2 = rpm("libfoo", "2.0", "2").file("/usr/lib64/libfoo.so.2", "foo 2.0-2\n", 0755)
      .script("%post -p /sbin/ldconfig", "").script("%postun -p /sbin/ldconfig", "");
  static final RpmSpec FILESYSTEM = rpm("filesystem", "3.16", "2").dir("/usr/share/doc/hello");
  /** What rpmbuild's scriptlets require: {@code /bin/sh} and {@code /sbin/ldconfig}. */
  static final RpmSpec BASH = rpm("bash", "5.1.8", "9").file("/bin/sh", "#!/bin/false\n", 0755);
  static final RpmSpec GLIBC = rpm("glibc", "2.34", "100").file("/sbin/ldconfig", "ldconfig stand-in\n", 0755);

  static final RpmSpec LIBGREET = rpm("libgreet", "1.0", "1").file("/usr/lib64/libgreet.so.1", "greet 1.0\n", 0755);
  static final RpmSpec OLDTOOL_1 = rpm("oldtool", "1.0", "1").file("/usr/bin/oldtool", "oldtool 1.0\n")
      .config("/etc/oldtool.conf", "a=1\n");
  static final RpmSpec TOOL_1 = rpm("tool", "1.0", "1").file("/usr/bin/tool", "tool 1.0\n");
  // tool 2.0 takes /usr/bin/oldtool over, obsoletes oldtool and needs a library the image lacks.
  static final RpmSpec TOOL_2 = rpm("tool", "2.0", "1").file("/usr/bin/tool", "tool 2.0\n")
      .file("/usr/bin/oldtool", "oldtool, now in tool 2.0\n").tag("Requires: libgreet >= 1")
      .tag("Obsoletes: oldtool < 2").tag("Provides: oldtool = 2");

  /** alternatives and its directories: without them the scriptlet's command does nothing. */
  static final RpmSpec CHKCONFIG = rpm("chkconfig", "1.24", "1").file("/usr/sbin/alternatives",
      "alternatives stand-in\n", 0755).dir("/etc/alternatives").dir("/var/lib/alternatives");
  static final RpmSpec JAVA_1 = rpm("javaish", "1.0", "1").file("/usr/lib/jvm/j1/bin/java", "java 1\n", 0755)
      .script("%post", "alternatives --install /usr/bin/java java /usr/lib/jvm/j1/bin/java 100")
      .script("%postun", "if [ $1 -eq 0 ]; then\n  alternatives --remove java /usr/lib/jvm/j1/bin/java\nfi");
  static final RpmSpec JAVA_2 = rpm("javaish", "2.0", "1").file("/usr/lib/jvm/j2/bin/java", "java 2\n", 0755)
      .script("%post", "alternatives --install /usr/bin/java java /usr/lib/jvm/j2/bin/java 200")
      .script("%postun", "if [ $1 -eq 0 ]; then\n  alternatives --remove java /usr/lib/jvm/j2/bin/java\nfi");

  static final RpmSpec GREETER_1 = rpm("greeter", "1.0", "1").file("/usr/bin/greeter", "greeter 1\n");
  static final RpmSpec GREETER_2 = rpm("greeter", "1.0", "2").file("/usr/bin/greeter", "greeter 2\n")
      .file("/usr/share/locale/de/LC_MESSAGES/greeter.mo", "hallo\n", 0644, "%lang(de)")
      .file("/usr/share/locale/en/LC_MESSAGES/greeter.mo", "hello\n", 0644, "%lang(en)")
      .doc("/usr/share/doc/greeter/README", "read me\n");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static OciLayout source;

  @BeforeAll
  static void serveAndBuild() throws Exception {
    FixtureRpmRepository.requireTools();
    repo.publish(BASEOS, HELLO_1, HELLO_2, LIBFOO_1, LIBFOO_2, FILESYSTEM, BASH, GLIBC, LIBGREET, OLDTOOL_1, TOOL_1,
        TOOL_2, JAVA_1, JAVA_2, GREETER_1, GREETER_2,
        CHKCONFIG);
    source = layout("source");
    image().write(source, "9");
  }

  static FixtureRpmImages.Spec image() {
    return FixtureRpmImages.rocky(repo, BASEOS, FILESYSTEM, BASH, GLIBC, HELLO_1, LIBFOO_1)
        .file("etc/hello.conf", "greeting=bonjour\n").file("etc/hello-plain.conf", "x=local\n");
  }

  static OciLayout layout(String name) throws Exception {
    return OciLayout.openOrCreate(work.resolve(name));
  }

  static Report report(FixtureReports.Finding... findings) throws Exception {
    return FixtureReports.trivy("rocky", "9.4", "amd64", findings);
  }

  static PatchRequest.Builder request(OciLayout src, Report report, OciLayout target) {
    return PatchRequest.builder(src, "9", report).target(target, "patched").cacheDirectory(work.resolve("cache"));
  }

  static String text(Map<String, LayerEntry> layer, String path) {
    LayerEntry e = layer.get(path);
    assertTrue(e != null, path + " in the layer: " + layer.keySet());
    return e.text();
  }

  /** The packages of a database file, as {@code name-evr.arch}, read by our reader. */
  static List<String> packages(byte[] file, RpmDatabase.Format format) throws Exception {
    Path dir = Files.createTempDirectory(work, "db-");
    Files.write(dir.resolve(format.fileName()), file);
    try (RpmDatabase db = RpmDatabase.open(dir, format)) {
      return db.packages().stream().map(i -> i.header().string(Tags.NAME).orElseThrow() + "-"
          + i.header().string(Tags.VERSION).orElseThrow() + "-" + i.header().string(Tags.RELEASE).orElseThrow())
          .sorted().toList();
    }
  }

  /** {@code rpm -qa} over a root holding {@code files} of the layer under their paths. */
  static List<String> rpmQa(Map<String, LayerEntry> layer, String dbDir, String... define) throws Exception {
    Path root = Files.createTempDirectory(work, "root-");
    for (Map.Entry<String, LayerEntry> e : layer.entrySet()) {
      if (e.getKey().startsWith(dbDir + "/") && e.getValue().type() == '0') {
        Path p = root.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, e.getValue().content());
      }
    }
    Judges.require("rpm");
    List<String> cmd = new java.util.ArrayList<>(List.of("rpm", "--root", root.toString(), "--dbpath", "/" + dbDir));
    cmd.addAll(List.of(define));
    cmd.addAll(List.of("-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\\n"));
    String out = new String(FixtureRpmRepository.run(cmd, null), StandardCharsets.UTF_8);
    return out.lines().sorted().toList();
  }

  @Test
  void aReportedFixIsTheNewPayloadConfigFilesAsRpmLeavesThemWhiteoutsAndTheDatabase() throws Exception {
    OciLayout target = layout("patched");
    PatchResult result = Patcher.create().patch(request(source, report(finding(CVE, "hello", "1.0-1", "1.0-2")),
        target).build());

    assertEquals(List.of(new PatchResult.Fixed(CVE, "hello", "1.0-2")), result.fixed());
    assertEquals(List.of("hello 1.0-1 -> 1.0-2"), result.changes().stream()
        .map(c -> c.name() + " " + c.from() + " -> " + c.to()).toList());
    Manifest base = FixtureImages.manifest(source, "9");
    Manifest patched = FixtureImages.manifest(target, "patched");
    assertEquals(base.layers(), patched.layers().subList(0, 1));

    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("hello 1.0-2\n", text(layer, "usr/bin/hello"));
    assertEquals(0755, layer.get("usr/bin/hello").mode());
    assertEquals('2', layer.get("usr/bin/hi").type());
    assertEquals("hello", layer.get("usr/bin/hi").link());
    assertEquals("new in 1.0-2\n", text(layer, "usr/share/doc/hello/NEWS"));
    assertTrue(layer.containsKey("usr/share/doc/hello/.wh.OLD-NEWS"), "a file 1.0-2 dropped is whited out");
    assertFalse(layer.containsKey("usr/share/doc/.wh.hello"), "a directory another package owns stays");
    assertTrue(layer.containsKey("usr/share/.wh.hello-old"), "an empty directory no package owns any more goes");
    // %config(noreplace) the image changed: kept, the new one beside it
    assertFalse(layer.containsKey("etc/hello.conf"), layer.keySet().toString());
    assertEquals("greeting=hi\nwave=yes\n", text(layer, "etc/hello.conf.rpmnew"));
    // plain %config the image changed: saved, the new one in place
    assertEquals("x=local\n", text(layer, "etc/hello-plain.conf.rpmsave"));
    assertEquals("x=2\n", text(layer, "etc/hello-plain.conf"));
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("var/log")), "%ghost files are not written");
    // a hard link must follow the file it names in the (sorted) layer: the content under the first name
    assertEquals("linked\n", text(layer, "usr/lib/hello/a"));
    assertEquals('1', layer.get("usr/lib/hello/b").type(), "a hard link stays one");
    assertEquals("usr/lib/hello/a", layer.get("usr/lib/hello/b").link().replaceFirst("^/", ""));
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("usr/lib64")), "libfoo unchanged");

    byte[] db = layer.get("var/lib/rpm/rpmdb.sqlite").content();
    assertFalse(layer.containsKey("var/lib/rpm/rpmdb.sqlite-wal"));
    assertFalse(layer.containsKey("var/lib/rpm/rpmdb.sqlite-shm"));
    List<String> expected = List.of("bash-5.1.8-9", "filesystem-3.16-2", "glibc-2.34-100", "hello-1.0-2", "libfoo-2.0-1");
    assertEquals(expected, packages(db, RpmDatabase.Format.SQLITE));
    assertEquals(expected, rpmQa(layer, "var/lib/rpm"));

    assertTrue(result.scriptsNotRun().contains(new ScriptNotRun("hello", "%post")), result.scriptsNotRun().toString());
    assertTrue(result.notes().stream().anyMatch(n -> n.contains("/etc/hello.conf") && n.contains(".rpmnew")),
        result.notes().toString());
  }

  @Test
  void everyNewerPackageWithoutAReportAndLdconfigScriptletsAreCovered() throws Exception {
    OciLayout target = layout("update-all");
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9").target(target, "patched")
        .cacheDirectory(work.resolve("cache")).build());
    assertEquals(new TreeSet<>(List.of("hello", "libfoo")), result.changes().stream().map(PatchResult.PackageChange::name)
        .collect(Collectors.toCollection(TreeSet::new)));
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("foo 2.0-2\n", text(layer, "usr/lib64/libfoo.so.2"));
    assertFalse(result.scriptsNotRun().stream().anyMatch(s -> s.packageName().equals("libfoo")),
        "libfoo's -p /sbin/ldconfig scriptlets are the ldconfig effect's: " + result.scriptsNotRun());
  }

  @Test
  void aBerkeleyDbImageIsWrittenInBerkeleyDb() throws Exception {
    OciLayout bdb = layout("bdb");
    image().db(FixtureRpmImages.Db.BDB).write(bdb, "9");
    OciLayout target = layout("bdb-patched");
    Patcher.create().patch(request(bdb, report(finding(CVE, "hello", "1.0-1", "1.0-2")), target).build());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertFalse(layer.containsKey("var/lib/rpm/rpmdb.sqlite"), layer.keySet().toString());
    assertTrue(layer.containsKey("var/lib/rpm/Name"), "every index is written: " + layer.keySet());
    List<String> expected = List.of("bash-5.1.8-9", "filesystem-3.16-2", "glibc-2.34-100", "hello-1.0-2", "libfoo-2.0-1");
    assertEquals(expected, packages(layer.get("var/lib/rpm/Packages").content(), RpmDatabase.Format.BDB));
    assertEquals(expected, rpmQa(layer, "var/lib/rpm", "--define", "_db_backend bdb_ro"));
    Path packages = Files.createTempFile(work, "Packages", "");
    Files.write(packages, layer.get("var/lib/rpm/Packages").content());
    FixtureRpmRepository.run(List.of("db5.3_verify", "-q", packages.toString()), null);
  }

  @Test
  void aDistrolessAzureLinuxImageHasItsManifestUpdated() throws Exception {
    OciLayout distroless = layout("distroless");
    image().db(FixtureRpmImages.Db.MANIFEST_ONLY).osRelease("NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\n"
        + "ID=azurelinux\nVERSION_ID=\"3.0\"\nPRETTY_NAME=\"Microsoft Azure Linux 3.0\"\n").write(distroless, "9");
    Path key = repo.writeKey(work.resolve("keys"));
    OciLayout target = layout("distroless-patched");
    Patcher.create().patch(PatchRequest.builder(distroless, "9", FixtureReports.trivy("azurelinux", "3.0", "amd64",
        finding(CVE, "hello", "1.0-1", "1.0-2"))).target(target, "patched").cacheDirectory(work.resolve("cache"))
        .repositories(RepositoryOptions.builder().extraRepository(repo.url(BASEOS)).key(key).build()).build());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    String manifest = text(layer, "var/lib/rpmmanifest/container-manifest-2");
    assertTrue(manifest.lines().anyMatch(l -> l.startsWith("hello\t1.0-2\t")), manifest);
    assertFalse(manifest.contains("hello\t1.0-1\t"), manifest);
    assertTrue(manifest.lines().anyMatch(l -> l.startsWith("libfoo\t2.0-1\t")), manifest);
    assertTrue(text(layer, "var/lib/rpmmanifest/container-manifest-1").contains("hello-1.0-2.noarch\n"));
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("var/lib/rpm/")), layer.keySet().toString());
    // no headers: the old version's files are the repository's filelists for the NEVRA installed
    assertTrue(layer.containsKey("usr/share/doc/hello/.wh.OLD-NEWS"), layer.keySet().toString());
    assertTrue(layer.containsKey("usr/share/.wh.hello-old"), layer.keySet().toString());
    assertFalse(layer.containsKey("usr/share/doc/.wh.hello"), "filesystem's directory stays");
    assertEquals("greeting=hi\nwave=yes\n", text(layer, "etc/hello.conf.rpmnew"), "the old version's header, from"
        + " its package in the repository, decides the config files as rpm would");
    assertEquals("x=local\n", text(layer, "etc/hello-plain.conf.rpmsave"));
  }

  @Test
  void aNewDependencyIsInstalledAndAnObsoletedPackageRemovedItsChangedConfigSaved() throws Exception {
    OciLayout tools = layout("tools");
    FixtureRpmImages.rocky(repo, BASEOS, BASH, GLIBC, TOOL_1, OLDTOOL_1).file("etc/oldtool.conf", "a=local\n")
        .write(tools, "9");
    OciLayout target = layout("tools-patched");
    PatchResult result = Patcher.create().patch(request(tools, report(finding(CVE, "tool", "1.0-1", "2.0-1")),
        target).build());
    assertEquals(new TreeSet<>(List.of("libgreet (new) dependency", "oldtool 1.0-1 -> (removed) obsoleted",
        "tool 1.0-1 -> 2.0-1 requested")), result.changes().stream().map(c -> c.name() + " " + (c.from() == null
        ? "(new)" : c.from() + " -> " + (c.to() == null ? "(removed)" : c.to())) + " " + c.reason())
        .collect(Collectors.toCollection(TreeSet::new)));
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("greet 1.0\n", text(layer, "usr/lib64/libgreet.so.1"));
    assertEquals("tool 2.0\n", text(layer, "usr/bin/tool"));
    assertEquals("oldtool, now in tool 2.0\n", text(layer, "usr/bin/oldtool"), "a file taken over is not whited out");
    assertTrue(layer.containsKey("etc/.wh.oldtool.conf"), layer.keySet().toString());
    assertEquals("a=local\n", text(layer, "etc/oldtool.conf.rpmsave"), "a changed config file of an erased package"
        + " is saved, as rpm's erase saves it");
    assertEquals(List.of("bash-5.1.8-9", "glibc-2.34-100", "libgreet-1.0-1", "tool-2.0-1"),
        packages(layer.get("var/lib/rpm/rpmdb.sqlite").content(), RpmDatabase.Format.SQLITE));
  }

  @Test
  void alternativesScriptletsAreAppliedNotReportedAsNotRun() throws Exception {
    OciLayout java = layout("java");
    FixtureRpmImages.rocky(repo, BASEOS, BASH, GLIBC, CHKCONFIG, JAVA_1).write(java, "9");
    OciLayout target = layout("java-patched");
    PatchResult result = Patcher.create().patch(request(java, report(finding(CVE, "javaish", "1.0-1", "2.0-1")),
        target).build());
    assertFalse(result.scriptsNotRun().stream().anyMatch(s -> s.packageName().equals("javaish")),
        result.scriptsNotRun().toString());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("/usr/lib/jvm/j2/bin/java", layer.get("etc/alternatives/java").link(), layer.keySet().toString());
    assertEquals("/etc/alternatives/java", layer.get("usr/bin/java").link());
    assertTrue(text(layer, "var/lib/alternatives/java").contains("/usr/lib/jvm/j2/bin/java\n200\n"),
        text(layer, "var/lib/alternatives/java"));
  }

  @Test
  void nodocsAndInstallLangsLeaveFilesOutAndRecordThemNotInstalled() throws Exception {
    OciLayout ubi = layout("ubi");
    FixtureRpmImages.rocky(repo, BASEOS, BASH, GLIBC, GREETER_1)
        .file("etc/rpm/macros.image-language-conf", "%_install_langs C.utf8:en_US\n")
        .file("etc/dnf/dnf.conf", "[main]\ngpgcheck=1\ntsflags=nodocs\n").write(ubi, "9");
    OciLayout target = layout("ubi-patched");
    Patcher.create().patch(request(ubi, report(finding(CVE, "greeter", "1.0-1", "1.0-2")), target).build());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("hello\n", text(layer, "usr/share/locale/en/LC_MESSAGES/greeter.mo"));
    assertFalse(layer.containsKey("usr/share/locale/de/LC_MESSAGES/greeter.mo"), layer.keySet().toString());
    assertFalse(layer.containsKey("usr/share/doc/greeter/README"), layer.keySet().toString());
    Path dir = Files.createTempDirectory(work, "db-");
    Files.write(dir.resolve("rpmdb.sqlite"), layer.get("var/lib/rpm/rpmdb.sqlite").content());
    try (RpmDatabase db = RpmDatabase.open(dir, RpmDatabase.Format.SQLITE)) {
      dev.imagepatch.pkg.rpm.Header h = db.packages().stream().map(RpmDatabase.Installed::header)
          .filter(x -> x.string(Tags.NAME).orElseThrow().equals("greeter")).findFirst().orElseThrow();
      List<String> names = dev.imagepatch.pkg.rpm.RpmPackage.files(h).stream()
          .map(dev.imagepatch.pkg.rpm.RpmPackage.RpmFile::path).toList();
      long[] states = h.numbers(Tags.FILESTATES);
      assertEquals(2, states[names.indexOf("/usr/share/locale/de/LC_MESSAGES/greeter.mo")]);
      assertEquals(2, states[names.indexOf("/usr/share/doc/greeter/README")]);
      assertEquals(0, states[names.indexOf("/usr/share/locale/en/LC_MESSAGES/greeter.mo")]);
    }
  }

  @Test
  void aLowerLayersSqliteShmIsWhitedOutNeverShipped() throws Exception {
    OciLayout shm = layout("shm");
    image().file("var/lib/rpm/rpmdb.sqlite-shm", "stale shared memory of a crashed rpm\n").write(shm, "9");
    OciLayout target = layout("shm-patched");
    Patcher.create().patch(request(shm, report(finding(CVE, "hello", "1.0-1", "1.0-2")), target).build());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertTrue(layer.containsKey("var/lib/rpm/.wh.rpmdb.sqlite-shm"), layer.keySet().toString());
    assertTrue(layer.containsKey("var/lib/rpm/rpmdb.sqlite"));
    assertFalse(layer.containsKey("var/lib/rpm/rpmdb.sqlite-wal"));
  }

  /**
   * The judge over a tree: the base as rpm installed it with the patch layer applied on top, then
   * {@code rpm -V} of the upgraded packages (digests, sizes, modes, owners, link targets, times as
   * the new database says) and {@code rpm -qa}. Only the config file the image changed, kept as rpm
   * keeps it, may differ.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(value = FixtureRpmImages.Db.class, names = {"SQLITE", "BDB"})
  void rpmVerifiesTheUpgradedPackagesOverTheBaseWithTheLayerApplied(FixtureRpmImages.Db format) throws Exception {
    Path root = work.resolve("verify-root-" + format);
    OciLayout verify = layout("verify-" + format);
    image().db(format).keepRoot(root).write(verify, "9");
    OciLayout target = layout("verify-patched-" + format);
    Patcher.create().patch(PatchRequest.builder(verify, "9").target(target, "patched")
        .cacheDirectory(work.resolve("cache")).build());
    List<dev.imagepatch.oci.Descriptor> layers = FixtureImages.manifest(target, "patched").layers();
    dev.imagepatch.patch.testing.LayerUnpack.apply(target, layers.get(layers.size() - 1), root);
    Judges.require("rpm");
    List<String> rpm = new java.util.ArrayList<>(List.of("rpm", "--root", root.toString(), "--dbpath", "/var/lib/rpm"));
    if (format == FixtureRpmImages.Db.BDB) {
      rpm.addAll(List.of("--define", "_db_backend bdb_ro"));
    }
    List<String> verifyCmd = new java.util.ArrayList<>(rpm);
    verifyCmd.addAll(List.of("-V", "hello", "libfoo"));
    Process p = new ProcessBuilder(verifyCmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    assertEquals(List.of("S.5....T.  c /etc/hello.conf"), out.lines().toList(), out);
    List<String> qa = new java.util.ArrayList<>(rpm);
    qa.addAll(List.of("-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\\n"));
    assertEquals(List.of("bash-5.1.8-9", "filesystem-3.16-2", "glibc-2.34-100", "hello-1.0-2", "libfoo-2.0-2"),
        new String(FixtureRpmRepository.run(qa, null), StandardCharsets.UTF_8).lines().sorted().toList());
  }

  @Test
  void aRepositoryThatCannotBeReadIsLeftOutWithSkipIfUnavailable() throws Exception {
    OciLayout skip = layout("skip");
    FixtureRpmImages.Spec spec = image();
    spec.repoFile(spec.defaultRepoFile() + "\n[openh264]\nname=openh264\nmetalink=https://mirrors.archive.example/"
        + "metalink?repo=openh264\nenabled=1\ngpgcheck=1\nskip_if_unavailable=True\n").write(skip, "9");
    OciLayout target = layout("skip-patched");
    List<String> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
    PatchResult result = Patcher.create().patch(request(skip, report(finding(CVE, "hello", "1.0-1", "1.0-2")), target)
        .listener(steps::add).build());
    assertEquals(List.of(new PatchResult.Fixed(CVE, "hello", "1.0-2")), result.fixed());
    assertTrue(steps.stream().anyMatch(m -> m.startsWith("WARNING: repository openh264 left out")), steps.toString());
  }

  @Test
  void aBaseUrlThatDoesNotAnswerGivesWayToTheNext() throws Exception {
    OciLayout second = layout("second-baseurl");
    FixtureRpmImages.Spec spec = image();
    spec.repoFile(spec.defaultRepoFile().replace("baseurl=" + repo.url(BASEOS), "baseurl=" + repo.url("gone/")
        + "\n  " + repo.url(BASEOS))).write(second, "9");
    OciLayout target = layout("second-baseurl-patched");
    List<String> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
    PatchResult result = Patcher.create().patch(request(second, report(finding(CVE, "hello", "1.0-1", "1.0-2")),
        target).listener(steps::add).build());
    assertEquals(List.of(new PatchResult.Fixed(CVE, "hello", "1.0-2")), result.fixed());
    assertTrue(steps.stream().anyMatch(m -> m.contains("trying its next baseurl")), steps.toString());
  }
}
