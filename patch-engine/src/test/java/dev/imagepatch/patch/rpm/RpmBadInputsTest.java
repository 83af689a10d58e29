package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.FixtureRpmRepository.Signer;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.report.Report;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the rpm backend refuses, each with a message naming what failed and nothing pushed: a
 * package signed by a key the repository does not trust, a repomd.xml changed after signing with
 * repo_gpgcheck=1, a package with a {@code ..} path, a fix only in a disabled module stream, a SUSE
 * (NDB) image, a repository with only a metalink.
 */
class RpmBadInputsTest {
  static final String CVE = "CVE-2025-0002";

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();

  @BeforeAll
  static void serve() throws Exception {
    FixtureRpmRepository.requireTools();
    repo.publish("good", RpmPatchTest.HELLO_1, RpmPatchTest.HELLO_2);
  }

  static Report report() throws Exception {
    return FixtureReports.trivy("rocky", "9.4", "amd64", finding(CVE, "hello", "1.0-1", "1.0-2"));
  }

  /** Patches an image of hello 1.0-1 whose repository is {@code repoPath}; returns the refusal, checking nothing was pushed. */
  static PatchException refused(String name, FixtureRpmImages.Spec image) throws Exception {
    return refused(name, image, report());
  }

  static PatchException refused(String name, FixtureRpmImages.Spec image, Report report) throws Exception {
    OciLayout source = OciLayout.openOrCreate(work.resolve(name));
    image.write(source, "9");
    OciLayout target = OciLayout.openOrCreate(work.resolve(name + "-target"));
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(PatchRequest.builder(source,
        "9", report).target(target, "patched").cacheDirectory(work.resolve("cache")).build()));
    assertEquals(before, FixtureImages.snapshot(target), "nothing pushed");
    return e;
  }

  static FixtureRpmImages.Spec image(String repoPath) {
    return FixtureRpmImages.rocky(repo, repoPath, RpmPatchTest.BASH, RpmPatchTest.HELLO_1);
  }

  @Test
  void aPackageSignedByAKeyTheRepositoryDoesNotTrustIsRefused() throws Exception {
    repo.publish("impostor", Signer.IMPOSTOR, Signer.KEY, null, RpmPatchTest.HELLO_1, RpmPatchTest.HELLO_2);
    PatchException e = refused("impostor", image("impostor"));
    assertTrue(e.getMessage().contains("hello-1.0-2.noarch") && e.getMessage().contains("no signature by a trusted key")
        && e.getMessage().contains("gpgcheck=1"), e.getMessage());
  }

  @Test
  void aRepomdChangedAfterSigningIsRefusedWithRepoGpgcheck() throws Exception {
    repo.publish("tampered", RpmPatchTest.HELLO_1, RpmPatchTest.HELLO_2);
    byte[] repomd = repo.file("tampered/repodata/repomd.xml");
    repo.replace("tampered/repodata/repomd.xml", (new String(repomd, StandardCharsets.UTF_8) + "\n")
        .getBytes(StandardCharsets.UTF_8));
    PatchException e = refused("tampered", image("tampered"));
    assertTrue(e.getMessage().contains("repository fixture") && e.getMessage().contains("BAD signature"),
        e.getMessage());
  }

  @Test
  void anUnsignedRepomdIsRefusedWithRepoGpgcheck() throws Exception {
    repo.publish("unsigned-repomd", Signer.KEY, Signer.NONE, null, RpmPatchTest.HELLO_1, RpmPatchTest.HELLO_2);
    PatchException e = refused("unsigned-repomd", image("unsigned-repomd"));
    assertTrue(e.getMessage().contains("repository fixture") && e.getMessage().contains("repomd.xml"), e.getMessage());
  }

  @Test
  void aPackageWithADotDotPathIsRefused() throws Exception {
    // rpmbuild cleans the paths of %files: the '..' is put into the built header's DIRNAMES in place
    // (same length, so the header's region stays whole), with a signature header of the new digests.
    RpmSpec spec = RpmSpec.rpm("hello", "1.0", "2").file("/opt/xx/yy/shadow", "root::0:0:::::\n");
    RpmPackage good = RpmPackage.open(repo.build(spec));
    Path evil = work.resolve("evil").resolve("hello-1.0-2.noarch.rpm");
    Files.createDirectories(evil.getParent());
    Files.write(evil, rebuilt(good, "/opt/xx/yy/", "/opt/../../"));
    repo.publishFiles("dotdot", Signer.NONE, Signer.KEY, null, List.of(repo.build(RpmPatchTest.HELLO_1), evil));
    PatchException e = refused("dotdot", image("dotdot").repoFile(image("dotdot").defaultRepoFile()
        .replace("gpgcheck=1\nrepo", "gpgcheck=0\nrepo")));
    assertTrue(e.getMessage().contains("hello-1.0-2.noarch") && e.getMessage().contains("'..'"), e.getMessage());
  }

  /**
   * The package with {@code from} replaced by {@code to} (as long) in its header: its lead, a
   * signature header (no region, as old rpms wrote it) with the new header's SHA256HEADER, the
   * header+payload MD5 and size, the header, its payload.
   */
  static byte[] rebuilt(RpmPackage p, String from, String to) throws Exception {
    byte[] header = p.header().withMagic();
    String latin = new String(header, StandardCharsets.ISO_8859_1);
    int at = latin.indexOf(from + "\0");
    assertTrue(at > 0 && from.length() == to.length(), from + " in the header");
    System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, header, at, to.length());
    byte[] payload;
    try (InputStream in = Files.newInputStream(p.file())) {
      in.skipNBytes(p.payloadOffset());
      payload = in.readAllBytes();
    }
    java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
    md5.update(header);
    md5.update(payload);
    byte[] sha256 = (java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(header)) + "\0").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer sig = ByteBuffer.allocate(16 + 3 * 16 + 88);
    sig.put(new byte[] {(byte) 0x8e, (byte) 0xad, (byte) 0xe8, 0x01, 0, 0, 0, 0});
    sig.putInt(3).putInt(88);
    sig.putInt(Tags.SHA256HEADER).putInt(Tags.STRING).putInt(0).putInt(1);
    sig.putInt(Tags.SIG_SIZE).putInt(Tags.INT32).putInt(68).putInt(1);
    sig.putInt(Tags.SIG_MD5).putInt(Tags.BIN).putInt(72).putInt(16);
    sig.put(sha256).put(new byte[68 - sha256.length]);
    sig.putInt(header.length + payload.length);
    sig.put(md5.digest());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(p.lead());
    out.writeBytes(sig.array());
    out.writeBytes(header);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  @Test
  void aFixOnlyInADisabledModuleStreamIsRefusedNamingThePackageAndTheVulnerability() throws Exception {
    String modules = """
        ---
        document: modulemd
        version: 2
        data:
          name: hello
          stream: "2"
          version: 1
          context: c0ffee42
          arch: noarch
          summary: hello 2
          description: hello 2
          license:
            module: [MIT]
          artifacts:
            rpms:
              - hello-0:1.0-2.noarch
        ...
        """;
    repo.publish("modular", Signer.KEY, Signer.KEY, modules, RpmPatchTest.HELLO_1, RpmPatchTest.HELLO_2);
    PatchException e = refused("modular", image("modular").file("etc/dnf/modules.d/hello.module",
        "[hello]\nname=hello\nstream=\nprofiles=\nstate=disabled\n"));
    assertTrue(e.getMessage().contains("hello") && e.getMessage().contains("1.0-2") && e.getMessage().contains(CVE),
        e.getMessage());
  }

  @Test
  void aSuseImageIsRefusedAsNdbWritingIsNotProven() throws Exception {
    OciLayout source = OciLayout.openOrCreate(work.resolve("suse"));
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("etc/os-release", "NAME=\"SLES\"\nID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.6\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP6\"\n"
        .getBytes(StandardCharsets.UTF_8));
    files.put("usr/lib/sysimage/rpm/Packages.db", new byte[4096]);
    FixtureImages.image(source, "15", "amd64", files);
    OciLayout target = OciLayout.openOrCreate(work.resolve("suse-target"));
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(PatchRequest.builder(source,
        "15").target(target, "patched").cacheDirectory(work.resolve("cache")).build()));
    assertTrue(e.getMessage().contains("SUSE") && e.getMessage().contains("NDB"), e.getMessage());
    assertEquals(Map.of(), FixtureImages.snapshot(target).entrySet().stream().filter(x -> x.getKey().contains("patched"))
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
  }

  @Test
  void aRepositoryWithOnlyAMetalinkIsRefusedSayingHowToMirrorIt() throws Exception {
    PatchException e = refused("metalink", image("good").repoFile("[fixture]\nname=Fixture\n"
        + "metalink=https://mirrors.archive.example/metalink?repo=fixture-$releasever&arch=$basearch\nenabled=1\n"
        + "gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fixture\n"));
    assertTrue(e.getMessage().contains("metalink") && e.getMessage().contains("fixture-9.4&arch=x86_64")
        && e.getMessage().contains("--mirror fixture=URL"), e.getMessage());
  }

  @Test
  void aFileAnotherPackageOwnsDifferentlyIsAConflictAsRpmSays() throws Exception {
    RpmSpec clash1 = RpmSpec.rpm("clash", "1.0", "1").file("/usr/bin/clash", "clash 1\n");
    RpmSpec clash2 = RpmSpec.rpm("clash", "1.0", "2").file("/usr/bin/clash", "clash 2\n")
        .file("/bin/sh", "not bash\n", 0755);
    repo.publish("clash", clash1, clash2);
    PatchException e = refused("clash", FixtureRpmImages.rocky(repo, "clash", RpmPatchTest.BASH, clash1),
        FixtureReports.trivy("rocky", "9.4", "amd64", finding(CVE, "clash", "1.0-1", "1.0-2")));
    assertTrue(e.getMessage().contains("file /bin/sh from install of clash-1.0-2.noarch conflicts with file from"
        + " package bash-5.1.8-9.noarch"), e.getMessage());
  }
}
