package dev.imagepatch.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A content descriptor: media type, digest and size, plus whatever else the document that holds
 * it says (annotations, platform, urls, artifactType, data, and fields no spec names yet). The
 * JSON is kept whole so that writing a descriptor back never drops a field.
 */
public final class Descriptor {
  private final ObjectNode json;
  private final String mediaType;
  private final Digest digest;
  private final long size;

  private Descriptor(ObjectNode json, String mediaType, Digest digest, long size) {
    this.json = json;
    this.mediaType = mediaType;
    this.digest = digest;
    this.size = size;
  }

  /** A new descriptor with just the three required fields. */
  public static Descriptor of(String mediaType, Digest digest, long size) {
    if (size < 0) {
      throw new IllegalArgumentException("descriptor size must not be negative: " + size);
    }
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest.toString());
    node.put("size", size);
    return new Descriptor(node, mediaType, digest, size);
  }

  /** Reads a descriptor; {@code where} names it in errors, e.g. "manifest sha256:... layers[2]". */
  public static Descriptor fromJson(JsonNode node, String where) throws InvalidDocumentException {
    if (node == null || !node.isObject()) {
      throw new InvalidDocumentException(where + ": descriptor is missing or not an object");
    }
    JsonNode mt = node.get("mediaType");
    if (mt == null || !mt.isTextual() || mt.asText().isEmpty()) {
      throw new InvalidDocumentException(where + ": mediaType is missing or not a string");
    }
    JsonNode d = node.get("digest");
    if (d == null || !d.isTextual()) {
      throw new InvalidDocumentException(where + ": digest is missing or not a string");
    }
    Digest digest;
    try {
      digest = Digest.parse(d.asText());
    } catch (IllegalArgumentException e) {
      throw new InvalidDocumentException(where + ": " + e.getMessage());
    }
    JsonNode s = node.get("size");
    if (s == null || !s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < 0) {
      throw new InvalidDocumentException(where + ": size is missing or not a non-negative integer");
    }
    if (node.has("platform")) {
      Platform.fromJson(node.get("platform"), where);
    }
    return new Descriptor(((ObjectNode) node).deepCopy(), mt.asText(), digest, s.asLong());
  }

  public String mediaType() {
    return mediaType;
  }

  public Digest digest() {
    return digest;
  }

  public long size() {
    return size;
  }

  /** The platform of an index entry, when it names one. */
  public Optional<Platform> platform() {
    JsonNode p = json.get("platform");
    if (p == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Platform.fromJson(p, "descriptor " + digest));
    } catch (InvalidDocumentException e) {
      throw new IllegalStateException(e); // validated in fromJson
    }
  }

  public Map<String, String> annotations() {
    return stringMap(json.get("annotations"));
  }

  /** An annotations object as a map; empty when absent. */
  static Map<String, String> stringMap(JsonNode object) {
    if (object == null || !object.isObject()) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return Collections.unmodifiableMap(out);
  }

  public Optional<String> artifactType() {
    JsonNode a = json.get("artifactType");
    return a != null && a.isTextual() ? Optional.of(a.asText()) : Optional.empty();
  }

  /** A copy of the whole JSON object. */
  public ObjectNode toJson() {
    return json.deepCopy();
  }

  /**
   * The same descriptor pointing at other content. Every other field is kept, except embedded
   * {@code data}, which described the old content.
   */
  public Descriptor withContent(Digest newDigest, long newSize) {
    ObjectNode copy = json.deepCopy();
    copy.put("digest", newDigest.toString());
    copy.put("size", newSize);
    copy.remove("data");
    return new Descriptor(copy, mediaType, newDigest, newSize);
  }

  public Descriptor withMediaType(String newMediaType) {
    ObjectNode copy = json.deepCopy();
    copy.put("mediaType", newMediaType);
    return new Descriptor(copy, newMediaType, digest, size);
  }

  public Descriptor withPlatform(Platform platform) {
    ObjectNode copy = json.deepCopy();
    copy.set("platform", platform.toJson());
    return new Descriptor(copy, mediaType, digest, size);
  }

  public Descriptor withAnnotation(String key, String value) {
    ObjectNode copy = json.deepCopy();
    JsonNode a = copy.get("annotations");
    ObjectNode annotations = a instanceof ObjectNode o ? o : copy.putObject("annotations");
    annotations.put(key, value);
    return new Descriptor(copy, mediaType, digest, size);
  }

  /** Equal when they serialize alike (a size read as an int and one written as a long are the same). */
  @Override
  public boolean equals(Object o) {
    return o instanceof Descriptor d && java.util.Arrays.equals(Json.write(d.json), Json.write(json));
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(Json.write(json));
  }

  @Override
  public String toString() {
    return mediaType + " " + digest + " (" + size + " bytes)";
  }
}
