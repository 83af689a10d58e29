package dev.imagepatch.cli.e2e;

import dev.imagepatch.oci.testing.Commands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Test-only helpers over the demo's Debian material: unpacking with umoci, commands in a chroot. */
final class DebianFixtures {
  private DebianFixtures() {}

  /** Unpacks an image of a layout with umoci, a tool we did not write; returns the root filesystem. */
  static Path unpack(Path layout, String tag, Path bundle) throws Exception {
    Commands.run("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
    return bundle.resolve("rootfs");
  }

  static String chroot(Path rootfs, String... command) throws Exception {
    String[] full = new String[command.length + 2];
    full[0] = "chroot";
    full[1] = rootfs.toString();
    System.arraycopy(command, 0, full, 2, command.length);
    return new String(Commands.run(full), StandardCharsets.UTF_8);
  }
}
