package dev.imagepatch.cli.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Debian 12 image from the plain bookworm suite, patched by {@code imagepatch patch}
 * against a real registry with fixes apt itself finds in bookworm-security and bookworm-updates,
 * then unpacked by umoci and judged by dpkg and apt in a chroot.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianPatchE2ETest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  static Path work;

  static DebianDemo.Mirrors mirrors;
  static Manifest base;
  static ImageConfig baseConfig;
  static List<DebianDemo.Upgrade> upgrades;
  static Path report;
  static String image;


  @BeforeAll
  static void buildAndPushAVulnerableImage() throws Exception {
    mirrors = DebianDemo.hostMirrors();
    Path rootfs = work.resolve("rootfs");
    DebianDemo.debootstrap(rootfs, mirrors,
        List.of("openssl", "libssl3", "curl", "libexpat1", "ca-certificates", "nginx"));
    // An administrator's change to a conffile, which the upgrade must keep (dpkg --force-confold).
    Files.writeString(rootfs.resolve("etc/ssl/openssl.cnf"), "# changed by the image's builder\n",
        java.nio.file.StandardOpenOption.APPEND);
    OciLayout layout = OciLayout.openOrCreate(work.resolve("base-layout"));
    base = DebianDemo.image(rootfs, layout, "12", "amd64", 1_700_000_000L);
    image = registry.host() + "/debian:12";
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "12", registry.client().repository("debian"), "12");
    try (InputStream in = layout.openBlob(base.config())) {
      baseConfig = ImageConfig.parse(in.readAllBytes(), base.config().mediaType(), base.config().digest(), "config");
    }
    upgrades = DebianDemo.aptUpgrades(rootfs, Files.createDirectories(work.resolve("apt")));
    List<String> names = upgrades.stream().map(DebianDemo.Upgrade::name).toList();
    assertTrue(names.containsAll(List.of("openssl", "libssl3")), "apt finds security fixes: " + upgrades);
    report = DebianDemo.trivyReport(work.resolve("report.json"), image, "debian", "12.0", "amd64", upgrades);
  }

  @Test
  @Order(1)
  void patchedImageIsWhatAptWouldHaveMade() throws Exception {
    CliRun r = CliRun.of("patch", "-i", image, "-r", report.toString(), "--push", "--cache", work.resolve("cache").toString());
    System.out.println(r.err() + r.out());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("Patched " + image + " -> " + image + "-patched (sha256:"), r.out());
    assertFalse(r.out().contains("Still vulnerable"), r.out());

    OciLayout pulled = OciLayout.openOrCreate(work.resolve("patched-layout"));
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(registry.client().repository("debian"), "12-patched",
        pulled, "patched");
    Path root = DebianFixtures.unpack(pulled.root(), "patched", work.resolve("bundle"));

    assertEquals("", DebianFixtures.chroot(root, "dpkg", "--audit"), "dpkg --audit finds nothing");
    Map<String, String> installed = new TreeMap<>();
    for (String line : DebianFixtures.chroot(root, "dpkg-query", "-W", "-f=${Package} ${Version}\\n").split("\n")) {
      String[] f = line.split(" ");
      installed.put(f[0], f[1]);
    }
    for (DebianDemo.Upgrade u : upgrades) {
      assertEquals(u.to(), installed.get(u.name()), u.name() + " is at the version apt would install");
    }
    String[] verify = new String[upgrades.size() + 2];
    verify[0] = "dpkg";
    verify[1] = "--verify";
    for (int i = 0; i < upgrades.size(); i++) {
      verify[i + 2] = upgrades.get(i).name();
    }
    // The only change dpkg sees is the conffile the image had changed, which --force-confold keeps.
    assertEquals("??5?????? c /etc/ssl/openssl.cnf\n", DebianFixtures.chroot(root, verify),
        "dpkg --verify: nothing changed in the upgraded packages but the image's own conffile edit");
    assertTrue(Files.readString(root.resolve("etc/ssl/openssl.cnf")).endsWith("# changed by the image's builder\n"));
    String shipped = DebianFixtures.chroot(root, "dpkg-query", "-W", "-f=${Conffiles}", "openssl");
    String dist = Files.exists(root.resolve("etc/ssl/openssl.cnf.dpkg-dist"))
        ? DebianFixtures.chroot(root, "md5sum", "/etc/ssl/openssl.cnf.dpkg-dist").split(" ")[0] : null;
    // dpkg writes the new version beside the kept one only when the package changed it.
    String before = DebianFixtures.chroot(work.resolve("rootfs"), "dpkg-query", "-W", "-f=${Conffiles}", "openssl");
    if (dist != null) {
      assertTrue(shipped.contains("/etc/ssl/openssl.cnf " + dist), shipped);
      assertFalse(before.equals(shipped), "a .dpkg-dist only when the shipped conffile changed");
    } else {
      assertEquals(before, shipped, "no .dpkg-dist: the package shipped the same openssl.cnf");
    }
    DebianFixtures.chroot(root, "apt-get", "check");
    String openssl = installed.get("openssl");
    String upstream = openssl.substring(0, openssl.indexOf('-'));
    assertTrue(DebianFixtures.chroot(root, "openssl", "version").startsWith("OpenSSL " + upstream),
        "the new openssl runs");
    assertTrue(DebianFixtures.chroot(root, "curl", "--version").startsWith("curl 7.88.1"));
    String nginx = DebianFixtures.chroot(root, "sh", "-c", "nginx -v 2>&1");
    assertTrue(nginx.contains("nginx/1.22.1"), nginx);
    assertTrue(Files.isSymbolicLink(root.resolve("lib")), "usrmerge: /lib is still a symlink");
    assertDroppedFilesAreGone(work.resolve("rootfs"), root);
    assertEquals("usr/lib", Files.readSymbolicLink(root.resolve("lib")).toString());
  }

  @Test
  @Order(2)
  void onlyOneLayerIsAddedAndNothingElseChanges() throws Exception {
    RegistryClient client = registry.client();
    Manifest patched = (Manifest) client.getManifest("debian", "12-patched");
    assertEquals(base.layers().size() + 1, patched.layers().size());
    assertEquals(base.layers(), patched.layers().subList(0, base.layers().size()), "base layers unchanged");
    assertEquals(base.annotations(), patched.annotations(), "manifest annotations unchanged");
    ImageConfig config;
    try (InputStream in = client.openBlob("debian", patched.config())) {
      config = ImageConfig.parse(in.readAllBytes(), patched.config().mediaType(), patched.config().digest(), "c");
    }
    assertEquals(withoutLayers(baseConfig.json()), withoutLayers(config.json()), "config unchanged but for its layers");
    assertEquals(2, config.diffIds().size());
    Descriptor layer = patched.layers().get(1);
    // The patch layer never turns the usrmerge symlinks into directories.
    OciLayout pulled = OciLayout.open(work.resolve("patched-layout"));
    List<String> top = listTar(pulled.blobPath(layer.digest()));
    assertFalse(top.contains("lib/") || top.contains("bin/") || top.contains("sbin/"), "no directory over a symlink");
    assertTrue(top.contains("var/lib/dpkg/status"), "the whole status file is in the layer");

    // Patching the patched image again with nothing new to fix: already up to date, nothing pushed.
    // (A re-patch that has something new replaces the patch layer; RepatchTest proves it at engine level.)
    CliRun again = CliRun.of("patch", "-i", image + "-patched", "-r", report.toString(), "-t", "12-repatched", "--push",
        "--cache", work.resolve("cache").toString());
    System.out.println(again.err() + again.out());
    assertEquals(0, again.code(), again.out() + again.err());
    assertTrue(again.out().contains("already up to date"), again.out());
    assertFalse(client.listTags("debian").contains("12-repatched"), "an up-to-date image pushes nothing");
  }

  @Test
  @Order(3)
  void dryRunShowsThePlanAndPushesNothing() throws Exception {
    CliRun r = CliRun.of("patch", "-i", image, "-r", report.toString(), "--dry-run", "-t", "12-dry",
        "--cache", work.resolve("cache").toString(), "--verbose");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("Would patch " + image + " -> (dry run)"), r.out());
    assertTrue(r.out().contains("\n  var/lib/dpkg/status\n"), "the layer's files are listed");
    assertTrue(r.out().contains("  openssl "), r.out());
    assertFalse(registry.client().listTags("debian").contains("12-dry"));
    // nginx's postinst (services, log directories) is not reproduced: the result says so (listed with --verbose).
    assertTrue(r.out().contains("Note: script not run: nginx (postinst)"), r.out());
    CliRun quiet = CliRun.of("patch", "-i", image, "-r", report.toString(), "--dry-run", "-t", "12-dry",
        "--cache", work.resolve("cache").toString());
    assertFalse(quiet.out().contains("Note: script not run:"), quiet.out());
    assertTrue(quiet.out().matches("(?s).*\\n\\d+ maintainer scripts? not run \\(their effects are not needed or not"
        + " reproduced\\); --verbose lists (them|it)\\n.*"), quiet.out());
  }

  @Test
  @Order(3)
  void strictRefusesWhatItCannotReproduceAndPushesNothing() throws Exception {
    CliRun r = CliRun.of("patch", "-i", image, "-r", report.toString(), "--strict", "--push", "-t", "12-strict",
        "--cache", work.resolve("cache").toString());
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("--strict: the upgrade would run maintainer scripts or triggers"), r.err());
    assertTrue(r.err().contains("script not run: nginx (postinst)"), r.err());
    assertFalse(registry.client().listTags("debian").contains("12-strict"));
  }

  @Test
  @Order(5)
  void withoutAReportEveryPackageWithANewerVersionIsUpgraded() throws Exception {
    CliRun r = CliRun.of("patch", "-i", image, "--dry-run", "--cache", work.resolve("cache").toString());
    assertEquals(0, r.code(), r.out() + r.err());
    for (DebianDemo.Upgrade u : upgrades) {
      assertTrue(r.out().matches("(?s).*\\n  " + java.util.regex.Pattern.quote(u.name()) + " +"
          + java.util.regex.Pattern.quote(u.from()) + " +" + java.util.regex.Pattern.quote(u.to()) + " .*"),
          u + " in:\n" + r.out());
    }
  }

  @Test
  @Order(4)
  void badInputsAreRefusedClearlyAndNothingIsPushed() throws Exception {
    Path cache = work.resolve("cache");
    // A report for another OS.
    Path alpine = work.resolve("alpine.json");
    Files.copy(SharedData.path("vectors/trivy/trivy-alpine-310.json"), alpine);
    CliRun other = CliRun.of("patch", "-i", image, "-r", alpine.toString(), "-t", "bad-1", "--push", "--cache", cache.toString());
    assertEquals(1, other.code());
    assertTrue(other.err().contains("the report is for alpine, which the native Debian backend does not patch"),
        other.err());

    // No candidate reaches the fixed version.
    Path impossible = DebianDemo.trivyReport(work.resolve("impossible.json"), image, "debian", "12", "amd64",
        List.of(new DebianDemo.Upgrade("openssl", "3.0.20-1~deb12u2", "9.9.9-1")));
    CliRun none = CliRun.of("patch", "-i", image, "-r", impossible.toString(), "-t", "bad-2", "--push",
        "--cache", cache.toString());
    assertEquals(1, none.code());
    assertTrue(none.err().contains("no candidate for openssl reaches the fixed version 9.9.9-1 (APT-UPGRADE-openssl);"
        + " candidates seen: "), none.err());

    // An InRelease whose signature fails, served from a local copy of the security suite.
    Path lists = work.resolve("apt/lists");
    Path inRelease;
    try (var files = Files.list(lists)) {
      inRelease = files.filter(f -> f.getFileName().toString().endsWith("bookworm-security_InRelease"))
          .findFirst().orElseThrow();
    }
    Path mirror = Files.createDirectories(work.resolve("bad-mirror/dists/bookworm-security"));
    Files.writeString(mirror.resolve("InRelease"), Files.readString(inRelease)
        .replaceFirst("Suite: [a-z-]+", "Suite: changed-by-a-mirror"));
    CliRun forged = CliRun.of("patch", "-i", image, "-r", report.toString(), "-t", "bad-3", "--push", "--cache",
        cache.toString(), "--mirror", mirrors.security() + "=" + work.resolve("bad-mirror").toUri());
    assertEquals(1, forged.code());
    assertTrue(forged.err().contains("/dists/bookworm-security/InRelease: BAD signature by key "), forged.err());

    // A Release past its Valid-Until.
    dev.imagepatch.report.Report parsed = dev.imagepatch.report.Reports.read(report);
    dev.imagepatch.patch.PatchException expired = org.junit.jupiter.api.Assertions.assertThrows(
        dev.imagepatch.patch.PatchException.class, () -> dev.imagepatch.patch.Patcher.create().patch(
            dev.imagepatch.patch.PatchRequest.builder(registry.client().repository("debian"), "12", parsed)
                .target(registry.client().repository("debian"), "bad-4").cacheDirectory(cache)
                .now(java.time.Instant.parse("2099-01-01T00:00:00Z")).build()));
    assertTrue(expired.getMessage().contains("expired: Valid-Until was "), expired.getMessage());

    // A .deb whose SHA256 does not match its index entry (a cache entry changed on disk).
    Path corruptCache = work.resolve("corrupt-cache");
    Commands.run("cp", "-a", cache.toString(), corruptCache.toString());
    try (var files = Files.list(corruptCache.resolve("sha256"))) {
      for (Path f : files.toList()) {
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(f)) {
          in.readNBytes(head, 0, 8);
        }
        if (new String(head, java.nio.charset.StandardCharsets.US_ASCII).equals("!<arch>\n")) {
          byte[] b = Files.readAllBytes(f);
          b[b.length - 1] ^= 1;
          Files.write(f, b);
        }
      }
    }
    CliRun corrupt = CliRun.of("patch", "-i", image, "-r", report.toString(), "-t", "bad-5", "--push",
        "--cache", corruptCache.toString());
    assertEquals(1, corrupt.code());
    assertTrue(corrupt.err().matches("(?s).*SHA256 is [0-9a-f]{64}, but the repository index says [0-9a-f]{64}.*"),
        corrupt.err());

    List<String> tags = registry.client().listTags("debian");
    for (String t : List.of("bad-1", "bad-2", "bad-3", "bad-4", "bad-5")) {
      assertFalse(tags.contains(t), t + " was not pushed");
    }
  }

  /**
   * Files an old version listed and its new version does not are gone from the patched image (the
   * layer's whiteouts), unless another package still lists them; dpkg would have removed them.
   */
  private static void assertDroppedFilesAreGone(Path before, Path after) throws Exception {
    java.util.Set<String> listedAfter = new java.util.HashSet<>();
    try (var lists = Files.list(after.resolve("var/lib/dpkg/info"))) {
      for (Path l : lists.filter(f -> f.toString().endsWith(".list")).toList()) {
        listedAfter.addAll(Files.readAllLines(l));
      }
    }
    int dropped = 0;
    for (DebianDemo.Upgrade u : upgrades) {
      Path oldList = listOf(before, u.name());
      for (String path : Files.readAllLines(oldList)) {
        Path was = before.resolve(path.substring(1));
        if (listedAfter.contains(path) || Files.isDirectory(was, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            || !Files.exists(was, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        dropped++;
        assertFalse(Files.exists(after.resolve(path.substring(1)), java.nio.file.LinkOption.NOFOLLOW_LINKS),
            path + " (dropped by the new " + u.name() + ") is still in the patched image");
      }
    }
    System.out.println(dropped + " files dropped by new package versions are gone from the patched image");
  }

  private static Path listOf(Path root, String name) throws Exception {
    try (var lists = Files.list(root.resolve("var/lib/dpkg/info"))) {
      return lists.filter(f -> f.getFileName().toString().equals(name + ".list")
          || f.getFileName().toString().startsWith(name + ":")
          && f.getFileName().toString().endsWith(".list")).findFirst().orElseThrow();
    }
  }

  private static ObjectNode withoutLayers(ObjectNode config) {
    ObjectNode c = config.deepCopy();
    ((ObjectNode) c.get("rootfs")).remove("diff_ids");
    c.remove("history");
    return c;
  }

  private static List<String> listTar(Path gz) throws Exception {
    return List.of(new String(dev.imagepatch.oci.testing.Commands.run("tar", "-tzf", gz.toString())).split("\n"));
  }
}
