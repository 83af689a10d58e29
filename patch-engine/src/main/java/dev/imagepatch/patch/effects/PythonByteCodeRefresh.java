package dev.imagepatch.patch.effects;

import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.IOException;
import java.util.List;

/**
 * Byte-code in step with its sources after an upgrade, in any image with Python: headers brought
 * up to date for unchanged sources, byte-code of changed or removed sources removed (Python
 * compiles it on import). See {@link PythonByteCode}.
 */
public final class PythonByteCodeRefresh implements PostInstallEffect {
  @Override
  public String name() {
    return "python-byte-code";
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(p -> false, PythonByteCode::isSource, PythonByteCode::isByteCode);
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    PythonByteCode.Outcome pyc = PythonByteCode.refresh(layer.image(), layer.builder(), layer.pythonSources(),
        layer.removed(), layer.staging(), layer.epoch());
    if (pyc.refreshed() + pyc.removed() > 0) {
      layer.note("python byte-code: " + pyc.refreshed() + " .pyc headers brought up to date with unchanged sources, "
          + pyc.removed() + " .pyc of changed or removed sources removed (Python compiles them on import)");
    }
    return true;
  }
}
