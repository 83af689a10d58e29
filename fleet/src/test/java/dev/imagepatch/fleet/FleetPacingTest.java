package dev.imagepatch.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.fleet.FleetResult.ImageResult;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RegistryLimits;
import dev.imagepatch.oci.testing.FaultProxy;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry answering 429 with Retry-After slows that registry only: the fleet's images on a second
 * host (the same registry behind another fault proxy) finish before the pause ends, and the run succeeds.
 */
class FleetPacingTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();
  @RegisterExtension
  static final FixtureAptRepository apt = FixtureAptRepository.start();
  @TempDir
  static Path work;

  @Test
  void retryAfterFromOneRegistryPausesItsImagesOnly() throws Exception {
    FleetFixture fleet = new FleetFixture(work, apt, registry.client());
    fleet.push("pace/slow", "1.0", fleet.oldBase);
    for (int i = 0; i < 4; i++) {
      fleet.push("pace/fast-" + i, "1.0", fleet.oldBase);
    }
    try (FaultProxy slow = FaultProxy.start(registry.host()); FaultProxy fast = FaultProxy.start(registry.host())) {
      slow.fail("GET", "/v2/pace/slow/manifests/.*", 1, 429, Map.of("Retry-After", "3"));
      StringBuilder list = new StringBuilder(slow.host() + "/pace/slow:1.0\n");
      for (int i = 0; i < 4; i++) {
        list.append(fast.host()).append("/pace/fast-").append(i).append(":1.0\n");
      }
      RegistryLimits run = RegistryLimits.of(4);
      Map<String, RegistryClient> clients = new ConcurrentHashMap<>();
      FleetResult result = FleetRun.builder(FleetConfig.parse(list.toString(), "images.txt"),
              host -> clients.computeIfAbsent(host, h -> RegistryClient.builder(h).limits(run).build()))
          .parallel(5).perRegistry(4).cacheDirectory(work.resolve("cache")).build().run();

      assertEquals(FleetResult.OK, result.exitCode(), FleetOutputs.table(result));
      assertEquals(5, result.withStatus(FleetResult.Status.PATCHED).size(), FleetOutputs.table(result));
      for (ImageResult r : result.images()) {
        if (r.source().repository().equals("pace/slow")) {
          assertTrue(r.duration().toMillis() >= 3000, "Retry-After: 3 waited out: " + r.duration());
        } else {
          assertTrue(r.duration().toMillis() < 3000, "another registry is not paused: " + r.duration());
        }
      }
    }
  }
}
