package dev.imagepatch.layer;

import com.github.luben.zstd.ZstdOutputStream;
import dev.imagepatch.oci.Digest;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Collects the entries of one layer and writes them as a deterministic tar: sorted by path (so
 * parents come before children), numeric owners only, modification times clamped to a source
 * epoch, PAX headers for long names and large numbers, whiteouts as {@code .wh.NAME} files. The
 * blob is written as a stream while its digest and its diff_id are computed in the same pass.
 */
public final class LayerBuilder {

  /** Opens the content of a file entry, when the layer is written. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  /** The layer compressions. */
  public enum Compression { GZIP, ZSTD, NONE }

  /** What was written: the blob's digest and size, and the digest of the uncompressed tar. */
  public record Written(Digest digest, long size, Digest diffId, int entries) {}

  private record Item(FsEntry meta, Content content) {}

  private final Map<String, Item> items = new TreeMap<>();

  public LayerBuilder directory(String path, int mode, long uid, long gid, long mtime) {
    return put(new FsEntry(FsEntry.normalize(path), FsEntry.Type.DIRECTORY, mode, uid, gid, 0, null, mtime), null);
  }

  public LayerBuilder file(String path, int mode, long uid, long gid, long mtime, long size, Content content) {
    return put(new FsEntry(FsEntry.normalize(path), FsEntry.Type.FILE, mode, uid, gid, size, null, mtime), content);
  }

  public LayerBuilder symlink(String path, String target, long uid, long gid, long mtime) {
    return put(new FsEntry(FsEntry.normalize(path), FsEntry.Type.SYMLINK, 0777, uid, gid, 0, target, mtime), null);
  }

  /** A hard link to {@code target}, which must be a file of this layer. */
  public LayerBuilder hardlink(String path, String target, int mode, long uid, long gid, long mtime) {
    return put(new FsEntry(FsEntry.normalize(path), FsEntry.Type.HARDLINK, mode, uid, gid, 0,
        FsEntry.normalize(target), mtime), null);
  }

  /** Hides {@code path} (and what is under it) of the lower layers. */
  public LayerBuilder whiteout(String path) {
    String p = FsEntry.normalize(path);
    String parent = FsEntry.parent(p);
    String name = p.substring(p.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..") || SafePath.problem(p).isPresent()) {
      // A whiteout of ".." would hide a parent directory: refused whoever asked for it.
      throw new IllegalArgumentException("layer whiteout of " + SafePath.printable(path) + ": not a path in the root");
    }
    String wh = (parent == null || parent.isEmpty() ? "" : parent + "/") + ".wh." + name;
    return put(new FsEntry(wh, FsEntry.Type.FILE, 0644, 0, 0, 0, null, 0), InputStream::nullInputStream);
  }

  /** Every entry so far, by path. */
  public Map<String, FsEntry> entries() {
    Map<String, FsEntry> out = new TreeMap<>();
    items.forEach((k, v) -> out.put(k, v.meta));
    return out;
  }

  public boolean contains(String path) {
    return items.containsKey(FsEntry.normalize(path));
  }

  private LayerBuilder put(FsEntry meta, Content content) {
    if (meta.path().isEmpty()) {
      throw new IllegalArgumentException("the root cannot be an entry");
    }
    // The last line of defence, whatever the caller checked: no entry leaves the root.
    refuseUnsafe("entry", meta.path());
    if (meta.type() == FsEntry.Type.HARDLINK) {
      refuseUnsafe("hard-link target of " + meta.path(), meta.linkTarget());
      if (meta.linkTarget().isEmpty()) {
        throw new IllegalArgumentException("hard link " + meta.path() + " to the root");
      }
    }
    items.put(meta.path(), new Item(meta, content));
    return this;
  }

  private static void refuseUnsafe(String what, String path) {
    SafePath.problem(path).ifPresent(problem -> {
      throw new IllegalArgumentException("layer " + what + " " + SafePath.printable(path) + ": " + problem);
    });
  }

