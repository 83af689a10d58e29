package dev.imagepatch.pkg.rpm.repo;

import java.util.List;

/**
 * One {@code <package>} of a repository's primary metadata, reduced to what resolution and
 * download need (no summary, description or changelog).
 *
 * @param epoch "0" when the metadata writes none
 * @param checksum the package file's checksum; its hex is the pkgid filelists and other refer to
 * @param location the {@code location href}, relative to the repository's base URL (or {@code locationBase})
 * @param locationBase the {@code location xml:base}; null when absent
 * @param packageSize size of the .rpm file; -1 when absent
 * @param installedSize sum of its files' sizes; -1 when absent
 * @param archiveSize size of its cpio payload; -1 when absent
 * @param fileTime mtime of the .rpm when the repository was made; -1 when absent
 * @param buildTime the BUILDTIME tag; -1 when absent
 * @param sourceRpm e.g. {@code bash-5.1.8-9.el9.src.rpm}; null for source packages
 * @param headerStart offset of the header in the .rpm; -1 when absent
 * @param headerEnd offset of the payload; -1 when absent
 * @param files the files primary lists (a subset; filelists has all)
 */
public record RpmRecord(String name, String arch, String epoch, String version, String release, Checksum checksum,
    String location, String locationBase, long packageSize, long installedSize, long archiveSize, long fileTime,
    long buildTime, String sourceRpm, long headerStart, long headerEnd, List<RpmDependency> provides,
    List<RpmDependency> requires, List<RpmDependency> conflicts, List<RpmDependency> obsoletes,
    List<RpmDependency> recommends, List<RpmDependency> suggests, List<RpmDependency> supplements,
    List<RpmDependency> enhances, List<RpmFile> files) {

  /** The package id: the checksum's hex. */
  public String pkgid() {
    return checksum.hex();
  }

  /** {@code name-version-release.arch}, as rpm -q prints it. */
  public String nvra() {
    return name + "-" + version + "-" + release + "." + arch;
  }

  /** {@code name-epoch:version-release.arch}, as modules.yaml lists artifacts (epoch always written). */
  public String nevra() {
    return name + "-" + epoch + ":" + version + "-" + release + "." + arch;
  }

  /** Whether it is a source package. */
  public boolean isSource() {
    return arch.equals("src") || arch.equals("nosrc");
  }
}
