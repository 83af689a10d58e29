package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Packages built here by rpmbuild in the payload compressions the vectors lack (bzip2, none) and
 * the others, with %config(noreplace), %ghost, %doc, %license, a symlink and hard links: read as
 * rpm -qp and rpm2cpio | cpio -idm read them.
 */
class RpmBuildTest {
  private static final String SPEC = """
      Name: imagepatch-built
      Version: 1.0
      Release: 1
      Summary: built by RpmBuildTest
      License: MIT
      BuildArch: noarch
      %description
      built by RpmBuildTest
      %install
      mkdir -p %{buildroot}/etc %{buildroot}/usr/share/ib %{buildroot}/usr/share/doc/ib %{buildroot}/var/log
      echo config > %{buildroot}/etc/ib.conf
      head -c 100000 /dev/urandom > %{buildroot}/usr/share/ib/data
      echo hello > %{buildroot}/usr/share/ib/a
      ln %{buildroot}/usr/share/ib/a %{buildroot}/usr/share/ib/b
      ln -s a %{buildroot}/usr/share/ib/link
      echo doc > %{buildroot}/usr/share/doc/ib/README
      echo license > %{buildroot}/usr/share/doc/ib/LICENSE
      %files
      %config(noreplace) /etc/ib.conf
      %ghost /var/log/ib.log
      %dir /usr/share/ib
      %attr(0600,root,root) /usr/share/ib/data
      /usr/share/ib/a
      /usr/share/ib/b
      /usr/share/ib/link
      %doc /usr/share/doc/ib/README
      %license /usr/share/doc/ib/LICENSE
      """;

  @TempDir
  Path temp;

  @ParameterizedTest
  @CsvSource({"w9.bzdio,bzip2", "w.ufdio,(none)", "w9.gzdio,gzip", "w6.xzdio,xz", "w19.zstdio,zstd",
      "w9.lzdio,lzma"})
  void builtPackagesReadAsRpmReadsThem(String payload, String compressor) throws Exception {
    Tools.require("rpmbuild");
    Path top = Files.createDirectories(temp.resolve("top"));
    Path spec = temp.resolve("ib.spec");
    Files.writeString(spec, SPEC);
    Tools.run(List.of("rpmbuild", "-bb", "--quiet", "--define", "_topdir " + top, "--define",
        "_binary_payload " + payload, "--define", "_build_id_links none", spec.toString()));
    Path rpm;
    try (Stream<Path> s = Files.walk(top.resolve("RPMS"))) {
      rpm = s.filter(p -> p.toString().endsWith(".rpm")).findFirst().orElseThrow();
    }
    RpmPackage p = RpmPackage.open(rpm);
    assertEquals(compressor, p.header().string(Tags.PAYLOADCOMPRESSOR).orElse("(none)"));
    String expected = Tools.text(List.of("rpm", "-qp", "--nosignature", "--nodigest", "--qf",
        RpmPackageTest.QF_TEXT, rpm.toString()));
    assertEquals(expected, RpmPackageTest.qf(p));
    p.verify();
    Map<String, RpmPackage.RpmFile> byPath = new java.util.HashMap<>();
    p.files().forEach(f -> byPath.put(f.path(), f));
    assertTrue(byPath.get("/etc/ib.conf").isConfig() && byPath.get("/etc/ib.conf").isNoReplace());
    assertTrue(byPath.get("/var/log/ib.log").isGhost());
    assertTrue(byPath.get("/usr/share/doc/ib/README").isDoc());
    assertTrue(byPath.get("/usr/share/doc/ib/LICENSE").isLicense());
    assertEquals("a", byPath.get("/usr/share/ib/link").linkTo());
    assertEquals(0100600, byPath.get("/usr/share/ib/data").mode());
    Map<String, String> ours = RpmPackageTest.ours(p);
    Path out = Files.createDirectories(temp.resolve("x"));
    Tools.require("rpm2cpio");
    Tools.require("cpio");
    Tools.run(List.of("bash", "-c", "set -o pipefail; rpm2cpio \"$1\" | cpio -idm --quiet", "x", rpm.toString()),
        out);
    assertEquals(RpmPackageTest.strip(ours), RpmPackageTest.strip(RpmPackageTest.extracted(out, ours)));
    assertTrue(ours.get("usr/share/ib/b").equals(ours.get("usr/share/ib/a")), ours.toString());
  }
}
