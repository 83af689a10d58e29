package dev.imagepatch.patch.rpm;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.ContainerManifest;

/**
 * A package installed in the image: from its database (header number and installed header), or,
 * in a distroless Azure Linux image without one, from its container manifest line (no header).
 *
 * @param epoch null when the package has none
 */
record InstalledRpm(long hnum, Header header, String name, String epoch, String version, String release,
    String arch) {

  static InstalledRpm of(long hnum, Header h) {
    String epoch = h.has(Tags.EPOCH) ? Long.toString(h.number(Tags.EPOCH).getAsLong()) : null;
    return new InstalledRpm(hnum, h, h.string(Tags.NAME).orElse(""), epoch, h.string(Tags.VERSION).orElse(""),
        h.string(Tags.RELEASE).orElse(""), h.string(Tags.ARCH).orElse("noarch"));
  }

  static InstalledRpm of(ContainerManifest.Line l) {
    return new InstalledRpm(-1, null, l.name(), l.epoch().map(String::valueOf).orElse(null), l.version(),
        l.release(), l.arch());
  }

  /** {@code [epoch:]version-release}, the epoch shown when above 0, as reports and rpm's %{EVR} write it. */
  String evr() {
    return (epoch != null && !epoch.equals("0") ? epoch + ":" : "") + version + "-" + release;
  }

  String nevra() {
    return name + "-" + evr() + "." + arch;
  }

  boolean isPubkey() {
    return name.equals("gpg-pubkey");
  }
}
