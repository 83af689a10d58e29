package dev.imagepatch.cli;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.cli.demo.DemoImage;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.apt.PackageRecord;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagepatch demo}: a vulnerable Debian 12 image, patched and verified, all in a local OCI layout. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Build a small vulnerable Debian 12 image from the plain bookworm suite's .debs into an OCI layout,"
        + " find what bookworm-security and bookworm-updates fix in it (with the CVE ids the fixed packages'"
        + " Debian changelogs name), patch it, and verify the patched image's own dpkg database.",
        "Needs no root, registry or Docker: the Debian mirror is the one this machine's apt sources name, and"
        + " Release signatures are checked with this machine's Debian keyring."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", paramLabel = "DIR",
      description = "Working directory: the OCI layout and the report (default $XDG_CACHE_HOME/imagepatch/demo,"
          + " else ~/.cache/imagepatch/demo).")
  Path dir;

  @Option(names = "--cache", paramLabel = "DIR", description = "Package cache, shared with patch (default ~/.cache/imagepatch).")
  Path cache;

  @Option(names = "--archive", paramLabel = "URI",
      description = "The Debian archive to use (default: the bookworm archive this machine's apt sources name).")
  String archive;

  @Option(names = "--security-archive", paramLabel = "URI",
      description = "The Debian security archive (default: the one this machine's apt sources name for bookworm-security).")
  String securityArchive;

  @Option(names = "--verbose", description = "Pass --verbose to the patch: list every maintainer script not run.")
  boolean verbose;

  @Spec
  CommandSpec spec;

  private long start;

  @Override
  public Integer call() throws Exception {
    start = System.nanoTime();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String arch = switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> throw new IllegalArgumentException("the demo builds for amd64 or arm64 hosts; this one is "
          + System.getProperty("os.arch"));
    };
    if (!Files.isRegularFile(DemoImage.DEBIAN_KEYRING)) {
      throw new IllegalStateException("the demo checks Debian's Release signatures with " + DemoImage.DEBIAN_KEYRING
          + ", which is missing: install the debian-archive-keyring package");
    }
    DebianDemo.Mirrors mirrors = archive != null && securityArchive != null
        ? new DebianDemo.Mirrors(strip(archive), strip(securityArchive)) : hostMirrors();
    Path cacheRoot = cache != null ? cache : ContentCache.defaultRoot();
    Path work = Files.createDirectories((dir != null ? dir : ContentCache.defaultRoot().resolve("demo")).toAbsolutePath());
    // What an earlier run left: the demo's own subdirectories only, never anything else of --dir.
    for (String own : List.of("layout", "staging")) {
      deleteTree(work.resolve(own));
    }

    step(err, "reading bookworm, bookworm-updates and bookworm-security of " + mirrors.archive() + " and "
        + mirrors.security() + " (Release signatures checked with " + DemoImage.DEBIAN_KEYRING + ")");
    ContentCache contentCache = new ContentCache(cacheRoot);
    DemoImage.Suites suites = DemoImage.suites(mirrors, arch, contentCache, DemoImage.http());
    List<PackageRecord> packages = DemoImage.resolve(suites.plainIndex(), DemoImage.ROOTS, arch);
    long size = packages.stream().mapToLong(PackageRecord::size).sum();
    step(err, "fetching " + packages.size() + " .debs of bookworm (" + mb(size) + ", each checked against the index's"
        + " SHA256): " + String.join(", ", DemoImage.ROOTS) + " and their dependencies");
    List<Path> debs = DemoImage.fetchAll(suites, packages);

    Path layoutDir = work.resolve("layout");
    String image = "oci:" + layoutDir + ":12";
    step(err, "writing " + image + ": one layer with the " + packages.size() + " packages' files and dpkg's database"
        + " (no maintainer scripts run, as for distroless images)");
    OciLayout layout = OciLayout.openOrCreate(layoutDir);
    Path staging = Files.createDirectories(work.resolve("staging"));
    Path blob = staging.resolve("layer.tar.gz");
    try {
      long created = suites.plainDate().getEpochSecond();
      DemoImage.Layer layer = DemoImage.layer(packages, debs, Map.of("etc/apt/sources.list.d/debian.sources",
          DebianDemo.imageSources(mirrors).getBytes(java.nio.charset.StandardCharsets.UTF_8)), staging, blob, created);
      DebianDemo.image(blob, layer.written(), layout, "12", arch, created, "imagepatch demo: "
          + packages.size() + " bookworm packages");
    } finally {
      deleteTree(staging);
    }

    step(err, "reading the Debian changelogs of what bookworm-security and bookworm-updates upgrade");
    List<DemoImage.Upgrade> upgrades = DemoImage.upgrades(suites, packages, m -> step(err, m));
    if (upgrades.isEmpty()) {
      out.println("bookworm-security and bookworm-updates upgrade none of the demo's packages today: nothing to patch.");
      return 0;
    }
    Path report = work.resolve("report.json");
    DemoImage.trivyReport(report, image, arch, upgrades);
    long cves = upgrades.stream().flatMap(u -> u.cves().stream()).distinct().count();
    step(err, "wrote " + report + ": " + upgrades.size() + " packages to upgrade, " + cves + " CVEs named by their"
        + " changelogs");

    step(err, "imagepatch patch -i " + image + " -r " + report + " --oci-dir " + layoutDir + " -t 12-patched");
    out.println("The vulnerable image: " + image + " (" + packages.size() + " packages of bookworm)");
    out.println("What bookworm-security and bookworm-updates fix in it, from each fixed package's changelog"
        + " (entries after the installed version):");
    for (DemoImage.Upgrade u : upgrades) {
      out.printf("  %-16s %-20s -> %-22s %s%n", u.name(), u.from(), u.to(), wrap(u.why(), 66, 67));
    }
    out.println();
    out.flush();
    List<String> args = new ArrayList<>(List.of("patch", "-i", image, "-r", report.toString(), "--oci-dir",
        layoutDir.toString(), "-t", "12-patched", "--cache", cacheRoot.toString()));
    if (verbose) {
      args.add("--verbose");
    }
    int code = Main.run(args.toArray(String[]::new), out, err);
    if (code != 0) {
      return code;
    }

    step(err, "verifying: reading /var/lib/dpkg/status back from the layers of oci:" + layoutDir + ":12-patched");
    Map<String, String> patched = DemoImage.installedVersions(OciLayout.open(layoutDir), "12-patched");
    List<String> behind = new ArrayList<>();
    for (DemoImage.Upgrade u : upgrades) {
      String v = patched.get(u.name());
      if (v == null || DebianVersion.ORDER.compare(v, u.to()) < 0) {
        behind.add(u.name() + " is at " + (v == null ? "(not installed)" : v) + ", not " + u.to());
      }
    }
    out.println();
    if (!behind.isEmpty()) {
      out.println("NOT verified: the patched image's own dpkg database (read back from the written layout) shows "
          + String.join("; ", behind));
      out.flush();
      return 1;
    }
    long noCve = upgrades.stream().filter(u -> u.cves().isEmpty()).count();
    out.printf("Verified: the patched image's own dpkg database (/var/lib/dpkg/status, read back from the layers"
        + " written to oci:%s:12-patched) shows all %d upgraded packages at or above the fixed versions: %d CVEs"
        + " fixed%s.%n", layoutDir, upgrades.size(), cves, noCve == 0 ? ""
            : ", and " + noCve + " upgrade" + (noCve == 1 ? "" : "s") + " whose changelog names no CVE");
    out.printf(Locale.ROOT, "Done in %.0f s. Images: %s and oci:%s:12-patched; report: %s.%n", seconds(), image,
        layoutDir, report);
    out.flush();
    return 0;
  }

  private void step(PrintWriter err, String message) {
    err.printf(Locale.ROOT, "[demo %4.1fs] %s%n", seconds(), message);
    err.flush();
  }

  private double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  private static DebianDemo.Mirrors hostMirrors() throws IOException {
    try {
      return DebianDemo.hostMirrors();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("this machine's apt sources name no bookworm and bookworm-security archive;"
          + " give the demo a Debian mirror with --archive URI --security-archive URI");
    }
  }

  /** Text broken at blanks into lines of at most {@code width}, continued after {@code indent} blanks. */
  static String wrap(String text, int width, int indent) {
    StringBuilder out = new StringBuilder();
    int line = 0;
    for (String word : text.split(" ")) {
      if (line > 0 && line + 1 + word.length() > width) {
        out.append('\n').append(" ".repeat(indent));
        line = 0;
      } else if (line > 0) {
        out.append(' ');
        line++;
      }
      out.append(word);
      line += word.length();
    }
    return out.toString();
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  private static String strip(String uri) {
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
