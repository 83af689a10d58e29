package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.DockerArchive;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What we write is read by skopeo, and what skopeo and umoci write is read by us, digests equal. */
class SkopeoInteropTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  private static final ImageCopier COPIER = ImageCopier.create(4, new ImageCopier.Listener() {});

  @TempDir
  Path temp;

  private String docker(String repoAndTag) {
    return "docker://" + registry.host() + "/" + repoAndTag;
  }

  @Test
  void skopeoReadsWhatWePushAndCopiesItWithEqualDigests() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("src"));
    Index made = new RandomImages(41).index(source, "v1", false,
        List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64/v8")));
    RegistryClient client = registry.client();
    COPIER.copy(source, "v1", client.repository("interop/ours"), "v1");

    byte[] raw = Commands.run("skopeo", "inspect", "--raw", "--tls-verify=false", docker("interop/ours:v1"));
    assertArrayEquals(made.bytes(), raw);
    assertEquals(made.digest(), Digest.sha256(raw));

    Commands.run("skopeo", "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
        "--dest-tls-verify=false", docker("interop/ours:v1"), docker("interop/theirs:v1"));
    JsonDocument copied = client.getManifest("interop/theirs", "v1");
    assertEquals(made.digest(), copied.digest());
    for (Descriptor child : made.manifests()) {
      assertArrayEquals(source.fetchManifest(child.digest().toString()).bytes(),
          client.getManifest("interop/theirs", child.digest().toString()).bytes());
    }
  }

  @Test
  void anImageMadeByUmociAndPushedBySkopeoGoesToALayoutAndBackByteExactly() throws Exception {
    Path umoci = temp.resolve("umoci");
    Path file = Files.writeString(temp.resolve("hello.txt"), "hello from umoci\n");
    Commands.run("umoci", "init", "--layout", umoci.toString());
    Commands.run("umoci", "new", "--image", umoci + ":base");
    Commands.run("umoci", "insert", "--image", umoci + ":base", file.toString(), "/hello.txt");
    Commands.run("umoci", "config", "--image", umoci + ":base", "--config.cmd", "/hello.txt");
    Commands.run("skopeo", "copy", "--preserve-digests", "--dest-tls-verify=false",
        "oci:" + umoci + ":base", docker("interop/skopeo:v1"));
    byte[] theirs = Commands.run("skopeo", "inspect", "--raw", "--tls-verify=false", docker("interop/skopeo:v1"));

    RegistryClient client = registry.client();
    OciLayout layout = OciLayout.openOrCreate(temp.resolve("ours"));
    COPIER.copy(client.repository("interop/skopeo"), "v1", layout, "v1");
    assertArrayEquals(theirs, layout.fetchManifest("v1").bytes());
    COPIER.copy(layout, "v1", client.repository("interop/back"), "v1");
    byte[] back = Commands.run("skopeo", "inspect", "--raw", "--tls-verify=false", docker("interop/back:v1"));
    assertArrayEquals(theirs, back);

    Manifest m = assertInstanceOf(Manifest.class, layout.fetchManifest("v1"));
    byte[] theirConfig = Commands.run("skopeo", "inspect", "--raw", "--config", "--tls-verify=false",
        docker("interop/back:v1"));
    assertEquals(m.config().digest(), Digest.sha256(theirConfig));
    // umoci itself reads the layout we wrote.
    String stat = Commands.runText("umoci", "stat", "--image", layout.root() + ":v1");
    assertEquals(true, stat.contains("hello.txt") || stat.contains("insert"), stat);
  }

  @Test
  void aDockerArchiveWrittenBySkopeoIsReadAndPushed() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("archive-src"));
    Manifest made = new RandomImages(42).image(source, "v1", true, Platform.parse("linux/amd64"), 2);
    COPIER.copy(source, "v1", registry.client().repository("interop/archive"), "v1");
    Path tar = temp.resolve("saved.tar");
    Commands.run("skopeo", "copy", "--src-tls-verify=false", docker("interop/archive:v1"),
        "docker-archive:" + tar + ":example/archive:v1");

    try (DockerArchive archive = DockerArchive.open(tar)) {
      Manifest m = assertInstanceOf(Manifest.class, archive.fetchManifest("example/archive:v1"));
      assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
      byte[] config;
      try (InputStream in = archive.openBlob(m.config())) {
        config = in.readAllBytes();
      }
      ImageConfig parsed = ImageConfig.parse(config, m.config().mediaType(), m.config().digest(), "archive config");
      // The archive holds uncompressed layers: their digests are the config's diff_ids.
      List<Digest> layerDigests = new ArrayList<>();
      m.layers().forEach(l -> layerDigests.add(l.digest()));
      assertEquals(parsed.diffIds(), layerDigests);
      assertEquals(made.layers().size(), m.layers().size());
      assertEquals(MediaTypes.OCI_LAYER_TAR, m.layers().get(0).mediaType());

      COPIER.copy(archive, "example/archive:v1", registry.client().repository("interop/from-archive"), "v1");
    }
    String inspected = Commands.runText("skopeo", "inspect", "--tls-verify=false", docker("interop/from-archive:v1"));
    assertEquals(true, inspected.contains("\"Architecture\": \"amd64\""), inspected);
    Commands.run("skopeo", "copy", "--src-tls-verify=false", docker("interop/from-archive:v1"),
        "oci:" + temp.resolve("verify") + ":v1");
  }
}
