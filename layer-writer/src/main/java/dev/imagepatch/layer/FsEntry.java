package dev.imagepatch.layer;

/**
 * One entry of a filesystem as layers describe it. Paths are relative, without a leading "/" or
 * "./" and without a trailing "/" ({@code usr/bin/openssl}); the root itself is "".
 *
 * @param linkTarget the target of a symlink or hard link, else null
 */
public record FsEntry(String path, Type type, int mode, long uid, long gid, long size, String linkTarget,
    long mtimeSeconds) {

  /** The kinds of entry a layer carries. */
  public enum Type { DIRECTORY, FILE, SYMLINK, HARDLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO }

  public boolean isDirectory() {
    return type == Type.DIRECTORY;
  }

  /** The normalized form of a tar entry name (see {@link SafePath#normalize}). */
  public static String normalize(String name) {
    return SafePath.normalize(name);
  }

  /** The parent of a normalized path ("" for top-level entries, null for the root). */
  public static String parent(String path) {
    if (path.isEmpty()) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }
}
