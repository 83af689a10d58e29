package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.effects.CaTrustExtract;
import dev.imagepatch.patch.effects.LdConfig;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The rpm family: RHEL/UBI, CentOS Stream, Rocky, Alma, Oracle, Fedora, Amazon Linux and Azure
 * Linux / CBL-Mariner images, distroless ones included (no dnf or rpm binary is needed, none is
 * run). Recognizes an image by its rpm database (SQLite, Berkeley DB) or its Azure Linux
 * container manifests, reads its dnf repositories and keys, resolves as {@code dnf upgrade
 * <names>} would, and writes packages and database as rpm leaves them (see {@link RpmSession}).
 * SUSE images (NDB databases) are recognized and refused: NDB writing is not proven.
 */
public final class RpmBackend implements PackageBackend {
  static final Set<String> OS_IDS = Set.of("rhel", "centos", "rocky", "almalinux", "fedora", "amzn", "azurelinux",
      "mariner", "ol", "circle", "eurolinux", "navylinux");
  static final Set<String> SUSE_IDS = Set.of("sles", "sled", "sle-micro", "sl-micro", "opensuse", "opensuse-leap",
      "opensuse-tumbleweed", "opensuse-microos");

  static final Predicate<String> KEEP = p -> ImageDatabase.reads(p) || RepoConfigs.reads(p) || RepoKeys.reads(p)
      || p.startsWith(DnfVariables.DNF_VARS + "/") || p.startsWith(DnfVariables.YUM_VARS + "/")
      || p.startsWith(ModulesState.DIR + "/") || p.equals(Accounts.PASSWD) || p.equals(Accounts.GROUP)
      || RpmMacros.reads(p);

  /** Files under /etc may be %config: their content decides .rpmnew and .rpmsave. */
  static final Predicate<String> SPOOL = p -> p.startsWith("etc/");

  @Override
  public String describe() {
    return "native rpm backend";
  }

  @Override
  public PackageManager packageManager() {
    return PackageManager.RPM;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(KEEP, p -> false, SPOOL).and(RpmAlternatives.needs());
  }

  @Override
  public List<PostInstallEffect> effects() {
    // RHEL's and Fedora's ldconfig search /lib64 and /usr/lib64 after ld.so.conf (glibc's SLIBDIR and
    // LIBDIR), where Debian's searches the multiarch directories.
    return List.of(new LdConfig("glibc", List.of("/lib64", "/usr/lib64")), new CaTrustExtract());
  }

  @Override
  public boolean recognizes(MergedFilesystem image) {
    Optional<ImageDatabase> db;
    try {
      db = ImageDatabase.find(image);
    } catch (PatchException e) {
      return true; // ours, and open() says what is wrong with it
    }
    if (db.isEmpty()) {
      return false;
    }
    OsRelease os = OsRelease.of(image);
    return os.isEmpty() || OS_IDS.contains(os.id()) || SUSE_IDS.contains(os.id()) || os.is("rhel")
        || os.is("fedora") || os.is("suse") || os.is("centos");
  }

  @Override
  public String looksFor() {
    return "an rpm database (/usr/lib/sysimage/rpm or /var/lib/rpm: rpmdb.sqlite, Packages) or Azure Linux's"
        + " /var/lib/rpmmanifest/container-manifest-2, in a RHEL, CentOS, Rocky, Alma, Oracle, Fedora, Amazon or"
        + " Azure Linux image";
  }

  @Override
  public PackageSession open(MergedFilesystem image, BackendContext context) throws IOException, PatchException {
    ImageDatabase db = ImageDatabase.find(image).orElseThrow(() -> new PatchException("the image has no rpm database"));
    OsRelease os = OsRelease.of(image);
    if (SUSE_IDS.contains(os.id()) || os.is("suse") || db.format() == RpmDatabase.Format.NDB) {
      throw new PatchException("a SUSE image (" + (os.isEmpty() ? "/" + db.mainFile() : os.prettyName())
          + ", rpm database " + (db.hasDatabase() ? "/" + db.mainFile() : "none") + ") is read but not patched:"
          + " writing its NDB database is not proven (no libndb exists, and the rpm that judges the other"
          + " formats is built without it), and zypper's repositories are not read");
    }
    return new RpmSession(image, db, os, context);
  }
}
