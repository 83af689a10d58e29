package dev.imagepatch.patch.image;

import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.pkg.VersionOrder;
import dev.imagepatch.report.UpdatePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every fixable vulnerability of the plan checked against a package database (the patched image's
 * own, read back from where it was written): fixed when the installed version reaches the fixed one.
 */
record Verifier(List<PatchResult.Fixed> fixed, List<PatchResult.StillVulnerable> stillVulnerable) {
  static Verifier check(UpdatePlan plan, List<Installed> installed, VersionOrder order) {
    List<PatchResult.Fixed> fixed = new ArrayList<>();
    List<PatchResult.StillVulnerable> open = new ArrayList<>();
    if (plan == null) {
      return new Verifier(fixed, open);
    }
    for (UpdatePlan.PackageUpdate u : plan.updates()) {
      Optional<String> v = installed.stream().filter(p -> p.name().equals(u.name())).map(Installed::version)
          .findFirst();
      String why = v.isEmpty() ? "the patched image's database does not list the package"
          : order.compare(v.get(), u.targetVersion()) < 0 ? "installed " + v.get() + " is below the fixed "
          + u.targetVersion() : null;
      for (String id : u.vulnerabilities()) {
        if (why == null) {
          fixed.add(new PatchResult.Fixed(id, u.name(), v.get()));
        } else {
          open.add(new PatchResult.StillVulnerable(id, u.name(), v.orElse(null), u.targetVersion(), why));
        }
      }
    }
    return new Verifier(fixed, open);
  }
}
