package dev.imagepatch.patch.deb;
import dev.imagepatch.patch.effects.DirectoryTree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.testing.Commands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading the real ca-certificates package (bookworm's 20230311+deb12u1 to bookworm-updates'
 * 20250419~deb12u2): the configuration as the postinst maintains it, and the trust store against
 * the real {@code update-ca-certificates} (and its {@code openssl rehash}) run on the same
 * configuration: the same .pem links, hash links and bundle, byte for byte.
 */
class CaCertificatesTest {
  @TempDir
  Path tmp;

  @Test
  void upgradeMatchesUpdateCaCertificates() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Commands.runText("dpkg-deb", "-x", resource("ca-certificates_20230311+deb12u1_all.deb").toString(), root.toString());
    Files.createDirectories(root.resolve("etc/ssl/certs"));
    Files.createDirectories(root.resolve("usr/local/share/ca-certificates"));
    // The configuration as a first install writes it, with the builder's deselection of one root.
    StringBuilder conf = new StringBuilder("# header\n");
    try (Stream<Path> s = Files.walk(root.resolve("usr/share/ca-certificates"))) {
      s.filter(p -> p.toString().endsWith(".crt")).map(p -> root.resolve("usr/share/ca-certificates").relativize(p))
          .map(Path::toString).sorted().forEach(c -> conf.append(c.equals("mozilla/ACCVRAIZ1.crt") ? "!" : "")
              .append(c).append('\n'));
    }
    Files.writeString(root.resolve(CaCertificates.CONF), conf);
    updateCaCertificates(root);
    assertTrue(Files.isSymbolicLink(root.resolve("etc/ssl/certs/E-Tugra_Certification_Authority.pem")));

    // Unpack the new version over it: the old certificates go, the new ones come.
    Commands.runText("rm", "-rf", root.resolve("usr/share/ca-certificates").toString());
    Commands.runText("dpkg-deb", "-x", resource("ca-certificates_20250419~deb12u2_all.deb").toString(), root.toString());
    Path reference = tmp.resolve("reference");
    Commands.runText("cp", "-a", root.toString(), reference.toString());

    CaCertificates.Outcome o = CaCertificates.configure(new DirectoryTree(root));
    String newConf = new String(o.conf(), StandardCharsets.UTF_8);
    assertTrue(newConf.contains("\n!mozilla/E-Tugra_Certification_Authority.crt\n"), "withdrawn roots marked !");
    assertTrue(newConf.contains("\n!mozilla/ACCVRAIZ1.crt\n"), "the builder's deselection kept");
    assertTrue(newConf.contains("\nmozilla/Certainly_Root_R1.crt\n"), "new roots trusted: " + newConf);

    Files.write(reference.resolve(CaCertificates.CONF), o.conf());
    updateCaCertificates(reference);

    Path certs = root.resolve(CaCertificates.ETC);
    for (String name : o.removed()) {
      Files.delete(certs.resolve(name));
    }
    for (Map.Entry<String, String> l : o.links().entrySet()) {
      Files.deleteIfExists(certs.resolve(l.getKey()));
      Files.createSymbolicLink(certs.resolve(l.getKey()), Path.of(l.getValue()));
    }
    Files.write(certs.resolve(CaCertificates.BUNDLE), o.bundle());

    assertEquals(state(reference), state(root));
    assertArrayEquals(Files.readAllBytes(reference.resolve("etc/ssl/certs/ca-certificates.crt")), o.bundle());
    assertFalse(Files.exists(certs.resolve("E-Tugra_Certification_Authority.pem"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  /** The real tool, pointed at a tree; it links with the tree's prefix, which an image would not have. */
  private static void updateCaCertificates(Path root) throws Exception {
    Commands.runText("update-ca-certificates", "--certsconf", root.resolve(CaCertificates.CONF).toString(),
        "--certsdir", root.resolve(CaCertificates.SHARE).toString(), "--localcertsdir",
        root.resolve(CaCertificates.LOCAL).toString(), "--etccertsdir", root.resolve(CaCertificates.ETC).toString(),
        "--hooksdir", root.resolve("no-hooks").toString());
    try (Stream<Path> s = Files.list(root.resolve(CaCertificates.ETC))) {
      for (Path p : s.toList()) {
        if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().startsWith(root.toString())) {
          String target = Files.readSymbolicLink(p).toString().substring(root.toString().length());
          Files.delete(p);
          Files.createSymbolicLink(p, Path.of(target));
        }
      }
    }
  }

  /** Every entry of /etc/ssl/certs: link target, or the file's content. */
  private static Map<String, String> state(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(root.resolve(CaCertificates.ETC))) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
            : Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))));
      }
    }
    return out;
  }

  private Path resource(String name) throws IOException {
    Path out = tmp.resolve(name);
    try (InputStream in = getClass().getResourceAsStream("/debian/" + name)) {
      Files.copy(in, out);
    }
    return out;
  }
}
