package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.spi.PatchLayer;
import java.io.IOException;

/**
 * RHEL's {@code alternatives} (chkconfig) as a package's scriptlets run it: the state files under
 * {@code /var/lib/alternatives/} and the links {@code /etc/alternatives/<name>} and generic links.
 */
final class RpmAlternatives {
  private final PatchLayer layer;

  RpmAlternatives(PatchLayer layer) {
    this.layer = layer;
  }

  /** Applies a scriptlet made only of alternatives commands, {@code $1} being {@code arg1}; false for any other shell. */
  boolean run(String scriptlet, int arg1) {
    return false;
  }

  /** Writes the state files and links changed so far into the layer. */
  void write() throws IOException {
  }
}
