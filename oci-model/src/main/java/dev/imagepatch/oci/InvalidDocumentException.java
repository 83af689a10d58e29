package dev.imagepatch.oci;

import java.io.IOException;

/**
 * A manifest, index, config, layout or archive that is not what it claims to be. The message
 * names the source (file, registry and repository, or digest) and the field at fault.
 */
public class InvalidDocumentException extends IOException {
  public InvalidDocumentException(String message) {
    super(message);
  }

  public InvalidDocumentException(String message, Throwable cause) {
    super(message, cause);
  }
}
