package dev.imagepatch.cli;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.layout.OciLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagepatch demo}: a vulnerable Debian 12 image, patched and verified, all in a local OCI layout. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Build a small vulnerable Debian 12 image from the plain bookworm suite into an OCI layout,"
        + " patch it with the fixes apt finds in bookworm-security and bookworm-updates, verify it, and print the"
        + " summary. No registry or Docker: it needs root, debootstrap and this machine's apt sources."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "imagepatch-demo", description = "Working directory (default ${DEFAULT-VALUE}).")
  Path dir;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalArgumentException("the demo runs debootstrap, which needs root");
    }
    if (!Files.isExecutable(Path.of("/usr/sbin/debootstrap"))) {
      err.println("installing debootstrap (apt-get install debootstrap)");
      err.flush();
      DebianDemo.runText("apt-get", "install", "-y", "-q", "debootstrap");
    }
    String arch = DebianDemo.runText("dpkg", "--print-architecture").strip();
    if (!arch.equals("amd64") && !arch.equals("arm64")) {
      throw new IllegalArgumentException("the demo builds for amd64 or arm64 hosts; this one is " + arch);
    }
    Path work = Files.createDirectories(dir.toAbsolutePath());
    DebianDemo.Mirrors mirrors = DebianDemo.hostMirrors();
    Path rootfs = work.resolve("rootfs");
    if (!Files.exists(rootfs.resolve("var/lib/dpkg/status"))) {
      err.println("debootstrap: Debian 12 from the plain bookworm suite of " + mirrors.archive() + " into " + rootfs);
      err.flush();
      DebianDemo.debootstrap(rootfs, mirrors, List.of("openssl", "curl", "ca-certificates", "nginx"));
    }
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    DebianDemo.image(rootfs, layout, "12", arch, 1_700_000_000L);
    err.println("built oci:" + layout.root() + ":12; asking apt what bookworm-security and bookworm-updates fix");
    err.flush();
    Path apt = work.resolve("apt");
    if (Files.exists(apt)) {
      DebianDemo.runText("rm", "-rf", apt.toString());
    }
    List<DebianDemo.Upgrade> upgrades = DebianDemo.aptUpgrades(rootfs, Files.createDirectories(apt));
    Path report = DebianDemo.trivyReport(work.resolve("report.json"), "oci:" + layout.root() + ":12", "debian", "12",
        arch, upgrades);
    err.println("wrote " + report + " (" + upgrades.size() + " packages with fixes); patching");
    err.flush();
    return Main.run(new String[] {"patch", "-i", "oci:" + layout.root() + ":12", "-r", report.toString(),
        "--oci-dir", layout.root().toString(), "-t", "12-patched"}, spec.commandLine().getOut(), err);
  }
}
