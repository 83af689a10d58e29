package dev.imagepatch.oci.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.VerifyingInputStream;
import dev.imagepatch.oci.internal.Json;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * A {@code docker save} (or {@code skopeo copy ... docker-archive:}) tar read in place: its
 * {@code manifest.json} names each image's config and layer files. The image is presented as an
 * OCI manifest over those files, with digests computed by streaming each file once; nothing is
 * unpacked. Read-only. Blob streams may be read from several threads at once.
 */
public final class DockerArchive implements ImageSource {
  private final Path file;
  private final Map<String, TarArchiveEntry> entries = new HashMap<>();
  private final ArrayNode images;
  private final Map<Digest, TarArchiveEntry> blobs = new HashMap<>();
  private final Map<Digest, Manifest> manifests = new HashMap<>();

  private DockerArchive(Path file, List<TarArchiveEntry> listing) throws IOException {
    this.file = file;
    for (TarArchiveEntry e : listing) {
      entries.put(clean(e.getName()), e);
    }
    if (!entries.containsKey("manifest.json")) {
      throw new InvalidDocumentException(file + " holds no manifest.json: not an archive written by docker save");
    }
    JsonNode manifest;
    try {
      manifest = Json.MAPPER.readTree(readSmall("manifest.json", 16 << 20));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidDocumentException(file + ":manifest.json: invalid JSON: " + e.getOriginalMessage(), e);
    } catch (NumberFormatException e) { // a decimal too large to hold exactly, as in Json.readObject
      throw new InvalidDocumentException(file + ":manifest.json: invalid JSON: " + e.getMessage(), e);
    }
    if (!(manifest instanceof ArrayNode list) || list.isEmpty()) {
      throw new InvalidDocumentException(file + ": manifest.json is not a non-empty array");
    }
    this.images = list;
  }

  /** Opens a tar written by {@code docker save}. */
  public static DockerArchive open(Path file) throws IOException {
    // Only the headers are read through TarFile; contents are read by offset (see open(entry)).
    List<TarArchiveEntry> listing;
    try (TarFile tar = new TarFile(file)) {
      listing = tar.getEntries();
    } catch (IOException e) {
      throw new InvalidDocumentException(file + " is not a readable tar: " + e.getMessage(), e);
    }
    return new DockerArchive(file, listing);
  }

