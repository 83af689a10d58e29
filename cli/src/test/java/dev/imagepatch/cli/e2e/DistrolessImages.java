package dev.imagepatch.cli.e2e;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Google-distroless-style root filesystems made by Debian's own tools: apt downloads the plain
 * bookworm .debs of an architecture, dpkg-deb unpacks them and writes each package's control file
 * and md5sums into {@code /var/lib/dpkg/status.d}, as distroless documents its layout.
 */
final class DistrolessImages {
  private DistrolessImages() {}

  /** Builds the root filesystem; returns package name to installed version. */
  static Map<String, String> build(Path rootfs, Path work, DebianDemo.Mirrors m, String arch, List<String> packages)
      throws Exception {
    Path empty = Files.writeString(Files.createDirectories(work).resolve("empty-status"), "");
    String plain = "Types: deb\nURIs: " + m.archive() + "\nSuites: bookworm\nComponents: main\n"
        + "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
    DebianDemo.Apt bookworm = DebianDemo.Apt.of(Files.createDirectories(work.resolve("apt-plain")), plain, empty, arch);
    Path debs = Files.createDirectories(work.resolve("debs"));
    List<String> quoted = new ArrayList<>();
    for (String o : bookworm.options()) {
      quoted.add("'" + o + "'");
    }
    Commands.run("sh", "-c", "cd '" + debs + "' && apt-get " + String.join(" ", quoted) + " download "
        + String.join(" ", packages));
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
    return installed;
  }

  /** {@code --extra-source} arguments for the Debian archive, as a distroless image (which has no sources) needs. */
  static List<String> extraSources(DebianDemo.Mirrors m) {
    String signed = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ";
    return List.of("--extra-source", signed + m.archive() + " bookworm main",
        "--extra-source", signed + m.archive() + " bookworm-updates main",
        "--extra-source", signed + m.security() + " bookworm-security main");
  }

  /** What apt would take from bookworm-security and bookworm-updates for each installed package. */
  static List<DebianDemo.Upgrade> upgrades(Map<String, String> installed, Path work, DebianDemo.Mirrors m, String arch)
      throws Exception {
    Path empty = Files.writeString(Files.createDirectories(work).resolve("empty-status"), "");
    DebianDemo.Apt all = DebianDemo.Apt.of(Files.createDirectories(work.resolve("apt-all")),
        DebianDemo.imageSources(m), empty, arch);
    List<DebianDemo.Upgrade> out = new ArrayList<>();
    for (Map.Entry<String, String> p : installed.entrySet()) {
      String candidate = all.candidate(p.getKey());
      if (dev.imagepatch.pkg.version.DebianVersion.ORDER.compare(candidate, p.getValue()) > 0) {
        out.add(new DebianDemo.Upgrade(p.getKey(), p.getValue(), candidate));
      }
    }
    return out;
  }
}
