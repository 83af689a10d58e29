package dev.imagepatch.cli.e2e;

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

/**
 * The Alpine patch benchmark (run by {@code bench/alpine-patch}): the real Alpine 3.10.3 x86_64
 * minirootfs as an image in a real registry, patched from a signed repository of the real 3.10.9
 * minirootfs's packages (built by {@code apk/make-apk-repository.py}, served on loopback) with a
 * report of the 8 packages that differ: once with a cold package cache, then RUNS times warm,
 * printing wall time (engine time: the JVM is already up), layer bytes pulled and pushed, peak heap
 * and the process's peak RSS.
 */
public final class AlpinePatchBenchmark {
  private AlpinePatchBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-bench-alpine");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Files.createDirectories(work);
    Path old = AlpineFixtures.minirootfs("3.10.3", "x86_64");
    Path next = AlpineFixtures.minirootfs("3.10.9", "x86_64");
    Path run = Files.createTempDirectory(work, "run-");
    Path priv = AlpineFixtures.key(run.resolve("keys"), AlpineFixtures.KEY_NAME);
    Path keyring = run.resolve("keys").resolve(AlpineFixtures.KEY_NAME);
    List<String> names = AlpineFixtures.repositoryNames(old);
    List<List<String>> scripts = new ArrayList<>();
    scripts.add(List.of("--rootfs", next.toString(), "--key", priv.toString(), "--changed-from", old.toString(),
        "--out", run.resolve("repo").resolve(names.get(0)).toString()));
    for (String other : names.subList(1, names.size())) {
      scripts.add(List.of("--empty", "x86_64", "--key", priv.toString(), "--out",
          run.resolve("repo").resolve(other).toString()));
    }
    AlpineFixtures.makeRepositories(scripts);
    RegistryExtension registry = RegistryExtension.open();
    registry.beforeAll(null);
    try (AlpineFixtures.Server server = new AlpineFixtures.Server()) {
      String mirror = server.serve("/alpine", run.resolve("repo"));
      OciLayout layout = OciLayout.openOrCreate(run.resolve("layout"));
      Descriptor image = AlpineFixtures.image(layout, "3.10.3", "x86_64", List.of(AlpineFixtures.Layer.of(old)),
          "minirootfs 3.10.3");
      ImageCopier.create(4, new ImageCopier.Listener() {}).copy(layout, "3.10.3",
          registry.client().repository("alpine"), "3.10.3");
      List<AlpineFixtures.Upgrade> upgrades = AlpineFixtures.upgrades(AlpineFixtures.installed(old),
          AlpineFixtures.installed(next));
      Path report = AlpineFixtures.trivyReport(run.resolve("report.json"), "alpine:3.10.3", "alpine", "3.10.3",
          "amd64", upgrades);
      RepositoryOptions repositories = RepositoryOptions.builder()
          .mirror(AlpineFixtures.repositoriesPrefix(old), mirror).key(keyring).build();
      Path cache = run.resolve("cache");
      System.out.printf(Locale.ROOT, "image: 1 layer, %.1f MiB compressed; %d packages to upgrade; max heap %d MiB%n",
          layoutSize(layout) / 1048576.0, upgrades.size(),
          Runtime.getRuntime().maxMemory() >> 20);
      for (int i = 0; i <= runs; i++) {
        RegistryClient client = registry.client();
        HeapPeaks.reset();
        long start = System.nanoTime();
        PatchResult r = Patcher.create().patch(PatchRequest.builder(client.repository("alpine"), "3.10.3",
            Reports.read(report)).target(client.repository("alpine"), "3.10.3-patched-" + i).cacheDirectory(cache)
            .repositories(repositories).build());
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = HeapPeaks.peakBytes();
        if (!r.stillVulnerable().isEmpty() || r.changes().size() != upgrades.size()) {
          throw new IllegalStateException("the benchmark patch did not fix everything: " + r.stillVulnerable());
        }
        System.out.printf(Locale.ROOT, "%s: %.2f s wall, pulled %.1f MiB, pushed %.1f MiB (patch layer %.1f MiB),"
                + " %d packages, peak heap %.0f MiB, peak RSS %d MiB%n",
            i == 0 ? "cold cache (first in this JVM)" : "warm run " + i, seconds,
            client.stats().bytesDownloaded() / 1048576.0, client.stats().bytesUploaded() / 1048576.0,
            r.layer().orElseThrow().size() / 1048576.0, r.changes().size(), peak / 1048576.0, HeapPeaks.peakRssMiB());
      }
    } finally {
      registry.afterAll(null);
    }
  }

  private static long layoutSize(OciLayout layout) throws Exception {
    return ((dev.imagepatch.oci.Manifest) layout.fetchManifest("3.10.3")).layers().stream()
        .mapToLong(Descriptor::size).sum();
  }
}
