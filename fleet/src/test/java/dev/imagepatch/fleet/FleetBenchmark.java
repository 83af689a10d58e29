package dev.imagepatch.fleet;

import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RegistryLimits;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;

/**
 * bench/fleet-patch: FleetRunTest's shape of fleet (60 images on two shared Debian base layers, 8 of
 * them multi-arch, 22 already current) in a real registry, patched update-all from a loopback APT
 * repository: cold (empty package cache), then the same fleet again (every image skipped), then a
 * second fleet of the same shape with the cache warm. Prints images per minute and the times.
 */
public final class FleetBenchmark {
  private FleetBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("imagepatch-bench-fleet-");
    int parallel = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    RegistryExtension registry = RegistryExtension.open();
    registry.beforeAll(null);
    try (FixtureAptRepository apt = FixtureAptRepository.start()) {
      RegistryClient client = registry.clientBuilder().limits(RegistryLimits.of(parallel)).build();
      FleetFixture fleet = new FleetFixture(work, apt, client);
      Path cold = list(work, "cold", registry.host(), fleet);
      Path warm = list(work, "warm", registry.host(), fleet);
      FleetResult first = run(FleetConfig.read(cold), client, work, parallel);
      FleetResult second = run(FleetConfig.read(cold), client, work, parallel);
      FleetResult third = run(FleetConfig.read(warm), client, work, parallel);
      System.out.println(FleetOutputs.counts(first));
      System.out.println(FleetOutputs.counts(second));
      System.out.println(FleetOutputs.counts(third));
      System.out.printf(Locale.ROOT, "cold:       %5.1f images/minute (%d images in %.2fs, %d patched)%n",
          perMinute(first), first.images().size(), first.duration().toMillis() / 1000.0,
          first.withStatus(FleetResult.Status.PATCHED).size());
      System.out.printf(Locale.ROOT, "second run: %.2fs (%.0f%% of the cold run), %d bytes pushed%n",
          second.duration().toMillis() / 1000.0, 100.0 * second.duration().toMillis() / first.duration().toMillis(),
          second.bytesPushed());
      System.out.printf(Locale.ROOT, "warm:       %5.1f images/minute (%d images in %.2fs, %d patched)%n",
          perMinute(third), third.images().size(), third.duration().toMillis() / 1000.0,
          third.withStatus(FleetResult.Status.PATCHED).size());
    } finally {
      registry.afterAll(null);
    }
  }

  private static Path list(Path work, String name, String host, FleetFixture fleet) throws Exception {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      String repo = name + "/app-" + i;
      if (i < 20 || (i >= 28 && i < 38)) {
        fleet.push(repo, "1.0", fleet.oldBase);
      } else if (i < 28) {
        fleet.push(repo, "1.0", fleet.oldBase, fleet.oldArm);
      } else {
        fleet.push(repo, "1.0", fleet.newBase);
      }
      list.append(host).append('/').append(repo).append(":1.0\n");
    }
    return Files.writeString(work.resolve(name + ".txt"), list);
  }

  private static FleetResult run(FleetConfig config, RegistryClient client, Path work, int parallel) throws Exception {
    return FleetRun.builder(config, h -> client).parallel(parallel).perRegistry(parallel)
        .cacheDirectory(work.resolve("cache")).clock(Clock.systemUTC()).build().run();
  }

  private static double perMinute(FleetResult r) {
    return r.images().size() * 60_000.0 / Math.max(1, r.duration().toMillis());
  }
}
