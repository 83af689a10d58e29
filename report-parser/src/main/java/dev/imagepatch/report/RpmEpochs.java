package dev.imagepatch.report;

/**
 * How the scanners write an rpm's epoch, brought to the one meaning the plan uses: rpm's, where
 * {@code 1:1.2-3} has epoch 1 and a version without one has epoch 0 ({@code RpmVersion}).
 *
 * <p>Trivy already writes it that way: {@code InstalledVersion} and {@code FixedVersion} carry the
 * epoch when it is not 0 ({@code 1:1.1.1k-4.el8}) and Trivy compares them as rpm does. Grype (with
 * syft) writes the installed version with the epoch whenever the package header has one, and its
 * advisories' fixed versions with or without one ({@code 0:1.5.4-2.el7_9}, {@code 1.2.3-4.el8});
 * and it compares epochs only when both versions state one, because the advisories often leave
 * out an epoch that is not 0 ({@code grype/version/rpm_version.go}). A Grype finding is read as
 * Grype meant it: when one side states an epoch and the other does not, the fixed version takes
 * the installed version's epoch.
 */
final class RpmEpochs {
  private RpmEpochs() {}

  /** Whether an EVR states an epoch ({@code 1:...}, {@code 0:...}). */
  static boolean stated(String evr) {
    return evr != null && evr.indexOf(':') >= 0;
  }

  /** The epoch an EVR states, or null. */
  static String of(String evr) {
    return stated(evr) ? evr.substring(0, evr.indexOf(':')) : null;
  }

  /** The EVR without its epoch. */
  static String strip(String evr) {
    return stated(evr) ? evr.substring(evr.indexOf(':') + 1) : evr;
  }

  /**
   * The installed version with the epoch the package states elsewhere (Grype's
   * {@code metadata.epoch}, a purl's {@code epoch} qualifier) when the version string leaves it out;
   * an epoch of 0 needs no writing.
   */
  static String installed(String version, String epoch) {
    if (version == null || stated(version) || epoch == null || epoch.isBlank()
        || !epoch.chars().allMatch(Character::isDigit) || epoch.chars().allMatch(c -> c == '0')) {
      return version;
    }
    return epoch + ":" + version;
  }

  /** A Grype fixed version, compared as Grype compares it: epochs count only when both state one. */
  static String grypeFixed(String installed, String fixed) {
    if (installed == null || fixed == null || stated(installed) == stated(fixed)) {
      return fixed;
    }
    return stated(installed) ? of(installed) + ":" + fixed : strip(fixed);
  }
}
