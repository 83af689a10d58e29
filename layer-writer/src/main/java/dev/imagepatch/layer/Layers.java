package dev.imagepatch.layer;

import com.github.luben.zstd.ZstdInputStream;
import dev.imagepatch.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/** What reading and writing layers share: decompression by media type, tar entry kinds. */
public final class Layers {
  private Layers() {}

  /**
   * The uncompressed tar stream of a layer blob of {@code mediaType}. When it ends, the blob is read
   * to its own end: a decompressor stops at its end marker, and a verifying blob stream checks its
   * digest and size only at its end, so without this a layer's bytes would be used unverified.
   */
  public static InputStream uncompressed(InputStream blob, String mediaType) throws IOException {
    MediaTypes.Compression c = MediaTypes.layerCompression(mediaType)
        .orElseThrow(() -> new IOException("not a layer media type: " + mediaType));
    InputStream raw = new BufferedInputStream(blob, 1 << 16);
    InputStream tar = switch (c) {
      case GZIP -> new GZIPInputStream(raw, 1 << 16);
      case ZSTD -> new ZstdInputStream(raw);
      case NONE -> raw;
    };
    return new FilterInputStream(tar) {
      @Override
      public int read() throws IOException {
        return drainAtEnd(super.read());
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return drainAtEnd(super.read(b, off, len));
      }

      private int drainAtEnd(int n) throws IOException {
        if (n < 0) {
          raw.transferTo(OutputStream.nullOutputStream());
        }
        return n;
      }
    };
  }

  static FsEntry.Type type(TarArchiveEntry e) {
    if (e.isDirectory()) {
      return FsEntry.Type.DIRECTORY;
    }
    if (e.isSymbolicLink()) {
      return FsEntry.Type.SYMLINK;
    }
    if (e.isLink()) {
      return FsEntry.Type.HARDLINK;
    }
    if (e.isCharacterDevice()) {
      return FsEntry.Type.CHAR_DEVICE;
    }
    if (e.isBlockDevice()) {
      return FsEntry.Type.BLOCK_DEVICE;
    }
    if (e.isFIFO()) {
      return FsEntry.Type.FIFO;
    }
    return FsEntry.Type.FILE;
  }

  static FsEntry entry(TarArchiveEntry e, String path) {
    FsEntry.Type type = type(e);
    String link = type == FsEntry.Type.SYMLINK || type == FsEntry.Type.HARDLINK
        ? (type == FsEntry.Type.HARDLINK ? FsEntry.normalize(e.getLinkName()) : e.getLinkName()) : null;
    return new FsEntry(path, type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
        type == FsEntry.Type.FILE ? e.getSize() : 0, link, e.getModTime().getTime() / 1000);
  }
}
