package dev.imagepatch.report;

import dev.imagepatch.pkg.PackageManager;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The operating systems scanners name (every family Trivy emits), each with the package manager
 * that patches it, or none for the few images no package manager maintains (Bottlerocket, CoreOS,
 * ActiveState, CleanStart). Names are Trivy's ({@code Metadata.OS.Family}); Trivy's older
 * spellings, Grype's ({@code distro.name}: {@code redhat}, {@code rockylinux}, {@code almalinux},
 * {@code amazonlinux}, {@code oraclelinux}, {@code mariner}, ...) and the os-release IDs Grype
 * falls back to ({@code rhel}, {@code amzn}, {@code ol}, ...) are accepted as aliases.
 */
public enum OsFamily {
  DEBIAN(PackageManager.DPKG, "debian", "debian gnu/linux"),
  ECHO(PackageManager.DPKG, "echo"),
  UBUNTU(PackageManager.DPKG, "ubuntu"),
  ALPINE(PackageManager.APK, "alpine"),
  WOLFI(PackageManager.APK, "wolfi"),
  CHAINGUARD(PackageManager.APK, "chainguard"),
  MINIMOS(PackageManager.APK, "minimos"),
  REDHAT(PackageManager.RPM, "redhat", "rhel"),
  CENTOS(PackageManager.RPM, "centos"),
  CENTOS_STREAM(PackageManager.RPM, "centos-stream"),
  ROCKY(PackageManager.RPM, "rocky", "rockylinux"),
  ALMA(PackageManager.RPM, "alma", "almalinux"),
  ORACLE(PackageManager.RPM, "oracle", "ol", "oraclelinux"),
  AMAZON(PackageManager.RPM, "amazon", "amazon linux", "amazonlinux", "amzn"),
  FEDORA(PackageManager.RPM, "fedora"),
  CBL_MARINER(PackageManager.RPM, "cbl-mariner", "mariner"),
  AZURELINUX(PackageManager.RPM, "azurelinux"),
  PHOTON(PackageManager.RPM, "photon"),
  SLES(PackageManager.RPM, "sles", "suse linux enterprise server"),
  SLE_MICRO(PackageManager.RPM, "slem", "suse linux enterprise micro", "sle-micro"),
  OPENSUSE(PackageManager.RPM, "opensuse"),
  OPENSUSE_LEAP(PackageManager.RPM, "opensuse-leap", "opensuse.leap", "opensuseleap"),
  OPENSUSE_TUMBLEWEED(PackageManager.RPM, "opensuse-tumbleweed", "opensuse.tumbleweed"),
  BOTTLEROCKET(null, "bottlerocket"),
  COREOS(null, "coreos"),
  ACTIVESTATE(null, "activestate"),
  CLEANSTART(null, "cleanstart");

  private final PackageManager packageManager;
  private final List<String> names;

  OsFamily(PackageManager packageManager, String... names) {
    this.packageManager = packageManager;
    this.names = List.of(names);
  }

  /** The package manager that patches this OS; empty for images no package manager maintains. */
  public Optional<PackageManager> packageManager() {
    return Optional.ofNullable(packageManager);
  }

  /** Trivy's name for the family, e.g. {@code cbl-mariner}. */
  public String id() {
    return names.get(0);
  }

  /** The family a scanner's name stands for, case-insensitively. */
  public static Optional<OsFamily> fromName(String name) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(f -> f.names.contains(n)).findFirst();
  }

  /** Every name accepted, for error messages. */
  public static String knownNames() {
    return String.join(", ", Arrays.stream(values()).map(OsFamily::id).toList());
  }
}
