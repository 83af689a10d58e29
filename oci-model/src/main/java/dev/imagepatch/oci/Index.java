package dev.imagepatch.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.util.List;
import java.util.function.Consumer;

/** An image index (OCI) or manifest list (Docker): the manifests of several platforms or artifacts. */
public final class Index extends JsonDocument {
  private final List<Descriptor> manifests;

  Index(byte[] bytes, String mediaType, Digest digest, ObjectNode json, String source)
      throws InvalidDocumentException {
    super(bytes, mediaType, digest, json);
    if (!MediaTypes.isIndex(mediaType)) {
      throw new InvalidDocumentException(source + ": expected an index, found " + mediaType);
    }
    this.manifests = descriptors(json, "manifests", source);
  }

  /** Reads an index; see {@link JsonDocument#parseManifest} for the media type rules. */
  public static Index parse(byte[] bytes, String mediaType) throws InvalidDocumentException {
    JsonDocument doc = parseVerified(bytes, mediaType, Digest.sha256(bytes), "index");
    if (doc instanceof Index i) {
      return i;
    }
    throw new InvalidDocumentException("index: expected an index, found " + doc.mediaType());
  }

  /** The entries, in document order. */
  public List<Descriptor> manifests() {
    return manifests;
  }

  /** Applies {@code change} to a copy of the tree; see {@link Manifest#edit}. */
  public Index edit(Consumer<ObjectNode> change) throws InvalidDocumentException {
    ObjectNode copy = json.deepCopy();
    change.accept(copy);
    byte[] b = serializeIfChanged(json, copy);
    return b == null ? this : new Index(b, mediaType(), Digest.sha256(b), copy, "edited index");
  }

  /** The same index with its entries replaced, in the given order. */
  public Index withManifests(List<Descriptor> entries) throws InvalidDocumentException {
    return edit(tree -> {
      ArrayNode arr = tree.putArray("manifests");
      entries.forEach(d -> arr.add(d.toJson()));
    });
  }

  public Index withAnnotation(String key, String value) throws InvalidDocumentException {
    return edit(tree -> annotationsOf(tree).put(key, value));
  }

  /** A new index of {@code mediaType} with the given entries. */
  public static Index create(String mediaType, List<Descriptor> entries) throws InvalidDocumentException {
    ObjectNode tree = Json.MAPPER.createObjectNode();
    tree.put("schemaVersion", 2);
    tree.put("mediaType", mediaType);
    ArrayNode arr = tree.putArray("manifests");
    entries.forEach(d -> arr.add(d.toJson()));
    byte[] b = Json.write(tree);
    return new Index(b, mediaType, Digest.sha256(b), tree, "new index");
  }
}
