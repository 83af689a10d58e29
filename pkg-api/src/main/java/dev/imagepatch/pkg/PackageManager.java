package dev.imagepatch.pkg;

import dev.imagepatch.pkg.version.ApkVersion;
import dev.imagepatch.pkg.version.DebianVersion;
import dev.imagepatch.pkg.version.RpmVersion;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/** The package managers imagepatch patches with, each with its own version order. */
public enum PackageManager {
  /** dpkg/apt: Debian, Ubuntu, Google distroless. */
  DPKG("dpkg", DebianVersion::parse, (a, b) -> DebianVersion.parse(a).compareTo(DebianVersion.parse(b))),
  /** apk: Alpine, Wolfi, Chainguard. */
  APK("apk", ApkVersion::validate, (a, b) -> {
    ApkVersion.validate(a);
    ApkVersion.validate(b);
    return ApkVersion.compare(a, b, false);
  }),
  /** rpm: Red Hat and its rebuilds, Amazon, Mariner/Azure Linux, Photon, SUSE. */
  RPM("rpm", RpmVersion::parse, (a, b) -> RpmVersion.parse(a).compareTo(RpmVersion.parse(b)));

  private final String id;
  private final VersionOrder order;

  PackageManager(String id, Consumer<String> validate, BiFunction<String, String, Integer> compare) {
    this.id = id;
    this.order = new Order(this, validate, compare);
  }

  /** A short lowercase name: {@code dpkg}, {@code apk}, {@code rpm}. */
  public String id() {
    return id;
  }

  public VersionOrder versionOrder() {
    return order;
  }

  /** One order for the three managers; each comparison refuses an invalid version as its manager does. */
  private record Order(PackageManager packageManager, Consumer<String> check,
      BiFunction<String, String, Integer> comparison) implements VersionOrder {
    @Override
    public void validate(String version) {
      check.accept(version);
    }

    @Override
    public int compare(String a, String b) {
      return comparison.apply(a, b);
    }
  }
}
