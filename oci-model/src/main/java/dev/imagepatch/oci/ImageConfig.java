package dev.imagepatch.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An image configuration (OCI or Docker). Only what imagepatch needs is modeled: the platform,
 * {@code rootfs.diff_ids} and {@code history}; everything else (Docker's {@code container_config},
 * labels, fields from the future) is carried as it is.
 */
public final class ImageConfig extends JsonDocument {
  /** Configs are held in memory to be edited; nothing real comes near this. */
  public static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;

  ImageConfig(byte[] bytes, String mediaType, Digest digest, ObjectNode json) {
    super(bytes, mediaType, digest, json);
  }

  /**
   * Reads a config blob. {@code expected} (may be null) is the digest the manifest gives, which
   * the bytes must match; {@code source} names the config in errors.
   */
  public static ImageConfig parse(byte[] bytes, String mediaType, Digest expected, String source)
      throws InvalidDocumentException, DigestMismatchException {
    Digest digest = digestOf(bytes, expected, source);
    return new ImageConfig(bytes, mediaType, digest, Json.readObject(bytes, source));
  }

  /** The platform the config declares. */
  public Platform platform() throws InvalidDocumentException {
    return Platform.fromJson(json, "config " + digest());
  }

  /** The uncompressed digests of the layers, bottom first. */
  public List<Digest> diffIds() throws InvalidDocumentException {
    JsonNode ids = json.path("rootfs").path("diff_ids");
    List<Digest> out = new ArrayList<>();
    if (!ids.isArray()) {
      return out;
    }
    for (int i = 0; i < ids.size(); i++) {
      try {
        out.add(Digest.parse(ids.get(i).asText()));
      } catch (IllegalArgumentException e) {
        throw new InvalidDocumentException("config " + digest() + " rootfs.diff_ids[" + i + "]: " + e.getMessage());
      }
    }
    return out;
  }

  /** A copy of each {@code history} entry. */
  public List<ObjectNode> history() {
    List<ObjectNode> out = new ArrayList<>();
    json.path("history").forEach(h -> {
      if (h instanceof ObjectNode o) {
        out.add(o.deepCopy());
      }
    });
    return out;
  }

  /** Applies {@code change} to a copy of the tree; see {@link Manifest#edit}. */
  public ImageConfig edit(Consumer<ObjectNode> change) {
    ObjectNode copy = json.deepCopy();
    change.accept(copy);
    byte[] b = serializeIfChanged(json, copy);
    return b == null ? this : new ImageConfig(b, mediaType(), Digest.sha256(b), copy);
  }

  /**
   * Records one more layer: its diff_id is appended to {@code rootfs.diff_ids} and
   * {@code historyEntry} to {@code history}. {@code created} is left alone.
   */
  public ImageConfig withLayerAppended(Digest diffId, ObjectNode historyEntry) {
    return edit(tree -> {
      JsonNode rootfs = tree.get("rootfs");
      ObjectNode r = rootfs instanceof ObjectNode o ? o : tree.putObject("rootfs");
      if (!r.has("type")) {
        r.put("type", "layers");
      }
      JsonNode ids = r.get("diff_ids");
      (ids instanceof ArrayNode a ? a : r.putArray("diff_ids")).add(diffId.toString());
      JsonNode history = tree.get("history");
      (history instanceof ArrayNode a ? a : tree.putArray("history")).add(historyEntry.deepCopy());
    });
  }
}
