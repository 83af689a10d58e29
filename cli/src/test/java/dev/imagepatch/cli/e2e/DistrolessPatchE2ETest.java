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
import dev.imagepatch.pkg.deb.DebianVersion;
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
        Files.write(statusD.resolve(name), Commands.run("dpkg-deb", "--field", deb.toString()));
        Path control = Files.createDirectories(work.resolve("control-" + name));
        Commands.run("dpkg-deb", "-e", deb.toString(), control.toString());
        if (Files.exists(control.resolve("md5sums"))) {
          Files.copy(control.resolve("md5sums"), statusD.resolve(name + ".md5sums"));
        }
        installed.put(name, Commands.runText("dpkg-deb", "--field", deb.toString(), "Version").strip());
      }
    }
    assertEquals(PACKAGES.size(), installed.size());
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
    String version = DebianFixtures.chroot(root, "/usr/bin/openssl", "version");
    String openssl = upgrades.stream().filter(u -> u.name().equals("openssl")).findFirst().orElseThrow().to();
    assertTrue(version.startsWith("OpenSSL " + openssl.substring(0, openssl.indexOf('-'))), version);
  }

  private static List<String> quoted(String[] options) {
    List<String> out = new ArrayList<>();
    for (String o : options) {
      out.add("'" + o + "'");
    }
    return out;
  }
}
