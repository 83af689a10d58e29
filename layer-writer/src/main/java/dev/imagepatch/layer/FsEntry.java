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

  /** The normalized form of a tar entry name. */
  public static String normalize(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.startsWith("/")) {
      n = n.substring(1);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
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
