package dev.imagepatch.patch.spi;

import dev.imagepatch.patch.PatchResult.PackageChange;
import java.io.IOException;
import java.util.List;

/**
 * Something a package manager's scripts or triggers would do after unpacking that the image
 * needs (a fresh {@code ld.so.cache}, byte-code in step with its sources), reproduced in Java and
 * written into the patch layer. Not tied to one family: glibc and Python are in every distribution.
 */
public interface PostInstallEffect {
  /** The name backends know it by, e.g. {@code ldconfig}; recorded in {@link PatchLayer#applied} when done. */
  String name();

  /** What the effect reads of the image as its layers stream by. */
  ImageNeeds needs();

  /**
   * Brings what it maintains in step with the layer. Returns false when it could not, with a note
   * in the layer saying why; the backend then treats the trigger as not run.
   */
  boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException;
}
