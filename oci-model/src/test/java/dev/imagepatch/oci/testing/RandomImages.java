package dev.imagepatch.oci.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Random images for tests, in the spirit of go-containerregistry's {@code random} package: real
 * gzip'd tar layers of random files, a config with the fields real tools write (and a few no spec
 * names, to prove they survive), and documents pretty-printed as Docker prints them, so a byte-exact
 * round trip is a real check and not an artefact of compact JSON.
 */
public final class RandomImages {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Random random;

  public RandomImages(long seed) {
    this.random = new Random(seed);
  }

  /** Writes one image to {@code layout} under {@code tag} (null: untagged) and returns its manifest. */
  public Manifest image(OciLayout layout, String tag, boolean docker, Platform platform, int layers)
      throws IOException {
    List<Descriptor> layerDescriptors = new ArrayList<>();
    ArrayNode diffIds = JSON.createArrayNode();
    ArrayNode history = JSON.createArrayNode();
    for (int i = 0; i < layers; i++) {
      byte[] tar = tar("layer-" + i + ".bin", 1024 + random.nextInt(64 * 1024));
      byte[] gz = gzip(tar);
      Descriptor d = Descriptor.of(docker ? MediaTypes.DOCKER_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR_GZIP,
          Digest.sha256(gz), gz.length);
      layout.putBlob(d, () -> new ByteArrayInputStream(gz));
      layerDescriptors.add(d);
      diffIds.add(Digest.sha256(tar).toString());
      ObjectNode h = history.addObject();
      h.put("created", "2026-01-0" + (1 + i % 9) + "T00:00:00Z");
      h.put("created_by", "/bin/sh -c echo layer " + i + " && true <test>");
    }
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", platform.architecture());
    config.put("os", platform.os());
    platform.variant().ifPresent(v -> config.put("variant", v));
    config.put("created", "2026-01-01T00:00:00Z");
    ObjectNode cfg = config.putObject("config");
    cfg.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    cfg.putArray("Cmd").add("/bin/sh");
    cfg.putObject("Labels").put("org.example.random", Long.toHexString(random.nextLong()));
    if (docker) {
      ObjectNode cc = config.putObject("container_config");
      cc.put("Hostname", "abc123");
      cc.putArray("Cmd").add("/bin/sh").add("-c").add("#(nop) CMD [\"/bin/sh\"]");
      config.put("docker_version", "20.10.7");
    }
    config.put("x-imagepatch-unmodeled", 1.50);
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.set("diff_ids", diffIds);
    config.set("history", history);
    byte[] configBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
    Descriptor configDescriptor = Descriptor.of(docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG,
        Digest.sha256(configBytes), configBytes.length);
    layout.putBlob(configDescriptor, () -> new ByteArrayInputStream(configBytes));

    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST);
    manifest.set("config", configDescriptor.toJson());
    ArrayNode layersNode = manifest.putArray("layers");
    layerDescriptors.forEach(d -> layersNode.add(d.toJson()));
    if (!docker) {
      manifest.putObject("annotations").put("org.opencontainers.image.created", "2026-01-01T00:00:00Z");
      manifest.put("x-imagepatch-unmodeled", "kept");
    }
    Manifest m = Manifest.parse(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
        docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST);
    layout.putManifest(m, tag);
    return m;
  }

  /** Writes an index over one random image per platform, tagged {@code tag}. */
  public Index index(OciLayout layout, String tag, boolean docker, List<Platform> platforms) throws IOException {
    ArrayNode entries = JSON.createArrayNode();
    for (Platform p : platforms) {
      Manifest m = image(layout, null, docker, p, 2);
      ObjectNode entry = m.descriptor().toJson();
      entry.set("platform", JSON.readTree(dev.imagepatch.oci.internal.Json.write(p.toJson())));
      if (!docker) {
        entry.putObject("annotations").put("org.example.platform", p.toString());
      }
      entries.add(entry);
    }
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX);
    index.set("manifests", entries);
    if (!docker) {
      index.putObject("annotations").put("org.example.index", "yes");
    }
    JsonDocument doc = JsonDocument.parseManifest(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index),
        docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX, null, "random index");
    layout.putManifest(doc, tag);
    return (Index) doc;
  }

  private byte[] tar(String name, int size) throws IOException {
    byte[] content = new byte[size];
    random.nextBytes(content);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(size);
      e.setMode(0100644);
      e.setModTime(0);
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
