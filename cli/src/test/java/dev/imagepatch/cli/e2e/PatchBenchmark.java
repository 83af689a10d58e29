package dev.imagepatch.cli.e2e;

import dev.imagepatch.testing.HeapPeaks;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.report.Reports;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The full-Debian patch benchmark (run by {@code bench/debian-patch}): a debootstrap image in a
 * real registry, patched once to warm the package cache, then patched RUNS times, printing wall
 * time, layer bytes pulled against the image size, bytes pushed, peak heap and peak RSS.
 */
public final class PatchBenchmark {
  private PatchBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-bench");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Files.createDirectories(work);
    RegistryExtension registry = RegistryExtension.open();
    registry.beforeAll(null);
    try {
      DebianDemo.Mirrors mirrors = DebianDemo.hostMirrors();
      Path rootfs = work.resolve("rootfs");
      if (!Files.exists(rootfs.resolve("var/lib/dpkg/status"))) {
        DebianDemo.debootstrap(rootfs, mirrors, List.of("openssl", "libssl3", "curl", "libexpat1", "ca-certificates",
            "nginx"));
      }
      OciLayout layout = OciLayout.openOrCreate(work.resolve("layout-" + System.nanoTime()));
      Manifest base = DebianDemo.image(rootfs, layout, "12", "amd64", 1_700_000_000L);
      long imageSize = base.layers().stream().mapToLong(Descriptor::size).sum();
      RegistryClient pusher = registry.client();
      ImageCopier.create(4, new ImageCopier.Listener() {}).copy(layout, "12", pusher.repository("debian"), "12");
      Path apt = work.resolve("apt-" + System.nanoTime());
      List<DebianDemo.Upgrade> upgrades = DebianDemo.aptUpgrades(rootfs, Files.createDirectories(apt));
      Path report = DebianDemo.trivyReport(work.resolve("report.json"), "debian:12", "debian", "12", "amd64",
          upgrades);
      Path cache = work.resolve("cache");
      System.out.printf(Locale.ROOT, "image: 1 layer, %.1f MiB compressed; %d packages to upgrade; max heap %d MiB%n",
          imageSize / 1048576.0, upgrades.size(), Runtime.getRuntime().maxMemory() >> 20);
      for (int run = 0; run <= runs; run++) {
        RegistryClient client = registry.client();
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        PatchResult r = Patcher.create().patch(PatchRequest.builder(client.repository("debian"), "12",
            Reports.read(report)).target(client.repository("debian"), "12-patched-" + run).cacheDirectory(cache)
            .build());
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            peak += pool.getPeakUsage().getUsed();
          }
        }
        if (!r.stillVulnerable().isEmpty() || r.changes().isEmpty()) {
          throw new IllegalStateException("the benchmark patch did not fix everything: " + r.stillVulnerable());
        }
        System.out.printf(Locale.ROOT, "%s: %.1f s wall, pulled %.1f MiB (%.0f%% of the image), pushed %.1f MiB"
                + " (patch layer %.1f MiB), %d packages, peak heap %.0f MiB, peak RSS %d MiB%n",
            run == 0 ? "cold cache" : "warm run " + run, seconds, client.stats().bytesDownloaded() / 1048576.0,
            100.0 * client.stats().bytesDownloaded() / imageSize, client.stats().bytesUploaded() / 1048576.0,
            r.layer().orElseThrow().size() / 1048576.0, r.changes().size(), peak / 1048576.0,
            HeapPeaks.peakRssMiB());
      }
    } finally {
      registry.afterAll(null);
    }
  }
}
