package dev.imagepatch.cli.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index of amd64 and arm64 distroless-style Debian 12 images (each from its architecture's
 * plain-bookworm .debs), with a build attestation and a Windows entry, patched in one call with a
 * report per platform; the arm64 result is run under qemu-user.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiArchPatchE2ETest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  static Path work;

  static final List<String> PACKAGES = List.of("base-files", "libc6", "libssl3", "openssl", "zlib1g");
  static Index index;
  static Map<String, List<DebianDemo.Upgrade>> upgrades = new java.util.TreeMap<>();
  static Path reports;
  static String image;
  static List<String> sources;

  @BeforeAll
  static void buildTheIndex() throws Exception {
    DebianDemo.Mirrors m = DebianDemo.hostMirrors();
    sources = DistrolessImages.extraSources(m);
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    reports = Files.createDirectories(work.resolve("reports"));
    image = registry.host() + "/multi/base:12";
    List<Descriptor> entries = new ArrayList<>();
    for (String arch : List.of("amd64", "arm64")) {
      Path rootfs = work.resolve("rootfs-" + arch);
      Map<String, String> installed = DistrolessImages.build(rootfs, work.resolve("build-" + arch), m, arch, PACKAGES);
      Manifest manifest = DebianDemo.image(rootfs, layout, arch, arch, 1_700_000_000L);
      Platform platform = arch.equals("arm64") ? Platform.of("linux", "arm64", "v8") : Platform.of("linux", arch);
      entries.add(manifest.descriptor().withPlatform(platform).withAnnotation("org.example.arch", arch));
      List<DebianDemo.Upgrade> u = DistrolessImages.upgrades(installed, work.resolve("apt-" + arch), m, arch);
      assertTrue(u.stream().anyMatch(x -> x.name().equals("openssl")), arch + " has security fixes: " + u);
      upgrades.put(arch, u);
      DebianDemo.trivyReport(reports.resolve(arch + ".json"), image, "debian", "12", arch, u);
    }
    // A build attestation of the amd64 image, as BuildKit attaches them, and a Windows image.
    entries.add(attestation(layout, entries.get(0).digest()));
    entries.add(windows(layout));
    Index made = Index.create(MediaTypes.OCI_INDEX, entries).withAnnotation("org.example.index", "multi");
    layout.putManifest(made, "12");
    index = made;
    ImageCopier.create(4, new ImageCopier.Listener() {}).copy(layout, "12", registry.client().repository("multi/base"),
        "12");
  }

  private static Descriptor attestation(OciLayout layout, Digest subject) throws Exception {
    byte[] statement = "{\"_type\":\"https://in-toto.io/Statement/v0.1\"}".getBytes(StandardCharsets.UTF_8);
    Descriptor layer = Descriptor.of("application/vnd.in-toto+json", Digest.sha256(statement), statement.length);
    layout.putBlob(layer, () -> new ByteArrayInputStream(statement));
    byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
    Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(empty), empty.length);
    layout.putBlob(config, () -> new ByteArrayInputStream(empty));
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, config, List.of(layer));
    layout.putManifest(m, null);
    return m.descriptor().withPlatform(Platform.of("unknown", "unknown"))
        .withAnnotation("vnd.docker.reference.type", "attestation-manifest")
        .withAnnotation("vnd.docker.reference.digest", subject.toString());
  }

  private static Descriptor windows(OciLayout layout) throws Exception {
    ObjectNode c = new ObjectMapper().createObjectNode().put("architecture", "amd64").put("os", "windows");
    c.putObject("rootfs").put("type", "layers").putArray("diff_ids");
    byte[] bytes = new ObjectMapper().writeValueAsBytes(c);
    Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(bytes), bytes.length);
    layout.putBlob(config, () -> new ByteArrayInputStream(bytes));
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, config, List.of());
    layout.putManifest(m, null);
    return m.descriptor().withPlatform(Platform.parse("windows/amd64"));
  }

  static String[] args(String... more) {
    List<String> all = new ArrayList<>(List.of("patch"));
    all.addAll(List.of(more));
    all.addAll(sources);
    return all.toArray(String[]::new);
  }

  @Test
  @Order(1)
  void everyLinuxPlatformIsPatchedNativelyInOneCall() throws Exception {
    CliRun r = CliRun.of(args("-i", image, "-r", reports.toString(), "--push", "--per-platform-tags",
        "--cache", work.resolve("cache").toString()));
    System.out.println(r.err() + r.out());
    assertEquals(0, r.code(), r.out() + r.err());
    RegistryClient client = registry.client();
    Index patched = (Index) client.getManifest("multi/base", "12-patched");
    assertEquals(MediaTypes.OCI_INDEX, patched.mediaType());
    assertEquals(index.annotations(), patched.annotations());
    List<Descriptor> before = index.manifests();
    List<Descriptor> after = patched.manifests();
    assertEquals(3, after.size(), "the amd64 attestation is dropped with the image it described");
    assertEquals(before.get(0).platform(), after.get(0).platform());
    assertEquals("amd64", after.get(0).annotations().get("org.example.arch"), "descriptor annotations kept");
    assertEquals(before.get(1).platform(), after.get(1).platform(), "arm64/v8 kept as written");
    assertNotEquals(before.get(0).digest(), after.get(0).digest());
    assertNotEquals(before.get(1).digest(), after.get(1).digest());
    assertEquals(before.get(3), after.get(2), "the Windows entry passes through untouched");
    assertTrue(client.listTags("multi/base").containsAll(List.of("12-patched-amd64", "12-patched-arm64")));

    OciLayout pulled = OciLayout.openOrCreate(work.resolve("pulled"));
    ImageCopier.create(4, new ImageCopier.Listener() {}).copy(client.repository("multi/base"), "12-patched", pulled,
        "p");
    for (int i = 0; i < 2; i++) {
      String arch = i == 0 ? "amd64" : "arm64";
      pulled.putManifest((Manifest) pulled.fetchManifest(after.get(i).digest().toString()), arch);
      Path root = DebianFixtures.unpack(pulled.root(), arch, work.resolve("bundle-" + arch));
      for (DebianDemo.Upgrade u : upgrades.get(arch)) {
        String stanza = Files.readString(root.resolve("var/lib/dpkg/status.d/" + u.name()));
        assertTrue(stanza.contains("\nVersion: " + u.to() + "\n"), arch + " " + u.name() + " at " + u.to());
        assertTrue(stanza.contains("\nArchitecture: " + (stanza.contains("Architecture: all") ? "all" : arch) + "\n"));
      }
      if (arch.equals("arm64")) {
        String openssl = upgrades.get(arch).stream().filter(u -> u.name().equals("openssl")).findFirst().orElseThrow().to();
        String version = Commands.runText("qemu-aarch64-static", "-L", root.toString(),
            root.resolve("usr/bin/openssl").toString(), "version");
        assertTrue(version.startsWith("OpenSSL " + openssl.substring(0, openssl.indexOf('-'))), version);
      }
    }
  }

  @Test
  @Order(2)
  void unselectedPlatformsAndTheirAttestationsPassThrough() throws Exception {
    CliRun r = CliRun.of(args("-i", image, "-r", reports.toString(), "--push", "-t", "12-arm-only",
        "--platform", "linux/arm64", "--cache", work.resolve("cache").toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("not selected"), r.out());
    Index patched = (Index) registry.client().getManifest("multi/base", "12-arm-only");
    List<Descriptor> before = index.manifests();
    List<Descriptor> after = patched.manifests();
    assertEquals(4, after.size());
    assertEquals(before.get(0), after.get(0), "amd64 untouched");
    assertNotEquals(before.get(1).digest(), after.get(1).digest(), "arm64 patched");
    assertEquals(before.get(2), after.get(2), "the attestation of the untouched amd64 image is kept");
    assertEquals(before.get(3), after.get(3));
    JsonDocument amd64 = registry.client().getManifest("multi/base", after.get(0).digest().toString());
    assertFalse(amd64 instanceof Index);
  }

  @Test
  @Order(4)
  void thePatchedIndexAndEachPlatformAreSignedAndAttested() throws Exception {
    java.io.InputStream stdin = System.in;
    try {
      System.setIn(new ByteArrayInputStream("pw\n".getBytes(StandardCharsets.UTF_8)));
      assertEquals(0, CliRun.of("generate-key-pair", "--output-key-prefix", work.resolve("k").toString()).code());
      System.setIn(new ByteArrayInputStream("pw\n".getBytes(StandardCharsets.UTF_8)));
      Path vex = work.resolve("vex.json");
      CliRun r = CliRun.of(args("-i", image, "-r", reports.toString(), "--push", "-t", "12-signed", "--sign-key",
          work.resolve("k.key").toString(), "--attest", "-f", "openvex", "-o", vex.toString(),
          "--cache", work.resolve("cache").toString()));
      assertEquals(0, r.code(), r.out() + r.err());
      JsonNode doc = new ObjectMapper().readTree(Files.readAllBytes(vex));
      assertTrue(doc.get("statements").size() >= 2, doc.toString());
      assertEquals("fixed", doc.at("/statements/0/status").asText());
      Index signed = (Index) registry.client().getManifest("multi/base", "12-signed");
      List<String> refs = new ArrayList<>(List.of(registry.host() + "/multi/base@" + signed.digest()));
      signed.manifests().stream().limit(2).forEach(d -> refs.add(registry.host() + "/multi/base@" + d.digest()));
      for (String ref : refs) {
        CliRun v = CliRun.of("verify", "--key", work.resolve("k.pub").toString(), ref);
        assertEquals(0, v.code(), ref + ": " + v.err());
        CliRun a = CliRun.of("verify-attestation", "--key", work.resolve("k.pub").toString(), "--type", "openvex", ref);
        assertEquals(0, a.code(), ref + ": " + a.err());
        assertTrue(a.out().contains("\"status\":\"fixed\""), a.out());
      }
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  @Order(3)
  void theWholeIndexCanGoToAnOciLayout() throws Exception {
    Path out = work.resolve("patched-layout");
    CliRun r = CliRun.of(args("-i", image, "-r", reports.toString(), "--oci-dir", out.toString(), "-t", "p",
        "--cache", work.resolve("cache").toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    // Every child the index names is there, untouched ones included.
    OciLayout layout = OciLayout.open(out);
    Index written = (Index) layout.fetchManifest("p");
    assertEquals(3, written.manifests().size());
    for (Descriptor child : written.manifests()) {
      Manifest m = (Manifest) layout.fetchManifest(child.digest().toString());
      assertTrue(layout.hasBlob(m.config()), child + " config");
      for (Descriptor layer : m.layers()) {
        assertTrue(layout.hasBlob(layer), child + " layer " + layer);
      }
    }
    // ... as skopeo, which copies all of them, agrees.
    Commands.run("skopeo", "copy", "--all", "--preserve-digests", "oci:" + out + ":p", "oci:" + work.resolve("copy") + ":p");
  }
}
