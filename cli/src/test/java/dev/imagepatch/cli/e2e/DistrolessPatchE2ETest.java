package dev.imagepatch.cli.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.pkg.version.DebianVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Google-distroless-style image (no apt, no status file: one {@code status.d} file per package)
 * made from the plain bookworm .debs by Debian's own tools, patched with the archive given as
 * extra sources, the way a distroless image must be.
 */
class DistrolessPatchE2ETest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  Path work;

  private static final List<String> PACKAGES =
      List.of("base-files", "libc6", "libssl3", "openssl", "ca-certificates", "tzdata", "zlib1g");

  @Test
  void statusDIsPatchedAndOnlyChangedPackagesAreInTheLayer() throws Exception {
    DebianDemo.Mirrors m = DebianDemo.hostMirrors();
    Path empty = Files.writeString(work.resolve("empty-status"), "");
    String plain = "Types: deb\nURIs: " + m.archive() + "\nSuites: bookworm\nComponents: main\n"
        + "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
    DebianDemo.Apt bookworm = DebianDemo.Apt.of(Files.createDirectories(work.resolve("apt-plain")), plain, empty);
    DebianDemo.Apt updated = DebianDemo.Apt.of(Files.createDirectories(work.resolve("apt-all")),
        DebianDemo.imageSources(m), empty);

    // The image: each plain-bookworm .deb unpacked by dpkg-deb, its control file and md5sums in status.d.
    Path debs = Files.createDirectories(work.resolve("debs"));
    List<String> download = new ArrayList<>(List.of("sh", "-c", "cd '" + debs + "' && apt-get "
        + String.join(" ", quoted(bookworm.options())) + " download " + String.join(" ", PACKAGES)));
    Commands.run(download.toArray(String[]::new));
    Path rootfs = Files.createDirectories(work.resolve("rootfs"));
    Path statusD = Files.createDirectories(rootfs.resolve("var/lib/dpkg/status.d"));
    Map<String, String> installed = new TreeMap<>();
    try (Stream<Path> files = Files.list(debs)) {
      for (Path deb : files.sorted().toList()) {
        Commands.run("dpkg-deb", "-x", deb.toString(), rootfs.toString());
        String name = Commands.runText("dpkg-deb", "--field", deb.toString(), "Package").strip();
        // status.d files as distroless writes them: the control file with a Status line.
        String fields = Commands.runText("dpkg-deb", "--field", deb.toString());
        Files.writeString(statusD.resolve(name), fields.replaceFirst("\n", "\nStatus: install ok installed\n"));
        Path control = Files.createDirectories(work.resolve("control-" + name));
        Commands.run("dpkg-deb", "-e", deb.toString(), control.toString());
        if (Files.exists(control.resolve("md5sums"))) {
          Files.copy(control.resolve("md5sums"), statusD.resolve(name + ".md5sums"));
        }
        installed.put(name, Commands.runText("dpkg-deb", "--field", deb.toString(), "Version").strip());
      }
    }
    assertEquals(PACKAGES.size(), installed.size());
    // The builder's trust store: every certificate of the old package trusted, links and bundle made.
    String conf = "";
    try (Stream<Path> crts = Files.walk(rootfs.resolve("usr/share/ca-certificates"))) {
      conf = String.join("\n", crts.filter(p -> p.toString().endsWith(".crt"))
          .map(p -> rootfs.resolve("usr/share/ca-certificates").relativize(p).toString()).sorted().toList()) + "\n";
    }
    Files.writeString(rootfs.resolve("etc/ca-certificates.conf"), conf);
    DebianFixtures.updateCaCertificates(rootfs);
    assertTrue(Files.isSymbolicLink(rootfs.resolve("etc/ssl/certs/E-Tugra_Certification_Authority.pem")));
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    Manifest base = DebianDemo.image(rootfs, layout, "base", "amd64", 1_700_000_000L);
    String image = registry.host() + "/distroless/base:12";
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "base",
        registry.client().repository("distroless/base"), "12");

    // The report: what apt would take from bookworm-security and bookworm-updates.
    List<DebianDemo.Upgrade> upgrades = new ArrayList<>();
    for (Map.Entry<String, String> p : installed.entrySet()) {
      String candidate = updated.candidate(p.getKey());
      if (DebianVersion.ORDER.compare(candidate, p.getValue()) > 0) {
        upgrades.add(new DebianDemo.Upgrade(p.getKey(), p.getValue(), candidate));
      }
    }
    assertTrue(upgrades.stream().anyMatch(u -> u.name().equals("libssl3")), "security fixes exist: " + upgrades);
    Path report = DebianDemo.trivyReport(work.resolve("report.json"), image, "debian", "12", "amd64", upgrades);

    List<String> args = new ArrayList<>(List.of("patch", "-i", image, "-r", report.toString(), "--push",
        "--cache", work.resolve("cache").toString()));
    for (String suite : List.of("bookworm", "bookworm-updates")) {
      args.addAll(List.of("--extra-source", "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
          + m.archive() + " " + suite + " main"));
    }
    args.addAll(List.of("--extra-source", "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        + m.security() + " bookworm-security main"));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    System.out.println(r.err() + r.out());
    assertEquals(0, r.code(), r.out() + r.err());

    // Only the changed packages' status.d files are in the new layer, and no status file.
    OciLayout pulled = OciLayout.openOrCreate(work.resolve("pulled"));
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(registry.client().repository("distroless/base"),
        "12-patched", pulled, "p");
    Manifest patched = (Manifest) pulled.fetchManifest("p");
    assertEquals(base.layers().size() + 1, patched.layers().size());
    List<String> layerFiles = List.of(Commands.runText("tar", "-tzf",
        pulled.blobPath(patched.layers().get(1).digest()).toString()).split("\n"));
    List<String> statusFiles = layerFiles.stream().filter(f -> f.startsWith("var/lib/dpkg/status.d/")).sorted().toList();
    List<String> expected = new ArrayList<>();
    for (DebianDemo.Upgrade u : upgrades) {
      expected.add("var/lib/dpkg/status.d/" + u.name());
      expected.add("var/lib/dpkg/status.d/" + u.name() + ".md5sums");
    }
    assertEquals(expected.stream().sorted().toList(), statusFiles);
    assertFalse(layerFiles.contains("var/lib/dpkg/status"));

    Path root = DebianFixtures.unpack(pulled.root(), "p", work.resolve("bundle"));
    for (DebianDemo.Upgrade u : upgrades) {
      String stanza = Files.readString(root.resolve("var/lib/dpkg/status.d/" + u.name()));
      assertTrue(stanza.contains("\nVersion: " + u.to() + "\n"), u.name() + " at " + u.to() + ":\n" + stanza);
    }
    // Each changed package as its new .deb has it: status.d = control + Status, md5sums, every file.
    Path newDebs = Files.createDirectories(work.resolve("new-debs"));
    Commands.run("sh", "-c", "cd '" + newDebs + "' && apt-get " + String.join(" ", quoted(updated.options()))
        + " download " + String.join(" ", upgrades.stream().map(u -> u.name() + "=" + u.to()).toList()));
    try (Stream<Path> files = Files.list(newDebs)) {
      for (Path deb : files.sorted().toList()) {
        String name = Commands.runText("dpkg-deb", "--field", deb.toString(), "Package").strip();
        String control = Commands.runText("dpkg-deb", "--field", deb.toString());
        assertEquals(control.replaceFirst("\n", "\nStatus: install ok installed\n"),
            Files.readString(root.resolve("var/lib/dpkg/status.d/" + name)), name);
        Path ctl = Files.createDirectories(work.resolve("new-control-" + name));
        Commands.run("dpkg-deb", "-e", deb.toString(), ctl.toString());
        assertEquals(Files.readString(ctl.resolve("md5sums")),
            Files.readString(root.resolve("var/lib/dpkg/status.d/" + name + ".md5sums")), name);
        List<String> conffiles = Files.exists(ctl.resolve("conffiles"))
            ? Files.readAllLines(ctl.resolve("conffiles")) : List.of();
        Path x = Files.createDirectories(work.resolve("new-files-" + name));
        Commands.run("dpkg-deb", "-x", deb.toString(), x.toString());
        try (Stream<Path> walk = Files.walk(x)) {
          for (Path f : walk.toList()) {
            String rel = x.relativize(f).toString();
            if (Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) || conffiles.contains("/" + rel)) {
              continue;
            }
            assertEquals(describe(f), describe(root.resolve(rel)), name + ": /" + rel);
          }
        }
      }
    }

    // The trust store is rebuilt: the real tool, run over the patched tree, finds nothing to change.
    Map<String, String> ours = DebianFixtures.trustStore(root);
    assertFalse(ours.containsKey("E-Tugra_Certification_Authority.pem"), "a withdrawn root left the store");
    assertTrue(Files.readString(root.resolve("etc/ca-certificates.conf"))
        .contains("\n!mozilla/E-Tugra_Certification_Authority.crt\n"));
    DebianFixtures.updateCaCertificates(root);
    assertEquals(DebianFixtures.trustStore(root), ours);

    String version = DebianFixtures.chroot(root, "/usr/bin/openssl", "version");
    String openssl = upgrades.stream().filter(u -> u.name().equals("openssl")).findFirst().orElseThrow().to();
    assertTrue(version.startsWith("OpenSSL " + openssl.substring(0, openssl.indexOf('-'))), version);
  }

  /** Type, mode, owner, link target and content digest of a path. */
  private static String describe(Path p) throws Exception {
    java.util.Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    String what = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
        : "file " + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
            .digest(Files.readAllBytes(p)));
    return what + " " + Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":" + a.get("gid");
  }

  private static List<String> quoted(String[] options) {
    List<String> out = new ArrayList<>();
    for (String o : options) {
      out.add("'" + o + "'");
    }
    return out;
  }
}
