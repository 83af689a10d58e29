package dev.imagepatch.cli.e2e;

import dev.imagepatch.oci.testing.Commands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

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

  /**
   * Runs the real update-ca-certificates over a root filesystem (its configuration, certificates
   * and /etc/ssl/certs), as an image builder does; the links it makes carry the root's prefix,
   * which is taken off so the tree is what an image holds.
   */
  static void updateCaCertificates(Path root, String... more) throws Exception {
    String[] cmd = {"update-ca-certificates", "--certsconf", root.resolve("etc/ca-certificates.conf").toString(),
        "--certsdir", root.resolve("usr/share/ca-certificates").toString(), "--localcertsdir",
        root.resolve("usr/local/share/ca-certificates").toString(), "--etccertsdir",
        root.resolve("etc/ssl/certs").toString(), "--hooksdir", root.resolve("no-hooks").toString()};
    String[] full = new String[cmd.length + more.length];
    System.arraycopy(cmd, 0, full, 0, cmd.length);
    System.arraycopy(more, 0, full, cmd.length, more.length);
    Files.createDirectories(root.resolve("usr/local/share/ca-certificates"));
    Commands.run(full);
    try (Stream<Path> s = Files.list(root.resolve("etc/ssl/certs"))) {
      for (Path p : s.toList()) {
        if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().startsWith(root.toString())) {
          String target = Files.readSymbolicLink(p).toString().substring(root.toString().length());
          Files.delete(p);
          Files.createSymbolicLink(p, Path.of(target));
        }
      }
    }
  }

  /** /etc/ssl/certs: each link's target, or a digest of each file. */
  static Map<String, String> trustStore(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(root.resolve("etc/ssl/certs"))) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
            : Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))));
      }
    }
    return out;
  }
}
