package dev.imagepatch.pkg.apk;

/**
 * One file of an installed package as {@code lib/apk/db/installed} records it: {@code R:} under
 * the preceding {@code F:} (the path is {@code dir/name}, or {@code name} under the root), owner and
 * mode from {@code a:} (0:0:644 when there is none), and the {@code Z:} checksum ({@code Q1...}, the
 * SHA-1 of the content, of the link target for a symlink; null when there is none).
 */
public record FileRecord(String path, long uid, long gid, int mode, String checksum) {}
