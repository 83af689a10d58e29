package dev.imagepatch.oci;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Arrays;

/**
 * Fuzzes the readers of OCI and Docker manifests, indexes and image configs with arbitrary bytes.
 * The first byte picks the Content-Type a registry would have sent (none, a manifest's, an index's,
 * schema 1's); the rest is the document.
 *
 * <p>Contract: {@link JsonDocument#parseManifest}, {@link Manifest#parse}, {@link Index#parse} and
 * {@link ImageConfig#parse} return a document or throw an {@link InvalidDocumentException} (an
 * IOException naming the document: malformed JSON, a missing or mistyped field, an invalid digest,
 * media types that disagree, schema 1); {@code platform()} and {@code diffIds()} of a config return
 * or throw it too. The accessors of a parsed document ({@code layers}, {@code config},
 * {@code manifests}, and each descriptor's {@code platform}, {@code annotations},
 * {@code artifactType}) never throw: the constructors validated them. Any other throwable, or a
 * run past Jazzer's timeout, is a finding. Seeds and regression inputs:
 * {@code src/test/resources/dev/imagepatch/oci/JsonDocumentFuzzTestInputs/parse/}.
 */
class JsonDocumentFuzzTest {
  private static final String[] CONTENT_TYPES = {null, MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
      MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST_V1_SIGNED,
      "application/json; charset=utf-8"};

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    String contentType = input.length == 0 ? null : CONTENT_TYPES[(input[0] & 0xff) % CONTENT_TYPES.length];
    byte[] bytes = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    try {
      JsonDocument doc = JsonDocument.parseManifest(bytes, contentType, null, "fuzz");
      if (doc instanceof Manifest m) {
        check(m.config());
        m.layers().forEach(JsonDocumentFuzzTest::check);
        m.artifactType();
      } else if (doc instanceof Index i) {
        i.manifests().forEach(JsonDocumentFuzzTest::check);
      }
    } catch (IOException expected) {
      // InvalidDocumentException
    }
    try {
      Manifest.parse(bytes, contentType);
    } catch (InvalidDocumentException expected) {
      // not a manifest
    }
    try {
      Index.parse(bytes, contentType);
    } catch (InvalidDocumentException expected) {
      // not an index
    }
    try {
      ImageConfig config = ImageConfig.parse(bytes, MediaTypes.OCI_CONFIG, null, "fuzz");
      config.history();
      config.platform();
      config.diffIds();
    } catch (IOException expected) {
      // InvalidDocumentException
    }
  }

  private static void check(Descriptor d) {
    d.platform();
    d.annotations();
    d.artifactType();
    d.digest();
  }
}
