package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageTarget.BlobOutcome;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Images made here go to a real Distribution registry and come back byte for byte. */
class RegistryRoundTripTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  Path temp;

  private final ImageCopier copier = ImageCopier.create(4, new ImageCopier.Listener() {});

  @Test
  void ociImageRoundTripsByteForByte() throws Exception {
    roundTrip("oci/app", false);
  }

  @Test
  void dockerImageRoundTripsByteForByte() throws Exception {
    roundTrip("docker/app", true);
  }

  private void roundTrip(String repo, boolean docker) throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("src-" + docker));
    Manifest made = new RandomImages(docker ? 1 : 2).image(source, "v1", docker, Platform.parse("linux/amd64"), 3);
    RegistryClient client = registry.client();

    JsonDocument pushed = copier.copy(source, "v1", client.repository(repo), "v1");
    assertEquals(made.digest(), pushed.digest());

    JsonDocument pulled = client.getManifest(repo, "v1");
    assertArrayEquals(made.bytes(), pulled.bytes(), "manifest bytes");
    assertEquals(made.digest(), pulled.digest());
    assertEquals(made.mediaType(), pulled.mediaType());
    assertEquals(made.digest(), client.getManifest(repo, made.digest().toString()).digest());
    assertEquals(made.descriptor().digest(), client.headManifest(repo, "v1").orElseThrow().digest());

    Manifest m = (Manifest) pulled;
    byte[] config;
    try (InputStream in = client.openBlob(repo, m.config())) {
      config = in.readAllBytes();
    }
    try (InputStream in = source.openBlob(m.config())) {
      assertArrayEquals(in.readAllBytes(), config, "config bytes");
    }
    ImageConfig parsed = ImageConfig.parse(config, m.config().mediaType(), m.config().digest(), "config");
    assertEquals(3, parsed.diffIds().size());
    assertEquals(docker, parsed.json().has("container_config"));

    // Pulled back into a fresh layout: the same documents and blobs.
    OciLayout back = OciLayout.openOrCreate(temp.resolve("back-" + docker));
    copier.copy(client.repository(repo), "v1", back, "v1");
    assertArrayEquals(made.bytes(), back.fetchManifest("v1").bytes());
    for (Descriptor layer : made.layers()) {
      assertEquals(Files.size(source.blobPath(layer.digest())), Files.size(back.blobPath(layer.digest())));
      assertArrayEquals(Files.readAllBytes(source.blobPath(layer.digest())),
          Files.readAllBytes(back.blobPath(layer.digest())));
    }
    assertTrue(client.listTags(repo).contains("v1"));
  }

  @Test
  void indexOfTwoPlatformsRoundTripsWithItsChildren() throws Exception {
    for (boolean docker : new boolean[] {false, true}) {
      OciLayout source = OciLayout.openOrCreate(temp.resolve("index-" + docker));
      Index made = new RandomImages(3).index(source, "multi", docker,
          List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64/v8")));
      RegistryClient client = registry.client();
      String repo = docker ? "multi/docker" : "multi/oci";
      copier.copy(source, "multi", client.repository(repo), "multi");

      JsonDocument pulled = client.getManifest(repo, "multi");
      Index index = assertInstanceOf(Index.class, pulled);
      assertArrayEquals(made.bytes(), index.bytes());
      assertEquals(docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX, index.mediaType());
      assertEquals(2, index.manifests().size());
      assertTrue(Platform.parse("linux/arm64").matches(index.manifests().get(1).platform().orElseThrow()));
      for (Descriptor child : made.manifests()) {
        JsonDocument c = client.getManifest(repo, child.digest().toString());
        assertArrayEquals(source.fetchManifest(child.digest().toString()).bytes(), c.bytes());
      }
    }
  }

  @Test
  void copyToAnotherRepositoryMountsLayersInsteadOfSendingThem() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("mount"));
    Manifest made = new RandomImages(4).image(source, "v1", false, Platform.parse("linux/amd64"), 3);
    RegistryClient pusher = registry.client();
    copier.copy(source, "v1", pusher.repository("team-a/app"), "v1");

    RegistryClient client = registry.client();
    Map<String, BlobOutcome> outcomes = new ConcurrentHashMap<>();
    ImageCopier counting = ImageCopier.create(4, new ImageCopier.Listener() {
      @Override
      public void blobCopied(Descriptor blob, BlobOutcome outcome) {
        outcomes.put(blob.digest().toString(), outcome);
      }
    });
    JsonDocument copied = counting.copy(client.repository("team-a/app"), "v1", client.repository("team-b/app"), "v1");

    assertEquals(made.digest(), copied.digest());
    assertEquals(0, client.stats().bytesUploaded(), "layer bytes uploaded");
    assertEquals(0, client.stats().bytesDownloaded(), "blob bytes downloaded");
    assertEquals(4, client.stats().blobsMounted(), "3 layers and the config mounted");
    for (Descriptor layer : made.layers()) {
      assertEquals(BlobOutcome.MOUNTED, outcomes.get(layer.digest().toString()));
    }
    assertArrayEquals(made.bytes(), client.getManifest("team-b/app", "v1").bytes());

    // Copying again finds everything there already.
    AtomicLong existed = new AtomicLong();
    ImageCopier.create(2, new ImageCopier.Listener() {
      @Override
      public void blobCopied(Descriptor blob, BlobOutcome outcome) {
        if (outcome == BlobOutcome.EXISTED) {
          existed.incrementAndGet();
        }
      }
    }).copy(client.repository("team-a/app"), "v1", client.repository("team-b/app"), "v1");
    assertEquals(4, existed.get());
  }

  @Test
  void chunkedUploadIsUsedAboveTheThreshold() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("chunked"));
    Manifest made = new RandomImages(5).image(source, "v1", false, Platform.parse("linux/amd64"), 2);
    RegistryClient client = registry.clientBuilder().chunking(1024, 1000).build();
    copier.copy(source, "v1", client.repository("chunked/app"), "v1");
    long total = made.config().size() + made.layers().stream().mapToLong(Descriptor::size).sum();
    assertEquals(total, client.stats().bytesUploaded());
    try (InputStream in = client.openBlob("chunked/app", made.layers().get(0))) {
      assertArrayEquals(Files.readAllBytes(source.blobPath(made.layers().get(0).digest())), in.readAllBytes());
    }
  }

  @Test
  void missingManifestIsAClearError() {
    RegistryClient client = registry.client();
    RegistryException e = assertThrows(RegistryException.class, () -> client.getManifest("nothing/here", "v9"));
    assertEquals(404, e.statusCode());
    assertTrue(e.getMessage().contains("nothing/here"), e.getMessage());
    assertTrue(e.getMessage().contains(registry.host()), e.getMessage());
    assertTrue(e.getMessage().contains("get manifest v9"), e.getMessage());
    assertTrue(e.getMessage().contains("NAME_UNKNOWN") || e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
  }

  @Test
  void referrersFallBackToTheTagSchemaWhenTheApiIsAbsent() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("referrers"));
    Manifest subject = new RandomImages(6).image(source, "v1", false, Platform.parse("linux/amd64"), 1);
    RegistryClient client = registry.client();
    copier.copy(source, "v1", client.repository("ref/app"), "v1");
    assertEquals(0, client.referrers("ref/app", subject.digest(), null).manifests().size());

    Descriptor sig = Descriptor.of(MediaTypes.OCI_MANIFEST, subject.digest(), subject.size());
    com.fasterxml.jackson.databind.node.ObjectNode entry = sig.toJson();
    entry.put("artifactType", "application/vnd.example.signature");
    Index fallback = Index.create(MediaTypes.OCI_INDEX,
        List.of(Descriptor.fromJson(entry, "entry"), Descriptor.of(MediaTypes.OCI_MANIFEST, subject.digest(), subject.size())));
    client.putManifest("ref/app", "sha256-" + subject.digest().hex(), fallback);

    assertEquals(2, client.referrers("ref/app", subject.digest(), null).manifests().size());
    Index filtered = client.referrers("ref/app", subject.digest(), "application/vnd.example.signature");
    assertEquals(1, filtered.manifests().size());
  }
}
