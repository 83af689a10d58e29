package dev.imagepatch.patch;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.pkg.PackageManager;
import java.util.List;
import java.util.Optional;

/**
 * What a patch did: the packages changed, the vulnerabilities fixed, those still open and why,
 * and the patched image. For an index, {@link #platforms} holds one result per patched platform
 * and {@link #passedThrough} says which entries were left as they were, and why.
 *
 * @param source the digest of the image that was patched
 * @param manifest the descriptor of the patched image's manifest or index (empty for a dry run or an
 *     image already up to date)
 * @param layer the new layer (empty when nothing changed)
 * @param notes decisions worth telling (a conffile kept, byte-code refreshed, ...)
 * @param notRun the maintainer scripts and triggers whose effects were not reproduced
 * @param layerEntries the paths of the new layer, for --dry-run
 * @param bytesRead layer bytes read from the source
 * @param bytesWritten blob bytes written to the target (layer and config; base layers that were
 *     mounted or already there are not counted)
 * @param platform the platform of a child of an index, else empty
 * @param packageManager the package family that patched the image (empty for an index)
 */
public record PatchResult(Digest source, Optional<Descriptor> manifest, Optional<Descriptor> layer,
    List<PackageChange> changes, List<Fixed> fixed, List<StillVulnerable> stillVulnerable, List<NoFix> noFix,
    List<String> notes, List<ScriptNotRun> notRun, List<String> layerEntries, long bytesRead, long bytesWritten,
    Optional<String> platform, List<PatchResult> platforms, List<String> passedThrough,
    Optional<PackageManager> packageManager) {

  /** A single-image result. */
  public PatchResult(Digest source, Optional<Descriptor> manifest, Optional<Descriptor> layer, List<PackageChange> changes,
      List<Fixed> fixed, List<StillVulnerable> stillVulnerable, List<NoFix> noFix, List<String> notes,
      List<ScriptNotRun> notRun, List<String> layerEntries, long bytesRead, long bytesWritten) {
    this(source, manifest, layer, changes, fixed, stillVulnerable, noFix, notes, notRun, layerEntries, bytesRead,
        bytesWritten, Optional.empty(), List.of(), List.of(), Optional.empty());
  }

  /** One package upgraded or installed. */
  public record PackageChange(String name, String architecture, String from, String to, String reason) {}

  /** A vulnerability the patched image's own package database shows fixed. */
  public record Fixed(String vulnerability, String packageName, String version) {}

  /** A vulnerability still open after the patch, with the reason. */
  public record StillVulnerable(String vulnerability, String packageName, String installedVersion,
      String fixedVersion, String reason) {}

  /** Vulnerabilities no released version fixes yet. */
  public record NoFix(String packageName, String installedVersion, List<String> vulnerabilities) {}

  /** The digest of the patched image, when one was pushed. */
  public Optional<Digest> patched() {
    return manifest.map(Descriptor::digest);
  }

  /**
   * The maintainer scripts and triggers the package manager would have run whose effects were not
   * reproduced, of this image and of every platform.
   */
  public List<ScriptNotRun> scriptsNotRun() {
    List<ScriptNotRun> out = new java.util.ArrayList<>(notRun);
    platforms.forEach(p -> out.addAll(p.scriptsNotRun()));
    return out;
  }

  /** True when nothing had to change: every fixable vulnerability was already fixed. */
  public boolean upToDate() {
    return changes.isEmpty() && platforms.stream().allMatch(PatchResult::upToDate);
  }

  /** The same result as a child of an index, for {@code platform}. */
  public PatchResult forPlatform(String platform) {
    return new PatchResult(source, manifest, layer, changes, fixed, stillVulnerable, noFix, notes, notRun, layerEntries,
        bytesRead, bytesWritten, Optional.of(platform), platforms, passedThrough, packageManager);
  }

  /** The same result, patched by {@code manager}'s family. */
  public PatchResult patchedWith(PackageManager manager) {
    return new PatchResult(source, manifest, layer, changes, fixed, stillVulnerable, noFix, notes, notRun, layerEntries,
        bytesRead, bytesWritten, platform, platforms, passedThrough, Optional.of(manager));
  }
}
