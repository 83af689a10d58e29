package dev.imagepatch.cli.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fidelity harness, asserted: a plain-bookworm image upgraded by the real apt-get and dpkg in
 * a chroot (maintainer scripts and triggers run) and by imagepatch differ only in the classes the
 * issue allows, and the trust stores hold the same certificates.
 */
class FidelityE2ETest {
  @TempDir
  static Path work;

  @Test
  void nativePatchEqualsAptUpgrade() throws Exception {
    Map<String, List<String>> diff = Fidelity.run(work);
    String report = Fidelity.report(diff);
    System.out.println(report);
    assertEquals(Map.of(), Fidelity.unexplained(diff), report);
    assertFalse(diff.containsKey("trust store (update-ca-certificates)"), report);

    // The same certificates, and withdrawn roots gone from ours as from the reference.
    Path ref = work.resolve("reference/etc/ssl/certs");
    Path ours = work.resolve("ours/rootfs/etc/ssl/certs");
    assertEquals(names(ref), names(ours));
    assertTrue(names(work.resolve("base/etc/ssl/certs")).contains("E-Tugra_Certification_Authority.pem"),
        "the base trusts a root the upgrade withdraws");
    assertFalse(names(ours).contains("E-Tugra_Certification_Authority.pem"));
    assertFalse(names(ours).contains("ACCVRAIZ1.pem"), "the builder's deselection is kept");
    assertEquals(Files.readString(ref.resolve("ca-certificates.crt")), Files.readString(ours.resolve("ca-certificates.crt")));
  }

  private static TreeSet<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }
}
