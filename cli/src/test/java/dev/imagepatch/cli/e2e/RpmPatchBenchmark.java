package dev.imagepatch.cli.e2e;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.report.Reports;
import dev.imagepatch.testing.HeapPeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The RPM patch benchmark (run by {@code bench/rpm-patch}): the end-to-end test's image (a base
 * installed by real {@code dnf --installroot} from the rpmbuild-made, rpmsign-signed package world,
 * SQLite database) in a real registry, patched from the world's signed repositories on loopback
 * with a Trivy report of the packages the test upgrades: once with a cold package cache, then RUNS
 * times warm, printing engine wall time (the JVM is already up), layer bytes pulled and pushed, peak
 * heap and the process's peak RSS. Beside it, the same upgrade by real {@code dnf --installroot}
 * for scale (dnf's own process, metadata already cached).
 */
public final class RpmPatchBenchmark {
  private RpmPatchBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-bench-rpm");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    RpmFixtures.run(Map.of(), "rm", "-rf", work.toString());
    Files.createDirectories(work);
    RpmFixtures.requireTools();
    RpmFixtures.World world = RpmFixtures.World.build(work.resolve("world"));
    RegistryExtension registry = RegistryExtension.open();
    registry.beforeAll(null);
    try (RpmFixtures.Server server = RpmFixtures.Server.start(world.www())) {
      Path base = RpmFixtures.installBase(world, work.resolve("base"), server.base());
      OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
      RpmFixtures.image(base, layout, "9");
      ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "9",
          registry.client().repository("testlinux"), "9");
      Map<String, String> before = evrs(world, base);
      Path reference = RpmFixtures.copy(base, work.resolve("reference"));
      List<String> dnfArgs = new ArrayList<>(List.of("upgrade"));
      dnfArgs.addAll(RpmFixtures.UPGRADED);
      long dnfStart = System.nanoTime();
      world.dnf(reference, server.base(), Map.of("SOURCE_DATE_EPOCH", Long.toString(RpmFixtures.CREATED)),
          dnfArgs.toArray(String[]::new));
      double dnfSeconds = (System.nanoTime() - dnfStart) / 1e9;
      Map<String, String> after = evrs(world, reference);
      List<DebianDemo.Upgrade> upgrades = new ArrayList<>();
      for (String name : RpmFixtures.UPGRADED) {
        upgrades.add(new DebianDemo.Upgrade(name, before.get(name), after.get(name)));
      }
      Path report = DebianDemo.trivyReport(work.resolve("report.json"), "testlinux:9", "redhat", "9.4", "amd64",
          upgrades);
      RepositoryOptions repositories = RepositoryOptions.builder()
          .mirror(RpmFixtures.ARCHIVE, server.base() + "good/").build();
      Path cache = work.resolve("cache");
      System.out.printf(Locale.ROOT, "image: 1 layer, %.1f MiB compressed; %d packages requested;"
              + " real dnf --installroot upgrade of the same: %.2f s; max heap %d MiB%n",
          layoutSize(layout) / 1048576.0, upgrades.size(), dnfSeconds, Runtime.getRuntime().maxMemory() >> 20);
      for (int i = 0; i <= runs; i++) {
        RegistryClient client = registry.client();
        HeapPeaks.reset();
        long start = System.nanoTime();
        PatchResult r = Patcher.create().patch(PatchRequest.builder(client.repository("testlinux"), "9",
            Reports.read(report)).target(client.repository("testlinux"), "9-patched-" + i).cacheDirectory(cache)
            .repositories(repositories).build());
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = HeapPeaks.peakBytes();
        if (!r.stillVulnerable().isEmpty() || r.changes().size() < upgrades.size()) {
          throw new IllegalStateException("the benchmark patch did not fix everything: " + r.stillVulnerable());
        }
        System.out.printf(Locale.ROOT, "%s: %.2f s wall, pulled %.1f MiB, pushed %.1f MiB (patch layer %.1f MiB),"
                + " %d changes, peak heap %.0f MiB, peak RSS %d MiB%n",
            i == 0 ? "cold cache (first in this JVM)" : "warm run " + i, seconds,
            client.stats().bytesDownloaded() / 1048576.0, client.stats().bytesUploaded() / 1048576.0,
            r.layer().orElseThrow().size() / 1048576.0, r.changes().size(), peak / 1048576.0,
            HeapPeaks.peakRssMiB());
      }
    } finally {
      registry.afterAll(null);
    }
  }

  private static Map<String, String> evrs(RpmFixtures.World world, Path root) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (String line : world.rpm(root, "-qa", "--qf", "%{NAME} %{EVR}\\n").split("\n")) {
      String[] f = line.split(" ");
      out.put(f[0], f[1]);
    }
    return out;
  }

  private static long layoutSize(OciLayout layout) throws Exception {
    return ((dev.imagepatch.oci.Manifest) layout.fetchManifest("9")).layers().stream()
        .mapToLong(Descriptor::size).sum();
  }
}
