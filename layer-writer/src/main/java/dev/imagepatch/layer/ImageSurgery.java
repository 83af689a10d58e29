package dev.imagepatch.layer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.Manifest;
import java.util.Map;

/**
 * Edits of an image's config and manifest that add or remove one top layer and change nothing
 * else: every other field, annotation and layer descriptor is written back as it was.
 */
public final class ImageSurgery {
  private ImageSurgery() {}

  /** A manifest and its config, edited together. */
  public record Image(Manifest manifest, ImageConfig config) {}

  /**
   * Appends a layer: its descriptor to the manifest, its diff_id and {@code history} to the
   * config, and {@code labels} to the config's {@code config.Labels}.
   */
  public static Image appendLayer(Image image, Descriptor layer, Digest diffId, ObjectNode history,
      Map<String, String> labels) throws InvalidDocumentException {
    ImageConfig config = image.config().withLayerAppended(diffId, history);
    if (!labels.isEmpty()) {
      config = config.edit(tree -> {
        JsonNode c = tree.get("config");
        ObjectNode container = c instanceof ObjectNode o ? o : tree.putObject("config");
        JsonNode l = container.get("Labels");
        ObjectNode labelNode = l instanceof ObjectNode o ? o : container.putObject("Labels");
        labels.forEach(labelNode::put);
      });
    }
    Manifest manifest = image.manifest().withLayerAppended(layer)
        .withConfig(image.manifest().config().withContent(config.digest(), config.size()));
    return new Image(manifest, config);
  }

  /**
   * Removes the top layer: its descriptor, its diff_id, and the last history entry that made a
   * layer (history entries marked {@code empty_layer} before it stay).
   */
  public static Image dropTopLayer(Image image) throws InvalidDocumentException {
    Manifest m = image.manifest();
    if (m.layers().isEmpty()) {
      throw new InvalidDocumentException("manifest " + m.digest() + " has no layer to remove");
    }
    ImageConfig config = image.config().edit(tree -> {
      JsonNode ids = tree.path("rootfs").path("diff_ids");
      if (ids instanceof ArrayNode a && !a.isEmpty()) {
        a.remove(a.size() - 1);
      }
      JsonNode history = tree.get("history");
      if (history instanceof ArrayNode h) {
        for (int i = h.size() - 1; i >= 0; i--) {
          if (!h.get(i).path("empty_layer").asBoolean(false)) {
            h.remove(i);
            break;
          }
        }
      }
    });
    Manifest manifest = m.edit(tree -> ((ArrayNode) tree.get("layers")).remove(m.layers().size() - 1))
        .withConfig(m.config().withContent(config.digest(), config.size()));
    return new Image(manifest, config);
  }
}
