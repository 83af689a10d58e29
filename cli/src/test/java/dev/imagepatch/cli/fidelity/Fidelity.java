package dev.imagepatch.cli.fidelity;

import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fidelity harness: the same base image upgraded twice, once by the real apt-get and dpkg
 * (maintainer scripts and triggers included) in a chroot, once by imagepatch; the two trees are
 * compared path by path (type, mode, owner, link target, content) and the differences printed
 * grouped by cause, with the classes the issue allows counted apart. Run by {@code scripts/fidelity}
 * and, asserted, by {@code FidelityE2ETest}.
 */
public final class Fidelity {
  private Fidelity() {}

  /** What is by nature not part of the image's state, or added by the harness itself. */
  static boolean ignored(String path) {
    return path.startsWith("var/lib/apt/lists") || path.startsWith("var/cache/apt") || path.startsWith("var/log")
        || path.endsWith(".dpkg-old") || path.equals("etc/resolv.conf") || path.equals("usr/sbin/policy-rc.d")
        || path.startsWith("proc/") || path.startsWith("dev/") || path.startsWith("sys/") || path.startsWith("run/")
        || path.startsWith("tmp/")
        // ldconfig's auxiliary cache is keyed by inode numbers and ctimes of the machine that ran it.
        || path.equals("var/cache/ldconfig/aux-cache");
  }

  /** The cause a difference is grouped under. */
  static String cause(String path) {
    if (path.startsWith("etc/ssl/certs") || path.equals("etc/ca-certificates.conf")
        || path.startsWith("usr/share/ca-certificates") || path.startsWith("etc/ca-certificates")) {
      return "trust store (update-ca-certificates)";
    }
    if (path.equals("etc/ld.so.cache")) {
      return "ld.so.cache (ldconfig)";
    }
    if (path.startsWith("etc/alternatives") || path.startsWith("var/lib/dpkg/alternatives")) {
      return "alternatives";
    }
    if (path.contains("__pycache__")) {
      return "python byte-code";
    }
    if (path.startsWith("var/cache/debconf")) {
      return "debconf";
    }
    if (path.startsWith("var/lib/dpkg/")) {
      return "dpkg database";
    }
    if (path.equals("etc/localtime") || path.equals("etc/timezone")) {
      return "tzdata";
    }
    return "files";
  }

  /** Differences by cause: "path: reference | ours". */
  static Map<String, List<String>> compare(Path reference, Path ours) throws IOException {
    return TreeDiff.compare(reference, ours, Fidelity::ignored, Fidelity::cause);
  }

  /**
   * The differences the issue allows, each a class of its own: byte-code the reference compiled
   * where ours has none (imagepatch removes what went stale and cannot compile; Python does it on
   * first import), and debconf's database, whose questions are not asked without the scripts.
   */
  static String allowedClass(String cause, String line) {
    if (cause.equals("python byte-code") && line.contains(" | ours absent")) {
      return "byte-code compiled by the reference (ours: removed as stale, compiled on first import)";
    }
    if (cause.equals("debconf")) {
      return "debconf database (questions answered by maintainer scripts)";
    }
    return null;
  }

  /** The differences no allowed class explains, by cause. */
  static Map<String, List<String>> unexplained(Map<String, List<String>> diff) {
    Map<String, List<String>> out = new TreeMap<>();
    diff.forEach((cause, lines) -> lines.stream().filter(l -> allowedClass(cause, l) == null)
        .forEach(l -> out.computeIfAbsent(cause, k -> new ArrayList<>()).add(l)));
    return out;
  }

