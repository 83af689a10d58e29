package dev.imagepatch.patch.spi;

import java.util.function.Predicate;

/**
 * What a backend or effect reads of the image as its layers stream by: contents kept in memory
 * (small: databases, sources, keys), files whose MD5 is taken (conffiles), and contents spooled to
 * disk (files that may be rewritten or kept aside). Everything else is metadata only.
 */
public record ImageNeeds(Predicate<String> keep, Predicate<String> hash, Predicate<String> spool) {
  public static final ImageNeeds NOTHING = new ImageNeeds(p -> false, p -> false, p -> false);

  /** Both needs at once. */
  public ImageNeeds and(ImageNeeds other) {
    return new ImageNeeds(keep.or(other.keep), hash.or(other.hash), spool.or(other.spool));
  }
}
