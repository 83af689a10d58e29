package dev.imagepatch.patch;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import java.util.List;
import java.util.Optional;

/**
 * What a patch did: the packages changed, the vulnerabilities fixed, those still open and why,
 * and the patched image.
 *
 * @param source the digest of the image that was patched
 * @param patched the digest of the patched image (empty for a dry run or an image already up to date)
 * @param layer the new layer (empty when nothing changed)
 * @param layerEntries the paths of the new layer, for --dry-run
 * @param bytesRead layer bytes read from the source
 * @param bytesWritten blob bytes written to the target (layer and config; base layers that were
 *     mounted or already there are not counted)
 */
public record PatchResult(Digest source, Optional<Digest> patched, Optional<Descriptor> layer,
    List<PackageChange> changes, List<Fixed> fixed, List<StillVulnerable> stillVulnerable, List<NoFix> noFix,
    List<String> notes, List<String> layerEntries, long bytesRead, long bytesWritten) {

  /** One package upgraded or installed. */
  public record PackageChange(String name, String architecture, String from, String to, String reason) {}

  /** A vulnerability the patched image's own package database shows fixed. */
  public record Fixed(String vulnerability, String packageName, String version) {}

  /** A vulnerability still open after the patch, with the reason. */
  public record StillVulnerable(String vulnerability, String packageName, String installedVersion,
      String fixedVersion, String reason) {}

  /** Vulnerabilities no released version fixes yet. */
  public record NoFix(String packageName, String installedVersion, List<String> vulnerabilities) {}

  /** True when nothing had to change: every fixable vulnerability was already fixed. */
  public boolean upToDate() {
    return changes.isEmpty();
  }
}
