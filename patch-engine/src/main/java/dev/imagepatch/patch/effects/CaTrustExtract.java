package dev.imagepatch.patch.effects;

import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.IOException;
import java.util.List;

/**
 * {@code update-ca-trust extract} of RHEL, Fedora, Amazon Linux and Azure Linux: the files p11-kit's
 * {@code trust extract} writes under {@code /etc/pki/ca-trust/extracted/} from the trust sources.
 */
public final class CaTrustExtract implements PostInstallEffect {
  public static final String NAME = "update-ca-trust";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ImageNeeds needs() {
    return ImageNeeds.NOTHING;
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    return true;
  }
}
