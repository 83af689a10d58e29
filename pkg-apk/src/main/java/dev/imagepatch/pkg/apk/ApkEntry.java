package dev.imagepatch.pkg.apk;

import java.util.Map;

/**
 * One entry of a package's data tar as apk reads it: a normalized relative path (no {@code ./},
 * no leading or trailing {@code /}), its metadata, and the SHA-1 apk recorded for it in the
 * {@code APK-TOOLS.checksum.SHA1} PAX record (hex; null when there is none, as for directories).
 */
public record ApkEntry(String path, Type type, int mode, long uid, long gid, long mtime, long size,
    String linkTarget, String sha1Hex, Map<String, String> paxHeaders) {
  /** What the entry is. */
  public enum Type { FILE, DIRECTORY, SYMLINK, HARDLINK, CHARACTER, BLOCK, FIFO }

  public ApkEntry {
    paxHeaders = Map.copyOf(paxHeaders);
  }
}
