package dev.imagepatch.cli.e2e;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.report.Reports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The multi-arch benchmark (run by {@code bench/multiarch-patch}): an amd64 + arm64 distroless
 * index in a real registry, patched for one platform and for both, alternately, with a warm cache;
 * prints the wall times and their ratio (the bar is 1.3).
 */
public final class MultiArchBenchmark {
  private MultiArchBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-bench-multiarch"));
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    RegistryExtension registry = RegistryExtension.open();
    registry.beforeAll(null);
    try {
      DebianDemo.Mirrors m = DebianDemo.hostMirrors();
      OciLayout layout = OciLayout.openOrCreate(work.resolve("layout-" + System.nanoTime()));
      Path reports = Files.createDirectories(work.resolve("reports-" + System.nanoTime()));
      List<Descriptor> entries = new ArrayList<>();
      for (String arch : List.of("amd64", "arm64")) {
        Path rootfs = work.resolve("rootfs-" + arch);
        Path build = work.resolve("build-" + arch + "-" + System.nanoTime());
        java.util.Map<String, String> installed;
        if (!Files.exists(rootfs.resolve("var/lib/dpkg/status.d"))) {
          installed = DistrolessImages.build(rootfs, build, m, arch, MultiArchPatchE2ETest.PACKAGES);
        } else {
          installed = new java.util.TreeMap<>();
          for (Path f : Files.list(rootfs.resolve("var/lib/dpkg/status.d")).toList()) {
            String n = f.getFileName().toString();
            if (!n.endsWith(".md5sums")) {
              for (String line : Files.readAllLines(f)) {
                if (line.startsWith("Version: ")) {
                  installed.put(n, line.substring(9));
                }
              }
            }
          }
        }
        Manifest manifest = DebianDemo.image(rootfs, layout, arch, arch, 1_700_000_000L);
        entries.add(manifest.descriptor().withPlatform(Platform.of("linux", arch)));
        DebianDemo.trivyReport(reports.resolve(arch + ".json"), "bench", "debian", "12", arch,
            DistrolessImages.upgrades(installed, build.resolve("apt"), m, arch));
      }
      Index index = Index.create(MediaTypes.OCI_INDEX, entries);
      layout.putManifest(index, "12");
      ImageCopier.create(4, new ImageCopier.Listener() {}).copy(layout, "12", registry.client().repository("bench"), "12");
      Path cache = work.resolve("cache");
      time(registry, reports, cache, m, null, "warm-up");
      double[] one = new double[runs];
      double[] two = new double[runs];
      for (int i = 0; i < runs; i++) {
        one[i] = time(registry, reports, cache, m, Platform.parse("linux/amd64"), "one-" + i);
        two[i] = time(registry, reports, cache, m, null, "two-" + i);
        System.out.printf(Locale.ROOT, "run %d: one platform %.2f s, two platforms %.2f s%n", i + 1, one[i], two[i]);
      }
      Arrays.sort(one);
      Arrays.sort(two);
      System.out.printf(Locale.ROOT, "median: one platform %.2f s, two platforms %.2f s, ratio %.2f (bar 1.30)%n",
          one[runs / 2], two[runs / 2], two[runs / 2] / one[runs / 2]);
    } finally {
      registry.afterAll(null);
    }
  }

  private static double time(RegistryExtension registry, Path reports, Path cache, DebianDemo.Mirrors m,
      Platform only, String tag) throws Exception {
    RegistryClient client = registry.client();
    PatchRequest.Builder b = PatchRequest.builder(client.repository("bench"), "12").reports(Reports.readDirectory(reports))
        .target(client.repository("bench"), tag).cacheDirectory(cache);
    String signed = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ";
    b.repositories(dev.imagepatch.patch.RepositoryOptions.builder().extraRepository(signed + m.archive() + " bookworm main")
        .extraRepository(signed + m.archive() + " bookworm-updates main")
        .extraRepository(signed + m.security() + " bookworm-security main").build());
    if (only != null) {
      b.platform(only);
    }
    long start = System.nanoTime();
    PatchResult r = Patcher.create().patch(b.build());
    double seconds = (System.nanoTime() - start) / 1e9;
    if (r.platforms().size() != (only == null ? 2 : 1) || r.platforms().stream().anyMatch(p -> p.changes().isEmpty())) {
      throw new IllegalStateException("unexpected result: " + r.platforms());
    }
    return seconds;
  }
}
