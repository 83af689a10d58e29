package dev.imagepatch.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** An image manifest, OCI or Docker schema 2: one config and its layers. */
public final class Manifest extends JsonDocument {
  private final Descriptor config;
  private final List<Descriptor> layers;

  Manifest(byte[] bytes, String mediaType, Digest digest, ObjectNode json, String source)
      throws InvalidDocumentException {
    super(bytes, mediaType, digest, json);
    if (!MediaTypes.isManifest(mediaType)) {
      throw new InvalidDocumentException(source + ": expected an image manifest, found " + mediaType);
    }
    this.layers = descriptors(json, "layers", source);
    this.config = Descriptor.fromJson(json.get("config"), source + " config");
  }

  /** Reads a manifest; see {@link JsonDocument#parseManifest} for the media type rules. */
  public static Manifest parse(byte[] bytes, String mediaType) throws InvalidDocumentException {
    JsonDocument doc = parseVerified(bytes, mediaType, Digest.sha256(bytes), "manifest");
    if (doc instanceof Manifest m) {
      return m;
    }
    throw new InvalidDocumentException("manifest: expected an image manifest, found " + doc.mediaType());
  }

  public Descriptor config() {
    return config;
  }

  public List<Descriptor> layers() {
    return layers;
  }

  /** The OCI 1.1 artifactType, when present. */
  public Optional<String> artifactType() {
    JsonNode a = json.get("artifactType");
    return a != null && a.isTextual() ? Optional.of(a.asText()) : Optional.empty();
  }

  /**
   * Applies {@code change} to a copy of the JSON tree and returns the resulting manifest; fields
   * the change does not touch are written back as they were. An edit that changes nothing
   * returns this manifest, bytes and digest unchanged.
   */
  public Manifest edit(Consumer<ObjectNode> change) throws InvalidDocumentException {
    ObjectNode copy = json.deepCopy();
    change.accept(copy);
    byte[] b = serializeIfChanged(json, copy);
    return b == null ? this : new Manifest(b, mediaType(), Digest.sha256(b), copy, "edited manifest");
  }

  public Manifest withLayerAppended(Descriptor layer) throws InvalidDocumentException {
    return edit(tree -> ((ArrayNode) tree.get("layers")).add(layer.toJson()));
  }

  public Manifest withConfig(Descriptor newConfig) throws InvalidDocumentException {
    return edit(tree -> tree.set("config", newConfig.toJson()));
  }

  public Manifest withAnnotation(String key, String value) throws InvalidDocumentException {
    return edit(tree -> annotationsOf(tree).put(key, value));
  }

  /** A new manifest of {@code mediaType} with the given config and layers. */
  public static Manifest create(String mediaType, Descriptor config, List<Descriptor> layers)
      throws InvalidDocumentException {
    ObjectNode tree = Json.MAPPER.createObjectNode();
    tree.put("schemaVersion", 2);
    tree.put("mediaType", mediaType);
    tree.set("config", config.toJson());
    ArrayNode arr = tree.putArray("layers");
    layers.forEach(d -> arr.add(d.toJson()));
    byte[] b = Json.write(tree);
    return new Manifest(b, mediaType, Digest.sha256(b), tree, "new manifest");
  }
}
