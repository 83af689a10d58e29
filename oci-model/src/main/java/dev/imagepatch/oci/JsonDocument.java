package dev.imagepatch.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A JSON image document (manifest, index or config) that is exact: its bytes are the bytes it was
 * read from, so its digest never changes by being read, and an edit changes only what it touches
 * while every other field, known or not, is written back as it was.
 */
public abstract sealed class JsonDocument permits Manifest, Index, ImageConfig {
  /** Registries commonly refuse manifests over 4 MiB; anything larger is not read. */
  public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  private final byte[] bytes;
  private final String mediaType;
  private final Digest digest;
  final ObjectNode json;

  JsonDocument(byte[] bytes, String mediaType, Digest digest, ObjectNode json) {
    this.bytes = bytes;
    this.mediaType = mediaType;
    this.digest = digest;
    this.json = json;
  }

  /**
   * Reads a manifest or an index, whichever the bytes are. The media type comes from
   * {@code contentType} (a registry's Content-Type or a descriptor's mediaType; may be null) and
   * the document's own {@code mediaType} field, which must agree. When {@code expected} is given,
   * the bytes must hash to it.
   */
  public static JsonDocument parseManifest(byte[] bytes, String contentType, Digest expected, String source)
      throws InvalidDocumentException, DigestMismatchException {
    return parseVerified(bytes, contentType, digestOf(bytes, expected, source), source);
  }

  /** Reads a manifest or index whose digest is already known to be right. */
  static JsonDocument parseVerified(byte[] bytes, String contentType, Digest digest, String source)
      throws InvalidDocumentException {
    ObjectNode json = Json.readObject(bytes, source);
    String mediaType = manifestMediaType(json, contentType, source);
    return MediaTypes.isIndex(mediaType)
        ? new Index(bytes, mediaType, digest, json, source)
        : new Manifest(bytes, mediaType, digest, json, source);
  }

  static Digest digestOf(byte[] bytes, Digest expected, String source) throws DigestMismatchException {
    if (expected == null) {
      return Digest.sha256(bytes);
    }
    Digest actual = expected.recompute(bytes);
    if (!actual.equals(expected)) {
      throw new DigestMismatchException(source + ": content hashes to " + actual + ", expected " + expected);
    }
    return expected;
  }

  private static String manifestMediaType(ObjectNode json, String contentType, String source)
      throws InvalidDocumentException {
    String field = json.path("mediaType").isTextual() ? json.get("mediaType").asText() : null;
    String header = contentType == null ? null : contentType.split(";", 2)[0].trim();
    if (json.path("schemaVersion").asInt() == 1 || MediaTypes.DOCKER_MANIFEST_V1_SIGNED.equals(header)
        || MediaTypes.DOCKER_MANIFEST_V1.equals(header)) {
      throw new InvalidDocumentException(source + ": Docker schema 1 manifests are not supported;"
          + " convert the image to schema 2 or OCI first");
    }
    if (header != null && MediaTypes.MANIFEST_TYPES.contains(header)) {
      if (field != null && !field.equals(header)) {
        throw new InvalidDocumentException(
            source + ": mediaType field '" + field + "' disagrees with content type '" + header + "'");
      }
      return header;
    }
    if (field != null) {
      if (!MediaTypes.MANIFEST_TYPES.contains(field)) {
        throw new InvalidDocumentException(source + ": unsupported manifest mediaType '" + field + "'");
      }
      return field;
    }
    // OCI makes the field optional; the shape decides.
    if (json.has("manifests")) {
      return MediaTypes.OCI_INDEX;
    }
    if (json.has("config") || json.has("layers")) {
      return MediaTypes.OCI_MANIFEST;
    }
    throw new InvalidDocumentException(source + ": neither a manifest nor an index (no mediaType,"
        + " config, layers or manifests field)");
  }

  /** The exact bytes (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  public InputStream openStream() {
    return new ByteArrayInputStream(bytes);
  }

  public long size() {
    return bytes.length;
  }

  public Digest digest() {
    return digest;
  }

  public String mediaType() {
    return mediaType;
  }

  /** A copy of the whole JSON tree, for reading fields this class does not model. */
  public ObjectNode json() {
    return json.deepCopy();
  }

  /** A descriptor of this document: media type, digest and size. */
  public Descriptor descriptor() {
    return Descriptor.of(mediaType, digest, bytes.length);
  }

  /** The document's annotations, empty when it has none. */
  public Map<String, String> annotations() {
    return Descriptor.stringMap(json.get("annotations"));
  }

  /** The {@code subject} descriptor (OCI 1.1 referrers), when present. */
  public Optional<Descriptor> subject() throws InvalidDocumentException {
    JsonNode s = json.get("subject");
    return s == null ? Optional.empty() : Optional.of(Descriptor.fromJson(s, "subject of " + digest));
  }

  /** Checks schemaVersion 2 and reads the descriptor array {@code field}, naming each entry in errors. */
  static List<Descriptor> descriptors(ObjectNode json, String field, String source) throws InvalidDocumentException {
    if (json.path("schemaVersion").asInt() != 2) {
      throw new InvalidDocumentException(source + ": schemaVersion must be 2");
    }
    JsonNode array = json.get(field);
    if (array == null || !array.isArray()) {
      throw new InvalidDocumentException(source + ": " + field + " is missing or not an array");
    }
    List<Descriptor> list = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      list.add(Descriptor.fromJson(array.get(i), source + " " + field + "[" + i + "]"));
    }
    return List.copyOf(list);
  }

  /** The edited tree serialized, or null when the edit changed nothing (the bytes stay). */
  static byte[] serializeIfChanged(ObjectNode original, ObjectNode edited) {
    return edited.equals(original) ? null : Json.write(edited);
  }

  static ObjectNode annotationsOf(ObjectNode tree) {
    JsonNode a = tree.get("annotations");
    return a instanceof ObjectNode o ? o : tree.putObject("annotations");
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + " " + mediaType + " " + digest;
  }
}
