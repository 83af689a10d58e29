package dev.imagepatch.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Documents keep their bytes when read and every field they do not model when edited. */
class JsonDocumentTest {
  private static final String D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  private static final String D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
  private static final String D3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

  /** An OCI 1.1 manifest with everything a real one may carry, pretty-printed. */
  private static final String MANIFEST = """
      {
         "schemaVersion": 2,
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "artifactType": "application/vnd.example+type",
         "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "%s",
            "size": 1234
         },
         "layers": [
            {
               "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
               "digest": "%s",
               "size": 99,
               "annotations": {"org.example.layer": "base"},
               "urls": ["https://example.invalid/blob"],
               "x-layer-extra": {"nested": [1, 2.50, 123456789012345678901234567890]}
            }
         ],
         "subject": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "%s",
            "size": 7
         },
         "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
         "x-unknown-top": true
      }
      """.formatted(D1, D2, D3);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readingKeepsTheExactBytesAndDigest() throws Exception {
    Manifest m = Manifest.parse(bytes(MANIFEST), null);
    assertArrayEquals(bytes(MANIFEST), m.bytes());
    assertEquals(Digest.sha256(bytes(MANIFEST)), m.digest());
    assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
    assertEquals("application/vnd.example+type", m.artifactType().orElseThrow());
    assertEquals(D3, m.subject().orElseThrow().digest().toString());
    assertEquals(MediaTypes.Compression.ZSTD, MediaTypes.layerCompression(m.layers().get(0).mediaType()).orElseThrow());
  }

  @Test
  void anEditKeepsEveryUntouchedField() throws Exception {
    Manifest m = Manifest.parse(bytes(MANIFEST), null);
    Descriptor added = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, Digest.parse(D1), 5);
    Manifest edited = m.withLayerAppended(added);
    assertNotEquals(m.digest(), edited.digest());
    assertEquals(2, edited.layers().size());
    assertEquals(added, edited.layers().get(1));

    ObjectNode before = m.json();
    ObjectNode after = edited.json();
    ((com.fasterxml.jackson.databind.node.ArrayNode) after.get("layers")).remove(1);
    assertEquals(before, after, "nothing but the new layer changed");
    String text = new String(edited.bytes(), StandardCharsets.UTF_8);
    assertTrue(text.contains("123456789012345678901234567890"), "big integers stay exact: " + text);
    assertTrue(text.contains("2.50"), "decimals keep their scale: " + text);
    assertTrue(text.indexOf("\"artifactType\"") < text.indexOf("\"config\""), "field order kept");
    assertEquals(m.layers().get(0), edited.layers().get(0), "descriptor extras kept");
  }

  @Test
  void descriptorsAreEqualWhenTheyReadAlike() throws Exception {
    Descriptor made = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, Digest.parse(D1), 99);
    Descriptor read = Descriptor.fromJson(Json.readObject(Json.write(made.toJson()), "d"), "d");
    assertEquals(made, read);
    assertEquals(made.hashCode(), read.hashCode());
    assertNotEquals(made, made.withAnnotation("a", "b"));
  }

  @Test
  void anEditThatChangesNothingKeepsTheDocument() throws Exception {
    Manifest m = Manifest.parse(bytes(MANIFEST), null);
    assertSame(m, m.edit(tree -> tree.put("schemaVersion", 2)));
    assertSame(m, m.withAnnotation("org.opencontainers.image.created", "2026-01-01T00:00:00Z"));
  }

  @Test
  void configEditsWriteLikeGo() throws Exception {
    // As Go's encoding/json writes it: compact, with < > & escaped.
    String go = "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"bash\"]},\"container_config\":{\"Cmd\":"
        + "[\"/bin/sh\",\"-c\",\"apt-get update \\u0026\\u0026 rm -rf /x \\u003e /dev/null\"]},"
        + "\"created\":\"2024-01-01T00:00:00Z\",\"history\":[{\"created_by\":\"a \\u0026\\u0026 b\"}],"
        + "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]}}";
    ImageConfig config = ImageConfig.parse(bytes(go), MediaTypes.DOCKER_CONFIG, null, "config");
    ObjectNode history = Json.MAPPER.createObjectNode();
    history.put("created_by", "imagepatch <patch> && more");
    ImageConfig edited = config.withLayerAppended(Digest.parse(D2), history);
    String expected = go.replace("\"" + D1 + "\"]", "\"" + D1 + "\",\"" + D2 + "\"]")
        .replace("{\"created_by\":\"a \\u0026\\u0026 b\"}]",
            "{\"created_by\":\"a \\u0026\\u0026 b\"},{\"created_by\":\"imagepatch \\u003cpatch\\u003e \\u0026\\u0026 more\"}]");
    assertEquals(expected, new String(edited.bytes(), StandardCharsets.UTF_8));
    assertEquals(2, edited.diffIds().size());
    assertEquals("2024-01-01T00:00:00Z", edited.json().get("created").asText(), "created is left alone");
    assertEquals(Platform.parse("linux/amd64"), edited.platform());
  }

  @Test
  void theShapeDecidesWhenNoMediaTypeIsGiven() throws Exception {
    String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"digest\":\"" + D1 + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
    JsonDocument doc = JsonDocument.parseManifest(bytes(index), "application/json", null, "x");
    assertInstanceOf(Index.class, doc);
    assertEquals(MediaTypes.OCI_INDEX, doc.mediaType());
  }

  @Test
  void badDocumentsAreRejectedNamingTheField() {
    assertMessage("schema 1", "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", null);
    assertMessage("disagrees with content type", MANIFEST, MediaTypes.DOCKER_MANIFEST);
    assertMessage("x layers[0]: digest is missing or not a string",
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[{\"mediaType\":\"b\",\"size\":1}]}",
        MediaTypes.OCI_MANIFEST);
    assertMessage("x layers[0]: size is missing or not a non-negative integer",
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[{\"mediaType\":\"b\",\"digest\":\"" + D1 + "\",\"size\":-1}]}",
        MediaTypes.OCI_MANIFEST);
    assertMessage("Duplicate field 'layers'",
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[],\"layers\":[]}",
        MediaTypes.OCI_MANIFEST);
    assertMessage("x: invalid JSON at line 2, column", "{\"schemaVersion\":2,\n\"config\":", MediaTypes.OCI_MANIFEST);
    assertMessage("x: empty document", "", MediaTypes.OCI_MANIFEST);
    assertMessage("unsupported manifest mediaType", "{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", null);
  }

  private static void assertMessage(String part, String json, String contentType) {
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
        () -> JsonDocument.parseManifest(bytes(json), contentType, null, "x"));
    assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
  }

  @Test
  void aDocumentMustMatchTheDigestItWasFetchedBy() {
    DigestMismatchException e = assertThrows(DigestMismatchException.class,
        () -> JsonDocument.parseManifest(bytes(MANIFEST), null, Digest.parse(D1), "reg/repo@" + D1));
    assertTrue(e.getMessage().startsWith("reg/repo@" + D1 + ": content hashes to"), e.getMessage());
  }
}
