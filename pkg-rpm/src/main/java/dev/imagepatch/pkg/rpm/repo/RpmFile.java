package dev.imagepatch.pkg.rpm.repo;

/**
 * A file a package lists in primary (the subset dnf needs for file dependencies: /etc, bin
 * directories, /usr/lib/sendmail) or in filelists (every file).
 *
 * @param type {@code file}, {@code dir} or {@code ghost}
 */
public record RpmFile(String path, String type) {
  public boolean isDirectory() {
    return type.equals("dir");
  }

  public boolean isGhost() {
    return type.equals("ghost");
  }
}
