package dev.imagepatch.patch.family;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.pkg.PackageManager;
import java.util.List;

/** The tests' own package family, fixtureos: proof that a family plugs into the pipeline through the SPI alone. */
public final class FixtureBackend implements PackageBackend {
  /** Lines {@code name version arch file...}: a package and the files it installed. */
  static final String DATABASE = "var/lib/fixture/installed";
  /**
   * A {@code file:} URI of the repository: per architecture, an {@code index} of lines {@code name
   * version sha256 file} and those files, each a tar of the package's regular files.
   */
  static final String REPOSITORY = "etc/fixture/repository";

  @Override
  public String describe() {
    return "fixture backend";
  }

  /** rpm's order ranks plain dotted versions as expected, and fixtureos is ID_LIKE=fedora, an rpm OS to Trivy. */
  @Override
  public PackageManager packageManager() {
    return PackageManager.RPM;
  }

  /** None: a fixture package has no scripts, and reproduces no glibc or Python step. */
  @Override
  public List<PostInstallEffect> effects() {
    return List.of();
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(p -> p.equals(DATABASE) || p.equals(REPOSITORY), p -> false, p -> false);
  }

  @Override
  public boolean recognizes(MergedFilesystem image) {
    return image.content(DATABASE).isPresent() && OsRelease.of(image).is("fixtureos");
  }

  @Override
  public String looksFor() {
    return "a fixture database (/" + DATABASE + ") in a fixtureos image";
  }

  @Override
  public PackageSession open(MergedFilesystem image, BackendContext context) {
    return new FixtureSession(image, context);
  }
}
