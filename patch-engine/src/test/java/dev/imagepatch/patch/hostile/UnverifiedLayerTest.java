package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.testing.DebBuilder.hello;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RemoteRepository;
import dev.imagepatch.oci.testing.FaultProxy;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.report.Report;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers whose content does not match their descriptor, from a layout and from a registry, patched
 * in place (base layers already in the target are not copied, so nothing else reads them to their
 * end): the patch must fail naming the layer and what did not match, and nothing may be written.
 * The hostile layer carries a dpkg status with an injected package and is padded to the
 * descriptor's size, so only the digest, checked at the blob's end, can catch it.
 */
class UnverifiedLayerTest {
  static final DebBuilder HELLO_1 = hello("1.0-1", "amd64");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static Report report;

  @BeforeAll
  static void serve() throws Exception {
    repo.publish("bookworm", hello("1.0-2", "amd64"));
    report = HostileCase.report();
  }
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  /** A layout holding the good image as "12", and the bytes of a same-sized layer injecting a package. */
  record Hostile(OciLayout layout, Manifest manifest, Descriptor layer, byte[] injected) {
    /** Puts the injected bytes where the good layer's blob is. */
    void swapInLayout() throws IOException {
      Files.write(layout.root().resolve("blobs/sha256/" + layer.digest().hex()), injected);
    }

    /** Tags, as {@code tag}, the image with its layer descriptor's size changed by {@code size}. */
    void resize(String tag, UnaryOperator<Long> size) throws IOException {
      Manifest m = manifest.edit(tree -> {
        ObjectNode l = (ObjectNode) ((ArrayNode) tree.get("layers")).get(0);
        l.put("size", size.apply(l.get("size").asLong()));
      });
      layout.putManifest(m, tag);
    }
  }

  static Hostile hostile(String name) throws IOException {
    OciLayout scratch = OciLayout.openOrCreate(work.resolve(name + "-scratch"));
    FixtureImages.Spec spec = FixtureImages.debian("amd64", repo, "bookworm", HELLO_1);
    Descriptor written = spec.write(scratch, "base");
    Map<String, byte[]> files = new TreeMap<>(FixtureImages.files(scratch,
        FixtureImages.manifest(scratch, written.digest().toString()).layers().get(0)));
    // Incompressible padding makes the good layer the larger, so the injected one fits in its size,
    // and longer than the read buffers, so that only reading to the end reaches the digest check.
    byte[] padding = new byte[256 << 10];
    new Random(13).nextBytes(padding);
    Map<String, byte[]> good = new TreeMap<>(files);
    good.put("usr/share/padding", padding);
    Map<String, byte[]> evil = new TreeMap<>(files);
    evil.put("var/lib/dpkg/status", (new String(files.get("var/lib/dpkg/status"), StandardCharsets.UTF_8)
        + "Package: injected\nStatus: install ok installed\nVersion: 6.6.6\nArchitecture: amd64\n"
        + "Maintainer: nobody\nDescription: injected\n\n").getBytes(StandardCharsets.UTF_8));

    OciLayout layout = OciLayout.openOrCreate(work.resolve(name));
    Manifest manifest = FixtureImages.manifest(layout,
        FixtureImages.image(layout, "12", "amd64", good).digest().toString());
    Descriptor layer = manifest.layers().get(0);
    OciLayout evilLayout = OciLayout.openOrCreate(work.resolve(name + "-evil"));
    Descriptor evilLayer = FixtureImages.manifest(evilLayout,
        FixtureImages.image(evilLayout, "12", "amd64", evil).digest().toString()).layers().get(0);
    byte[] injected = Files.readAllBytes(evilLayout.root().resolve("blobs/sha256/" + evilLayer.digest().hex()));
    assertTrue(injected.length < layer.size(), "the injected layer fits");
    return new Hostile(layout, manifest, layer, Arrays.copyOf(injected, (int) layer.size()));
  }

  @Test
  void aLayoutLayerWithAnotherDigestIsRefusedBeforeUse() throws Exception {
    Hostile h = hostile("layout");
    h.swapInLayout();
    HostileCase.assertRefused(h.layout(), "12", h.layout(), report, work.resolve("cache"), b -> b, "layer 1 of 1 (" + h.layer().digest() + ")",
        h.layout().describe(), "content hashes to sha256:", "expected " + h.layer().digest());
  }

