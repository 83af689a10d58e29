package dev.imagepatch.oci.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.VerifyingInputStream;
import dev.imagepatch.oci.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI image layout directory: {@code oci-layout}, {@code index.json} and content-addressed
 * {@code blobs/<alg>/<hex>}. Tags are index.json entries annotated with
 * {@code org.opencontainers.image.ref.name}, as skopeo and umoci name them. Blobs are written to a
 * temporary file, verified, then moved into place, so a blob file is never partial or wrong.
 */
public final class OciLayout implements ImageSource, ImageTarget {
  public static final String REF_NAME = "org.opencontainers.image.ref.name";
  private static final String LAYOUT_FILE = "oci-layout";
  private static final byte[] LAYOUT_CONTENT =
      "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);

  private final Path root;

  private OciLayout(Path root) {
    this.root = root;
  }

  /** Opens an existing layout; a directory without {@code oci-layout} is rejected. */
  public static OciLayout open(Path dir) throws IOException {
    Path marker = dir.resolve(LAYOUT_FILE);
    if (!Files.isRegularFile(marker)) {
      throw new InvalidDocumentException(dir + " is not an OCI image layout (no " + LAYOUT_FILE + " file)");
    }
    JsonNode version = Json.readObject(readLimited(marker), marker.toString()).get("imageLayoutVersion");
    if (version == null || !version.asText().startsWith("1.")) {
      throw new InvalidDocumentException(marker + ": unsupported imageLayoutVersion " + version);
    }
    return new OciLayout(dir);
  }

