package dev.imagepatch.pkg.apt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.apt.AptResolver.Change;
import dev.imagepatch.pkg.apt.AptResolver.Request;
import dev.imagepatch.pkg.apt.AptResolver.ResolutionException;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Resolution as apt-get install --only-upgrade does it, on stanzas shaped like bookworm's. */
class AptResolverTest {
  private static final String STATUS = """
      Package: nginx
      Status: install ok installed
      Architecture: amd64
      Version: 1.22.1-9+deb12u9
      Depends: nginx-common (= 1.22.1-9+deb12u9), libc6 (>= 2.34), libssl3 (>= 3.0.0)

      Package: nginx-common
      Status: install ok installed
      Architecture: all
      Version: 1.22.1-9+deb12u9

      Package: libssl3
      Status: install ok installed
      Architecture: amd64
      Multi-Arch: same
      Version: 3.0.20-1~deb12u2
      Depends: libc6 (>= 2.34)

      Package: openssl
      Status: install ok installed
      Architecture: amd64
      Version: 3.0.20-1~deb12u2
      Depends: libc6 (>= 2.34), libssl3 (>= 3.0.20)

      Package: libc6
      Status: install ok installed
      Architecture: amd64
      Multi-Arch: same
      Version: 2.36-9+deb12u14

      Package: old-config
      Status: deinstall ok config-files
      Architecture: amd64
      Version: 1.0
      """;

  private static final String PACKAGES = """
      Package: nginx
      Version: 1.22.1-9+deb12u11
      Architecture: amd64
      Depends: nginx-common (= 1.22.1-9+deb12u11), libc6 (>= 2.34), libssl3 (>= 3.0.0)
      Filename: pool/updates/main/n/nginx/nginx_1.22.1-9+deb12u11_amd64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000001

      Package: nginx-common
      Version: 1.22.1-9+deb12u11
      Architecture: all
      Filename: pool/updates/main/n/nginx/nginx-common_1.22.1-9+deb12u11_all.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000002

      Package: libssl3
      Version: 3.0.22-1~deb12u2
      Architecture: amd64
      Multi-Arch: same
      Depends: libc6 (>= 2.34)
      Breaks: openssl (<< 3.0.22)
      Filename: pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000003

      Package: openssl
      Version: 3.0.22-1~deb12u2
      Architecture: amd64
      Depends: libc6 (>= 2.34), libssl3 (>= 3.0.22), libzstd1 (>= 1.5)
      Filename: pool/updates/main/o/openssl/openssl_3.0.22-1~deb12u2_amd64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000004

      Package: libzstd1
      Version: 1.5.4+dfsg2-5
      Architecture: amd64
      Multi-Arch: same
      Filename: pool/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5_amd64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000005

      Package: libssl3
      Version: 3.0.20-1~deb12u2
      Architecture: amd64
      Multi-Arch: same
      Filename: pool/main/o/openssl/libssl3_3.0.20-1~deb12u2_amd64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000006

      Package: libssl3
      Version: 3.0.99-1
      Architecture: arm64
      Multi-Arch: same
      Filename: pool/main/o/openssl/libssl3_3.0.99-1_arm64.deb
      Size: 1
      SHA256: 0000000000000000000000000000000000000000000000000000000000000007
      """;

  private static AptResolver resolver() throws Exception {
    PackageIndex index = new PackageIndex();
    index.read(new ByteArrayInputStream(PACKAGES.getBytes(StandardCharsets.UTF_8)), "http://mirror.invalid/debian/",
        "bookworm-security/main/amd64");
    return new AptResolver(DpkgDatabase.ofStatus(STATUS, "status"), index, "amd64");
  }

  private static List<String> summary(List<Change> changes) {
    return changes.stream().map(c -> c.name() + " " + (c.from() == null ? "(new)" : c.from()) + " -> "
        + c.to().version()).toList();
  }

  @Test
  void anExactDependencyPullsItsSiblingAlong() throws Exception {
    var r = resolver().resolve(List.of(new Request("nginx", "1.22.1-9+deb12u10", List.of("CVE-2025-1"))));
    assertEquals(List.of("nginx 1.22.1-9+deb12u9 -> 1.22.1-9+deb12u11",
        "nginx-common 1.22.1-9+deb12u9 -> 1.22.1-9+deb12u11"), summary(r.changes()));
    assertEquals("needed by nginx 1.22.1-9+deb12u11", r.changes().get(1).reason());
  }

  @Test
  void breaksMoveTheBrokenPackageAndNewDependenciesAreInstalled() throws Exception {
    var r = resolver().resolve(List.of(new Request("libssl3", "3.0.21", List.of("CVE-2025-2"))));
    // libssl3 Breaks openssl (<< 3.0.22): openssl follows, and its new dependency libzstd1 is installed.
    assertEquals(List.of("libssl3 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2", "openssl 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2",
        "libzstd1 (new) -> 1.5.4+dfsg2-5"), summary(r.changes()));
    assertTrue(r.changes().get(2).isInstall());
    assertEquals("amd64", r.changes().get(0).to().architecture(), "the arm64 candidate is not the image's");
  }

  @Test
  void noCandidateReachingTheFixIsAClearError() throws Exception {
    ResolutionException e = assertThrows(ResolutionException.class, () -> resolver().resolve(
        List.of(new Request("libssl3", "3.0.23", List.of("CVE-2025-3", "CVE-2025-4")))));
    assertEquals("no candidate for libssl3 reaches the fixed version 3.0.23 (CVE-2025-3, CVE-2025-4); candidates seen:"
        + " 3.0.22-1~deb12u2 from bookworm-security/main/amd64, 3.0.20-1~deb12u2 from bookworm-security/main/amd64",
        e.getMessage());
    ResolutionException missing = assertThrows(ResolutionException.class, () -> resolver().resolve(
        List.of(new Request("old-config", "2.0", List.of("CVE-2025-5")))));
    assertTrue(missing.getMessage().startsWith("old-config is not installed in the image"), missing.getMessage());
  }

  @Test
  void anAlreadyFixedPackageIsLeftAlone() throws Exception {
    var r = resolver().resolve(List.of(new Request("libc6", "2.36-9+deb12u1", List.of("CVE-2025-6"))));
    assertEquals(List.of(), r.changes());
    assertEquals(1, r.satisfied().size());
  }
}