  /**
   * The image a reference names: a RepoTag such as {@code app:1.0}, {@code @N} for the Nth image
   * (from 0), a manifest digest already returned, or null/empty for the only image.
   */
  @Override
  public synchronized JsonDocument fetchManifest(String reference) throws IOException {
    if (reference != null && Digest.isDigest(reference)) {
      Manifest m = manifests.get(Digest.parse(reference));
      if (m == null) {
        throw new NoSuchFileException(file.toString(), null, "no manifest " + reference + " read from it yet");
      }
      return m;
    }
    ObjectNode image = select(reference);
    String configPath = clean(image.path("Config").asText(""));
    if (configPath.isEmpty()) {
      throw new InvalidDocumentException(file + ": manifest.json entry has no Config");
    }
    byte[] configBytes = readSmall(configPath, ImageConfig.MAX_CONFIG_BYTES);
    ImageConfig config = ImageConfig.parse(configBytes, MediaTypes.OCI_CONFIG, null, file + ":" + configPath);
    blobs.put(config.digest(), entry(configPath));
    List<Descriptor> layers = new ArrayList<>();
    for (JsonNode layer : image.path("Layers")) {
      String path = clean(layer.asText());
      TarArchiveEntry entry = entry(path);
      Descriptor d = describeLayer(entry);
      blobs.put(d.digest(), entry);
      layers.add(d);
    }
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST,
        Descriptor.of(MediaTypes.OCI_CONFIG, config.digest(), configBytes.length), layers);
    manifests.put(m.digest(), m);
    return m;
  }

  private ObjectNode select(String reference) throws InvalidDocumentException {
    if (reference == null || reference.isEmpty()) {
      if (images.size() != 1) {
        throw new InvalidDocumentException(file + " holds " + images.size()
            + " images; name one with docker-archive:" + file + ":<repo:tag> or :@<n>");
      }
      return (ObjectNode) images.get(0);
    }
    if (reference.startsWith("@")) {
      int n;
      try {
        n = Integer.parseInt(reference.substring(1));
      } catch (NumberFormatException e) {
        throw new InvalidDocumentException("bad image number '" + reference + "' for " + file);
      }
      if (n < 0 || n >= images.size()) {
        throw new InvalidDocumentException(file + " has no image @" + n + " (it holds " + images.size() + ")");
      }
      return (ObjectNode) images.get(n);
    }
    for (JsonNode image : images) {
      for (JsonNode tag : image.path("RepoTags")) {
        String t = tag.asText();
        if (t.equals(reference) || t.equals("docker.io/" + reference) || t.equals("docker.io/library/" + reference)) {
          return (ObjectNode) image;
        }
      }
    }
    throw new InvalidDocumentException(file + " has no image tagged '" + reference + "'");
  }

  /** One streaming pass over a layer file: its digest, size and compression. */
  private Descriptor describeLayer(TarArchiveEntry entry) throws IOException {
    MessageDigest sha = Digest.Algorithm.SHA256.newMessageDigest();
    byte[] head = new byte[4];
    int headLength;
    try (InputStream in = new BufferedInputStream(open(entry))) {
      in.mark(4);
      headLength = in.readNBytes(head, 0, 4);
      in.reset();
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        sha.update(buf, 0, n);
      }
    }
    String type;
    if (headLength >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      type = MediaTypes.OCI_LAYER_TAR_GZIP;
    } else if (headLength == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      type = MediaTypes.OCI_LAYER_TAR_ZSTD;
    } else {
      type = MediaTypes.OCI_LAYER_TAR;
    }
    return Descriptor.of(type, Digest.of(Digest.Algorithm.SHA256, sha.digest()), entry.getSize());
  }

  @Override
  public synchronized InputStream openBlob(Descriptor descriptor) throws IOException {
    TarArchiveEntry entry = blobs.get(descriptor.digest());
    if (entry == null) {
      throw new NoSuchFileException(file.toString(), null, "no blob " + descriptor.digest());
    }
    return new VerifyingInputStream(open(entry), descriptor.digest(), descriptor.size(),
        "blob " + descriptor.digest() + " in " + file);
  }

  private TarArchiveEntry entry(String path) throws InvalidDocumentException {
    TarArchiveEntry e = entries.get(path);
    if (e == null || !e.isFile()) {
      throw new InvalidDocumentException(file + ": manifest.json names " + path + ", which the tar does not hold");
    }
    if (e.isSparse()) {
      throw new InvalidDocumentException(file + ": " + path + " is stored as a sparse tar entry, which docker save"
          + " never writes; repack the archive without --sparse");
    }
    return e;
  }

  /**
   * The stored bytes of one entry, read through a channel of the stream's own. TarFile's streams
   * share one channel and set its position before each read, so two of them read by two threads
   * (the copier pulls layers in parallel) could read each other's bytes.
   */
  private InputStream open(TarArchiveEntry entry) throws IOException {
    return new EntryStream(FileChannel.open(file, StandardOpenOption.READ), entry.getDataOffset(),
        entry.getSize(), file + ":" + entry.getName());
  }

  private static final class EntryStream extends InputStream {
    private final FileChannel channel;
    private final long end;
    private final String name;
    private long position;

    EntryStream(FileChannel channel, long offset, long size, String name) {
      this.channel = channel;
      this.position = offset;
      this.end = offset + size;
      this.name = name;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= end) {
        return -1;
      }
      int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
      if (n < 0) {
        throw new EOFException(name + ": the archive ends " + (end - position) + " bytes before the entry does");
      }
      position += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private byte[] readSmall(String path, long limit) throws IOException {
    try (InputStream in = open(entry(path))) {
      return Json.readLimited(in, limit, file + ":" + path);
    }
  }

  private static String clean(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n;
  }

  @Override
  public String describe() {
    return "docker-archive:" + file;
  }

  /** Nothing to release: every blob stream holds, and closes, its own channel. */
  @Override
  public void close() {}
}