  /** Opens the layout at {@code dir}, creating an empty one when the directory has none. */
  public static OciLayout openOrCreate(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(LAYOUT_FILE))) {
      return open(dir);
    }
    Files.createDirectories(dir.resolve("blobs"));
    writeAtomically(dir.resolve("index.json"), Index.create(MediaTypes.OCI_INDEX, List.of()).bytes());
    writeAtomically(dir.resolve(LAYOUT_FILE), LAYOUT_CONTENT);
    return new OciLayout(dir);
  }

  public Path root() {
    return root;
  }

  /** The layout's {@code index.json}. */
  public synchronized Index index() throws IOException {
    Path file = root.resolve("index.json");
    byte[] bytes;
    try {
      bytes = readLimited(file);
    } catch (NoSuchFileException e) {
      throw new InvalidDocumentException(root + " has no index.json");
    }
    JsonDocument doc = JsonDocument.parseManifest(bytes, MediaTypes.OCI_INDEX, null, file.toString());
    return (Index) doc;
  }

  /** A layout's own JSON file, refused past the manifest limit (4 MiB) before it is read whole. */
  private static byte[] readLimited(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return Json.readLimited(in, JsonDocument.MAX_MANIFEST_BYTES, file.toString());
    }
  }

  /**
   * The manifest a tag (ref.name), a digest, or, when {@code reference} is null or empty and the
   * layout holds exactly one entry, that entry names.
   */
  @Override
  public JsonDocument fetchManifest(String reference) throws IOException {
    Descriptor entry = resolve(reference);
    return readManifest(entry);
  }

  /** The index.json entry a reference names. */
  public Descriptor resolve(String reference) throws IOException {
    List<Descriptor> entries = index().manifests();
    if (reference == null || reference.isEmpty()) {
      if (entries.size() != 1) {
        throw new InvalidDocumentException(root + "/index.json has " + entries.size()
            + " entries; name one with oci:" + root + ":<tag>");
      }
      return entries.get(0);
    }
    if (Digest.isDigest(reference)) {
      Digest digest = Digest.parse(reference);
      for (Descriptor d : entries) {
        if (d.digest().equals(digest)) {
          return d;
        }
      }
      Path blob = blobPath(digest);
      if (!Files.isRegularFile(blob)) {
        throw new NoSuchFileException(blob.toString(), null, "no manifest " + digest + " in " + root);
      }
      byte[] bytes = readSmallBlob(blob, JsonDocument.MAX_MANIFEST_BYTES);
      return JsonDocument.parseManifest(bytes, null, digest, blob.toString()).descriptor();
    }
    for (Descriptor d : entries) {
      if (reference.equals(d.annotations().get(REF_NAME))) {
        return d;
      }
    }
    throw new NoSuchFileException(root.resolve("index.json").toString(), null,
        "no image tagged '" + reference + "' (no entry with " + REF_NAME + "=" + reference + ")");
  }

  private JsonDocument readManifest(Descriptor entry) throws IOException {
    Path blob = blobPath(entry.digest());
    byte[] bytes = readSmallBlob(blob, JsonDocument.MAX_MANIFEST_BYTES);
    return JsonDocument.parseManifest(bytes, entry.mediaType(), entry.digest(), blob.toString());
  }

  private static byte[] readSmallBlob(Path blob, long limit) throws IOException {
    try (InputStream in = Files.newInputStream(blob)) {
      return Json.readLimited(in, limit, blob.toString());
    }
  }

  @Override
  public InputStream openBlob(Descriptor descriptor) throws IOException {
    Path blob = blobPath(descriptor.digest());
    return new VerifyingInputStream(Files.newInputStream(blob), descriptor.digest(), descriptor.size(),
        "blob " + blob);
  }

  @Override
  public boolean hasBlob(Descriptor descriptor) throws IOException {
    Path blob = blobPath(descriptor.digest());
    return Files.isRegularFile(blob) && Files.size(blob) == descriptor.size();
  }

  @Override
  public BlobOutcome putBlob(Descriptor descriptor, BlobContent content) throws IOException {
    if (hasBlob(descriptor)) {
      return BlobOutcome.EXISTED;
    }
    try (InputStream in = content.open()) {
      writeBlob(descriptor, in);
    }
    return BlobOutcome.WRITTEN;
  }

  private void writeBlob(Descriptor descriptor, InputStream content) throws IOException {
    Path target = blobPath(descriptor.digest());
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), ".tmp-", "");
    try {
      try (OutputStream out = Files.newOutputStream(temp);
           InputStream in = new VerifyingInputStream(content, descriptor.digest(), descriptor.size(),
               "blob " + descriptor.digest() + " written to " + root)) {
        in.transferTo(out);
      }
      move(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Writes a manifest blob and, when {@code tag} is not null, points index.json's entry for that
   * tag at it (replacing an older entry of the same name, keeping every other entry).
   */
  @Override
  public synchronized void putManifest(JsonDocument document, String tag) throws IOException {
    if (!hasBlob(document.descriptor())) {
      writeBlob(document.descriptor(), document.openStream());
    }
    if (tag == null) {
      return;
    }
    Index index = index();
    Descriptor entry = document.descriptor().withAnnotation(REF_NAME, tag);
    if (document instanceof Manifest m && m.artifactType().isPresent()) {
      ObjectNode withType = entry.toJson();
      withType.put("artifactType", m.artifactType().get());
      entry = Descriptor.fromJson(withType, "new index.json entry");
    }
    List<Descriptor> entries = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      if (!tag.equals(d.annotations().get(REF_NAME))) {
        entries.add(d);
      }
    }
    entries.add(entry);
    Index updated = index.withManifests(entries);
    writeAtomically(root.resolve("index.json"), updated.bytes());
  }

  /** Where a blob lives; the digest's validated hex keeps the path inside the layout. */
  public Path blobPath(Digest digest) {
    return root.resolve("blobs").resolve(digest.algorithm().id()).resolve(digest.hex());
  }

  @Override
  public String describe() {
    return "oci:" + root;
  }

  @Override
  public void close() {
    // Every file is opened and closed per call.
  }

  private static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), ".tmp-", "");
    try {
      Files.write(temp, bytes);
      move(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
