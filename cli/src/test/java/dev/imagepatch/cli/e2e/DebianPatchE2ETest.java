package dev.imagepatch.cli.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.cli.Main;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
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

  static DebianFixtures.Mirrors mirrors;
  static Manifest base;
  static ImageConfig baseConfig;
  static List<DebianFixtures.Upgrade> upgrades;
  static Path report;
  static String image;

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void buildAndPushAVulnerableImage() throws Exception {
    mirrors = DebianFixtures.hostMirrors();
    Path rootfs = work.resolve("rootfs");
    DebianFixtures.debootstrap(rootfs, mirrors,
        List.of("openssl", "libssl3", "curl", "libexpat1", "ca-certificates", "nginx"));
    OciLayout layout = OciLayout.openOrCreate(work.resolve("base-layout"));
    base = DebianFixtures.image(rootfs, layout, "12", "amd64", 1_700_000_000L);
    image = registry.host() + "/debian:12";
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "12", registry.client().repository("debian"), "12");
    try (InputStream in = layout.openBlob(base.config())) {
      baseConfig = ImageConfig.parse(in.readAllBytes(), base.config().mediaType(), base.config().digest(), "config");
    }
    upgrades = DebianFixtures.aptUpgrades(rootfs, Files.createDirectories(work.resolve("apt")));
    List<String> names = upgrades.stream().map(DebianFixtures.Upgrade::name).toList();
    assertTrue(names.containsAll(List.of("openssl", "libssl3")), "apt finds security fixes: " + upgrades);
    report = DebianFixtures.trivyReport(work.resolve("report.json"), image, "debian", "12.0", "amd64", upgrades);
  }

  @Test
  @Order(1)
  void patchedImageIsWhatAptWouldHaveMade() throws Exception {
    Result r = run("patch", "-i", image, "-r", report.toString(), "--push", "--cache", work.resolve("cache").toString());
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
    for (DebianFixtures.Upgrade u : upgrades) {
      assertEquals(u.to(), installed.get(u.name()), u.name() + " is at the version apt would install");
    }
    String[] verify = new String[upgrades.size() + 2];
    verify[0] = "dpkg";
    verify[1] = "--verify";
    for (int i = 0; i < upgrades.size(); i++) {
      verify[i + 2] = upgrades.get(i).name();
    }
    assertEquals("", DebianFixtures.chroot(root, verify), "dpkg --verify: no changed file in the upgraded packages");
    DebianFixtures.chroot(root, "apt-get", "check");
    String openssl = installed.get("openssl");
    String upstream = openssl.substring(0, openssl.indexOf('-'));
    assertTrue(DebianFixtures.chroot(root, "openssl", "version").startsWith("OpenSSL " + upstream),
        "the new openssl runs");
    assertTrue(DebianFixtures.chroot(root, "curl", "--version").startsWith("curl 7.88.1"));
    String nginx = DebianFixtures.chroot(root, "sh", "-c", "nginx -v 2>&1");
    assertTrue(nginx.contains("nginx/1.22.1"), nginx);
    assertTrue(Files.isSymbolicLink(root.resolve("lib")), "usrmerge: /lib is still a symlink");
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

    // Patching the patched image again replaces the patch layer instead of stacking a second one.
    Result again = run("patch", "-i", image + "-patched", "-r", report.toString(), "-t", "12-repatched", "--push",
        "--cache", work.resolve("cache").toString());
    System.out.println(again.err() + again.out());
    assertEquals(0, again.code(), again.out() + again.err());
    Manifest twice = (Manifest) client.getManifest("debian", "12-repatched");
    assertEquals(base.layers().size() + 1, twice.layers().size(), "still one patch layer");
    assertArrayEquals(base.layers().toArray(), twice.layers().subList(0, base.layers().size()).toArray());
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
