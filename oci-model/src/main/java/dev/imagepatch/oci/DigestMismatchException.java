package dev.imagepatch.oci;

import java.io.IOException;

/** Content did not hash to the digest (or size) it was published under. */
public final class DigestMismatchException extends IOException {
  public DigestMismatchException(String message) {
    super(message);
  }
}
