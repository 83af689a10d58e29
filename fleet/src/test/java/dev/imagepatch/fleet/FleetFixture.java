package dev.imagepatch.fleet;

import static dev.imagepatch.patch.testing.DebBuilder.deb;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fleet of images in a real registry, fast: two Debian base layers (one with a package the
 * fixture repository has a fix for, one already current), and per image a small layer of its own
 * on top, so the fleet shares its base layers as a real one does.
 */
final class FleetFixture {
  static final DebBuilder HELLO_1 = deb("hello", "1.0-1", "amd64").file("/usr/bin/hello", "hello 1.0-1\n");
  static final DebBuilder HELLO_2 = deb("hello", "1.0-2", "amd64").file("/usr/bin/hello", "hello 1.0-2\n");
  static final DebBuilder ZLIB = deb("zlib1g", "1:1.2.13.dfsg-1", "amd64").file("/usr/lib/libz.txt", "z\n");
  static final DebBuilder HELLO_1_ARM = deb("hello", "1.0-1", "arm64").file("/usr/bin/hello", "hello 1.0-1 arm\n");
  static final DebBuilder HELLO_2_ARM = deb("hello", "1.0-2", "arm64").file("/usr/bin/hello", "hello 1.0-2 arm\n");
  static final DebBuilder ZLIB_ARM = deb("zlib1g", "1:1.2.13.dfsg-1", "arm64").file("/usr/lib/libz.txt", "z\n");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OciLayout layout;
  private final RegistryClient client;
  final Descriptor oldBase;
  final Descriptor newBase;
  final Descriptor oldArm;
  final Descriptor unreachable;

  FleetFixture(Path work, FixtureAptRepository repo, RegistryClient client) throws IOException {
    repo.publish("bookworm", HELLO_1, HELLO_2, ZLIB, HELLO_1_ARM, HELLO_2_ARM, ZLIB_ARM);
    this.layout = OciLayout.openOrCreate(work.resolve("fleet-layout"));
    this.client = client;
    oldBase = FixtureImages.debian("amd64", repo, "bookworm", HELLO_1, ZLIB).write(layout, "old");
    newBase = FixtureImages.debian("amd64", repo, "bookworm", HELLO_2, ZLIB).write(layout, "new");
    oldArm = FixtureImages.debian("arm64", repo, "bookworm", HELLO_1_ARM, ZLIB_ARM).write(layout, "old-arm");
    // Its sources name a port nothing listens on: the repository cannot be reached.
    unreachable = FixtureImages.debian("amd64", repo, "bookworm", HELLO_1, ZLIB)
        .file("etc/apt/sources.list.d/fixture.sources", "Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: bookworm\n"
            + "Components: main\nSigned-By: /etc/apt/keyrings/fixture.gpg\n").write(layout, "unreachable");
  }

  /** Pushes {@code base} with a layer of {@code name}'s own to {@code repository:tag}. */
  void push(String repository, String tag, Descriptor... bases) throws IOException {
    List<Descriptor> children = new ArrayList<>();
    for (Descriptor base : bases) {
      children.add(withAppLayer(base, repository));
    }
    String local = repository.replace('/', '-');
    if (children.size() == 1) {
      layout.putManifest(layout.fetchManifest(children.get(0).digest().toString()), local);
    } else {
      FixtureImages.index(layout, local, children);
    }
    ImageCopier.create(4, new ImageCopier.Listener() {}).copy(layout, local, client.repository(repository), tag);
  }

  private Descriptor withAppLayer(Descriptor base, String name) throws IOException {
    Manifest m = (Manifest) layout.fetchManifest(base.digest().toString());
    ImageConfig config;
    try (InputStream in = layout.openBlob(m.config())) {
      config = ImageConfig.parse(in.readAllBytes(), m.config().mediaType(), m.config().digest(), "config");
    }
    byte[] content = ("app " + name + "\n").getBytes(StandardCharsets.UTF_8);
    LayerBuilder layer = new LayerBuilder().directory("app", 0755, 0, 0, FixtureImages.CREATED)
        .file("app/name", 0644, 0, 0, FixtureImages.CREATED, content.length, () -> new ByteArrayInputStream(content));
    Path blob = Files.createTempFile("fleet-app-", ".tar.gz");
    try {
      LayerBuilder.Written w = layer.write(blob, LayerBuilder.Compression.GZIP, FixtureImages.CREATED);
      Descriptor layerDescriptor = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, w.digest(), w.size());
      layout.putBlob(layerDescriptor, () -> Files.newInputStream(blob));
      ObjectNode history = JSON.createObjectNode().put("created_by", "COPY app /app");
      ImageConfig edited = config.withLayerAppended(w.diffId(), history);
      Descriptor configDescriptor = Descriptor.of(m.config().mediaType(), edited.digest(), edited.size());
      layout.putBlob(configDescriptor, () -> new ByteArrayInputStream(edited.bytes()));
      Manifest next = m.withConfig(configDescriptor).withLayerAppended(layerDescriptor);
      layout.putManifest(next, null);
      return base.withContent(next.digest(), next.size());
    } finally {
      Files.deleteIfExists(blob);
    }
  }

  /** A Trivy report of {@code artifact}: each finding is {id, package, installed, fixed ("" none), severity}. */
  static void report(Path file, String artifact, String family, String version, String arch, String[]... findings)
      throws IOException {
    ObjectNode r = JSON.createObjectNode().put("SchemaVersion", 2).put("ArtifactName", artifact)
        .put("ArtifactType", "container_image");
    ObjectNode md = r.putObject("Metadata");
    md.putObject("OS").put("Family", family).put("Name", version);
    md.putObject("ImageConfig").put("architecture", arch);
    ObjectNode result = r.putArray("Results").addObject().put("Target", artifact + " (" + family + " " + version + ")")
        .put("Class", "os-pkgs").put("Type", family);
    ArrayNode vulns = result.putArray("Vulnerabilities");
    for (String[] f : findings) {
      ObjectNode v = vulns.addObject().put("VulnerabilityID", f[0]).put("PkgName", f[1]).put("InstalledVersion", f[2])
          .put("Status", f[3].isEmpty() ? "affected" : "fixed").put("Severity", f[4]);
      if (!f[3].isEmpty()) {
        v.put("FixedVersion", f[3]);
      }
    }
    Files.write(file, JSON.writeValueAsBytes(r));
  }
}
