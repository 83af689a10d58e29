package dev.imagepatch.patch.rpm;

import dev.imagepatch.pkg.rpm.repo.RpmRecord;

/**
 * One package the transaction changes, in the order rpm would: an upgrade ({@code from} and
 * {@code to}), a new dependency ({@code from} null) or a package an upgrade obsoletes ({@code to}
 * null). {@code reason}: requested, dependency, obsoleted, multilib.
 */
record RpmChange(String name, String arch, InstalledRpm from, RpmRecord to, OpenRepository repository,
    String reason) {

  boolean isRemoval() {
    return to == null;
  }

  /** The new version's {@code [epoch:]version-release}, epoch shown when above 0. */
  String toEvr() {
    return to == null ? null : evr(to);
  }

  static String evr(RpmRecord r) {
    return (r.epoch() != null && !r.epoch().equals("0") ? r.epoch() + ":" : "") + r.version() + "-" + r.release();
  }
}