  /**
   * The symlink of this layer that {@code path} would be written through when the layer is unpacked
   * (one of its parents), if any.
   */
  public java.util.Optional<String> symlinkAbove(String path) {
    for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
      Item parent = items.get(path.substring(0, i));
      if (parent != null && parent.meta.type() == FsEntry.Type.SYMLINK) {
        return java.util.Optional.of(parent.meta.path());
      }
    }
    return java.util.Optional.empty();
  }

  /** Whether the layer has entries under a normalized path (not counting the path itself). */
  public boolean hasEntriesUnder(String path) {
    return !((TreeMap<String, Item>) items).subMap(path + "/", path + "0").isEmpty();
  }

  /** The entry at a normalized path, if the layer has one. */
  public java.util.Optional<FsEntry> entry(String path) {
    Item item = items.get(path);
    return item == null ? java.util.Optional.empty() : java.util.Optional.of(item.meta);
  }

  /** Writes the layer to {@code out}; every modification time later than {@code epochSeconds} becomes it. */
  public Written write(Path out, Compression compression, long epochSeconds) throws IOException {
    MessageDigest blobSha = Digest.Algorithm.SHA256.newMessageDigest();
    MessageDigest tarSha = Digest.Algorithm.SHA256.newMessageDigest();
    Hashing blob;
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
      blob = new Hashing(file, blobSha);
      OutputStream compressed = switch (compression) {
        case GZIP -> new GZIPOutputStream(blob, 1 << 16);
        case ZSTD -> new ZstdOutputStream(blob);
        case NONE -> new NonClosing(blob);
      };
      Hashing tarBytes = new Hashing(compressed, tarSha);
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        for (Item item : items.values()) {
          java.util.Optional<String> link = symlinkAbove(item.meta.path());
          if (link.isPresent()) {
            throw new IOException("layer entry " + SafePath.printable(item.meta.path()) + " is under " + link.get()
                + ", a symlink of the same layer: unpacked, it would be written through that symlink");
          }
          writeEntry(tar, item, epochSeconds);
        }
        tar.finish();
      }
    }
    return new Written(Digest.of(Digest.Algorithm.SHA256, blobSha.digest()), blob.count,
        Digest.of(Digest.Algorithm.SHA256, tarSha.digest()), items.size());
  }

  private static void writeEntry(TarArchiveOutputStream tar, Item item, long epoch) throws IOException {
    FsEntry m = item.meta;
    TarArchiveEntry e;
    switch (m.type()) {
      case DIRECTORY -> e = new TarArchiveEntry(m.path() + "/", TarConstants.LF_DIR);
      case SYMLINK -> {
        e = new TarArchiveEntry(m.path(), TarConstants.LF_SYMLINK);
        e.setLinkName(m.linkTarget());
      }
      case HARDLINK -> {
        e = new TarArchiveEntry(m.path(), TarConstants.LF_LINK);
        e.setLinkName(m.linkTarget());
      }
      case FILE -> {
        e = new TarArchiveEntry(m.path(), TarConstants.LF_NORMAL);
        e.setSize(m.size());
      }
      default -> throw new IOException(m.path() + ": " + m.type() + " entries are not written by imagepatch");
    }
    int typeBits = switch (m.type()) {
      case DIRECTORY -> 0040000;
      case SYMLINK -> 0120000;
      default -> 0100000;
    };
    e.setMode(typeBits | (m.mode() & 07777));
    e.setUserId(m.uid());
    e.setGroupId(m.gid());
    e.setUserName("");
    e.setGroupName("");
    e.setModTime(Math.min(m.mtimeSeconds(), epoch) * 1000L);
    tar.putArchiveEntry(e);
    if (m.type() == FsEntry.Type.FILE && m.size() > 0) {
      long copied;
      try (InputStream in = item.content.open()) {
        copied = in.transferTo(tar);
      }
      if (copied != m.size()) {
        throw new IOException(m.path() + ": expected " + m.size() + " bytes of content, got " + copied);
      }
    }
    tar.closeArchiveEntry();
  }

  /** Hashes and counts what passes through. */
  private static final class Hashing extends FilterOutputStream {
    private final MessageDigest md;
    long count;

    Hashing(OutputStream out, MessageDigest md) {
      super(out);
      this.md = md;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      md.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      md.update(b, off, len);
      count += len;
    }
  }

  /** Lets the tar close its stream without closing the file under it (no compression). */
  private static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
