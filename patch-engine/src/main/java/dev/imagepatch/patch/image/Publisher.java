package dev.imagepatch.patch.image;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.internal.Sizes;
import dev.imagepatch.layer.ImageSurgery;
import dev.imagepatch.patch.PatchListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a patched image: blobs before the manifest (base layers mounted or copied, the new layer, the config). */
final class Publisher {
  private Publisher() {}

  /** Returns the bytes written (blobs already in the target or mounted are not counted). */
  static long push(ImageSource src, ImageTarget target, ImageSurgery.Image patched, Path blob, Descriptor layer,
      String tag, PatchListener out) throws IOException {
    long written = 0;
    for (Descriptor d : patched.manifest().layers()) {
      if (d.digest().equals(layer.digest())) {
        out.step("uploading the patch layer (" + Sizes.human(layer.size()) + ")");
        if (target.putBlob(d, () -> Files.newInputStream(blob)) == ImageTarget.BlobOutcome.WRITTEN) {
          written += d.size();
        }
      } else if (!MediaTypes.isNonDistributable(d.mediaType())
          && target.putBlob(d, ImageTarget.BlobContent.of(src, d)) == ImageTarget.BlobOutcome.WRITTEN) {
        written += d.size();
      }
    }
    if (target.putBlob(patched.manifest().config(), patched.config()::openStream) == ImageTarget.BlobOutcome.WRITTEN) {
      written += patched.config().size();
    }
    target.putManifest(patched.manifest(), tag);
    out.step("pushed " + patched.manifest().digest() + (tag == null ? "" : " as " + tag) + " to " + target.describe());
    return written;
  }
}
