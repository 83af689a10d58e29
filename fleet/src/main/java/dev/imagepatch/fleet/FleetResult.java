package dev.imagepatch.fleet;

import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a fleet run did to each image, and the exit code a pipeline acts on: {@link #OK} (0) when
 * every image is patched, up to date or skipped; {@link #FAILED} (1) when any image failed (it
 * wins over the next); {@link #NO_FIX} (3) when a vulnerability at or above the threshold has no fix
 * and is not an exception. (2 stays the CLI's wrong command line.)
 */
public record FleetResult(List<ImageResult> images, LocalDate date, Duration duration) {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int NO_FIX = 3;

  /** An image's outcome. */
  public enum Status { PATCHED, UP_TO_DATE, SKIPPED, NO_FIX, FAILED }

  /**
   * One image (one selected tag of one config entry).
   *
   * @param source the source image, with its tag
   * @param patched the patched image's reference with its tag: the new one, or for a skip the newest existing
   * @param details why, in a few words (Copa's DETAILS column)
   * @param fixedBySeverity vulnerabilities the patched image's own database shows fixed, by the report's severity
   * @param noFix vulnerabilities at or above the threshold, not exceptions, that no released version fixes
   * @param stillOpen fixable vulnerabilities the patch could not fix (the repositories lack the version), with why
   * @param bytesPushed blob bytes this image's patch wrote to the registry
   */
  public record ImageResult(String name, ImageReference source, Status status, Optional<Digest> sourceDigest,
      Optional<ImageReference> patched, Optional<Digest> patchedDigest, String details,
      Map<String, Integer> fixedBySeverity, List<String> noFix, List<String> stillOpen, long bytesPushed,
      Duration duration) {
    public ImageResult {
      fixedBySeverity = Map.copyOf(fixedBySeverity);
      noFix = List.copyOf(noFix);
      stillOpen = List.copyOf(stillOpen);
    }
  }

  public FleetResult {
    images = List.copyOf(images);
  }

  public List<ImageResult> withStatus(Status s) {
    return images.stream().filter(i -> i.status() == s).toList();
  }

  /** 0, 1 or 3, as the type says. */
  public int exitCode() {
    if (images.stream().anyMatch(i -> i.status() == Status.FAILED || !i.stillOpen().isEmpty())) {
      return FAILED;
    }
    return images.stream().anyMatch(i -> !i.noFix().isEmpty()) ? NO_FIX : OK;
  }

  /** Blob bytes the whole run wrote. */
  public long bytesPushed() {
    return images.stream().mapToLong(ImageResult::bytesPushed).sum();
  }
}
