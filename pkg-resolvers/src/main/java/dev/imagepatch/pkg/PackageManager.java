package dev.imagepatch.pkg;

import dev.imagepatch.pkg.apk.ApkVersion;
import dev.imagepatch.pkg.deb.DebianVersion;
import dev.imagepatch.pkg.rpm.RpmVersion;

/** The package managers imagepatch patches with, each with its own version order. */
public enum PackageManager {
  /** dpkg/apt: Debian, Ubuntu, Google distroless. */
  DPKG("dpkg", DebianVersion.ORDER),
  /** apk: Alpine, Wolfi, Chainguard. */
  APK("apk", ApkVersion.ORDER),
  /** rpm: Red Hat and its rebuilds, Amazon, Mariner/Azure Linux, Photon, SUSE. */
  RPM("rpm", RpmVersion.ORDER);

  private final String id;
  private final VersionOrder order;

  PackageManager(String id, VersionOrder order) {
    this.id = id;
    this.order = order;
  }

  /** A short lowercase name: {@code dpkg}, {@code apk}, {@code rpm}. */
  public String id() {
    return id;
  }

  public VersionOrder versionOrder() {
    return order;
  }
}