  @Test
  void aDryRunRefusesIt() throws Exception {
    Hostile h = hostile("dry");
    h.swapInLayout();
    PatchRequest request = PatchRequest.builder(h.layout(), "12", report).dryRun(true)
        .cacheDirectory(work.resolve("cache")).build();
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(request));
    assertTrue(e.getMessage().contains("layer 1 of 1 (" + h.layer().digest() + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("content hashes to"), e.getMessage());
  }

  @Test
  void aDescriptorSizeTooLargeIsRefused() throws Exception {
    Hostile h = hostile("sizes");
    h.resize("plus1000", s -> s + 1000);
    h.resize("huge", s -> 1L << 62);
    HostileCase.assertRefused(h.layout(), "plus1000", h.layout(), report, work.resolve("cache"), b -> b, "layer 1 of 1 (" + h.layer().digest() + ")",
        "expected " + (h.layer().size() + 1000) + " bytes, got " + h.layer().size());
    HostileCase.assertRefused(h.layout(), "huge", h.layout(), report, work.resolve("cache"), b -> b, "layer 1 of 1 (" + h.layer().digest() + ")",
        "expected " + (1L << 62) + " bytes, got " + h.layer().size());
  }

  @Test
  void aDescriptorSizeTooSmallFailsAtOnceNamingTheLayer() throws Exception {
    Hostile h = hostile("small");
    h.resize("minus1000", s -> s - 1000);
    HostileCase.assertRefused(h.layout(), "minus1000", h.layout(), report, work.resolve("cache"), b -> b, "layer 1 of 1 (" + h.layer().digest() + ") of "
        + h.layout().describe(), "more than the expected " + (h.layer().size() - 1000) + " bytes");
  }

  @Test
  void aTruncatedLayerNamesIt() throws Exception {
    Hostile h = hostile("truncated");
    Path blob = h.layout().root().resolve("blobs/sha256/" + h.layer().digest().hex());
    Files.write(blob, Arrays.copyOf(Files.readAllBytes(blob), (int) h.layer().size() / 2));
    HostileCase.assertRefused(h.layout(), "12", h.layout(), report, work.resolve("cache"), b -> b, "layer 1 of 1 (" + h.layer().digest() + ") of "
        + h.layout().describe() + ": ");
  }

  @Test
  void aConfigTypedAsALayerIsRefused() throws Exception {
    Hostile h = hostile("config");
    Descriptor config = h.manifest().config();
    h.layout().putManifest(Manifest.create(MediaTypes.OCI_MANIFEST, config, List.of(h.layer(), config)), "typed");
    h.layout().putManifest(Manifest.create(MediaTypes.OCI_MANIFEST, config, List.of(h.layer(),
        Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, config.digest(), config.size()))), "renamed");
    HostileCase.assertRefused(h.layout(), "typed", h.layout(), report, work.resolve("cache"), b -> b, "layer 2 of 2 (" + config.digest() + ")",
        "media type " + MediaTypes.OCI_CONFIG + " is not a layer's");
    HostileCase.assertRefused(h.layout(), "renamed", h.layout(), report, work.resolve("cache"), b -> b, "layer 2 of 2 (" + config.digest() + ")",
        "names its config blob as a layer");
  }

  @Test
  void aRegistryServingAnotherLayerIsRefusedAndNothingIsPushed() throws Exception {
    Hostile h = hostile("registry");
    RegistryClient client = registry.client();
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(h.layout(), "12", client.repository("hostile/app"), "12");
    try (FaultProxy proxy = FaultProxy.start(registry.host())) {
      proxy.replaceBlob(h.layer().digest().toString(), h.injected());
      // Patched in place, as --push to the source repository does: the base layers are there
      // already and are not copied, so only reading them can verify them.
      RemoteRepository source = RegistryClient.builder(proxy.host()).build().repository("hostile/app");
      PatchRequest request = PatchRequest.builder(source, "12", report).target(source, "12-patched")
          .cacheDirectory(work.resolve("cache")).build();
      PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(request));
      for (String part : List.of("layer 1 of 1 (" + h.layer().digest() + ")", proxy.host() + "/hostile/app",
          "content hashes to sha256:", "expected " + h.layer().digest())) {
        assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
      }
    }
    assertThrows(IOException.class, () -> client.repository("hostile/app").fetchManifest("12-patched"),
        "nothing pushed");
  }
}