  /** The harness's report: every difference by cause, then the allowed classes counted. */
  static String report(Map<String, List<String>> diff) {
    StringBuilder out = new StringBuilder();
    Map<String, Integer> allowed = new TreeMap<>();
    int total = 0;
    for (Map.Entry<String, List<String>> e : diff.entrySet()) {
      out.append("== ").append(e.getKey()).append(" (").append(e.getValue().size()).append(")\n");
      e.getValue().stream().limit(40).forEach(l -> out.append("  ").append(l).append('\n'));
      if (e.getValue().size() > 40) {
        out.append("  ... ").append(e.getValue().size() - 40).append(" more\n");
      }
      for (String l : e.getValue()) {
        String c = allowedClass(e.getKey(), l);
        if (c != null) {
          allowed.merge(c, 1, Integer::sum);
        }
      }
      total += e.getValue().size();
    }
    int explained = allowed.values().stream().mapToInt(Integer::intValue).sum();
    out.append(total).append(" differences; ").append(explained).append(" in allowed classes:\n");
    allowed.forEach((c, n) -> out.append("  ").append(n).append("  ").append(c).append('\n'));
    out.append(total - explained).append(" unexplained\n");
    return out.toString();
  }

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-fidelity"));
    Map<String, List<String>> diff = run(work);
    System.out.print(report(diff));
    System.exit(unexplained(diff).isEmpty() ? 0 : 1);
  }

  static final List<String> PACKAGES = List.of("openssl", "libssl3", "curl", "libcurl4", "libxml2", "libexpat1",
      "python3.11-minimal", "nginx", "ca-certificates");

  /**
   * What an image's builder does that the upgrade must respect: a changed conffile (kept, as
   * {@code --force-confold} does) and a root deselected in {@code /etc/ca-certificates.conf}
   * (kept out of the trust store).
   */
  static void administer(Path base) throws IOException, InterruptedException {
    Files.writeString(base.resolve("etc/ssl/openssl.cnf"), "# changed by the image's builder\n",
        java.nio.file.StandardOpenOption.APPEND);
    Path conf = base.resolve("etc/ca-certificates.conf");
    Files.writeString(conf, Files.readString(conf).replace("\nmozilla/ACCVRAIZ1.crt\n", "\n!mozilla/ACCVRAIZ1.crt\n"));
    Commands.run("chroot", base.toString(), "update-ca-certificates");
  }

  /** Builds the base, the reference and ours; returns the differences by cause. */
  static Map<String, List<String>> run(Path work) throws Exception {
    DebianDemo.Mirrors m = DebianDemo.hostMirrors();
    Path base = work.resolve("base");
    if (!Files.exists(base.resolve("var/lib/dpkg/status"))) {
      Commands.run("rm", "-rf", base.toString());
      DebianDemo.debootstrap(base, m, PACKAGES);
      administer(base);
    }
    Path aptWork = Files.createDirectories(work.resolve("apt-" + System.nanoTime()));
    List<DebianDemo.Upgrade> upgrades = DebianDemo.aptUpgrades(base, aptWork);
    List<String> names = upgrades.stream().map(DebianDemo.Upgrade::name).toList();

    // The reference: real apt-get and dpkg in a chroot of a copy of the base.
    Path reference = work.resolve("reference");
    Commands.run("rm", "-rf", reference.toString());
    Commands.run("cp", "-a", base.toString(), reference.toString());
    Files.copy(Path.of("/etc/resolv.conf"), reference.resolve("etc/resolv.conf"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(reference.resolve("usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n");
    Commands.run("chmod", "755", reference.resolve("usr/sbin/policy-rc.d").toString());
    Commands.run("mount", "--bind", "/proc", reference.resolve("proc").toString());
    Commands.run("mount", "--bind", "/dev", reference.resolve("dev").toString());
    try {
      Commands.run("chroot", reference.toString(), "apt-get", "-q", "update");
      List<String> install = new ArrayList<>(List.of("chroot", reference.toString(), "env",
          "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold",
          "install", "--only-upgrade"));
      install.addAll(names);
      Commands.run(install.toArray(String[]::new));
    } finally {
      Commands.run("umount", reference.resolve("dev").toString());
      Commands.run("umount", reference.resolve("proc").toString());
    }
    Files.deleteIfExists(reference.resolve("usr/sbin/policy-rc.d"));

    // Ours: imagepatch on the same base, unpacked by umoci.
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout-" + System.nanoTime()));
    DebianDemo.image(base, layout, "base", "amd64", 1_700_000_000L);
    Path report = DebianDemo.trivyReport(work.resolve("report.json"), "base", "debian", "12", "amd64", upgrades);
    CliRun r = CliRun.of("patch", "-i", "oci:" + layout.root() + ":base", "-r", report.toString(), "--oci-dir",
        layout.root().toString(), "-t", "patched", "--cache", work.resolve("cache").toString());
    if (r.code() != 0) {
      throw new IllegalStateException(r.out() + r.err());
    }
    Path bundle = work.resolve("ours");
    Commands.run("rm", "-rf", bundle.toString());
    Commands.run("umoci", "unpack", "--image", layout.root() + ":patched", bundle.toString());
    Map<String, List<String>> diff = compare(reference, bundle.resolve("rootfs"));
    Map<String, List<String>> out = new LinkedHashMap<>(diff);
    return out;
  }
}
