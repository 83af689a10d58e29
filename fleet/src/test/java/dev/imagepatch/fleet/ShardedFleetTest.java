package dev.imagepatch.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.fleet.FleetResult.ImageResult;
import dev.imagepatch.fleet.FleetResult.Status;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RegistryLimits;
import dev.imagepatch.oci.testing.FaultProxy;
import dev.imagepatch.oci.testing.RegistryExtension;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same 12-image fleet run once whole and once as 4 shards recording their results in the
 * registry, then collected: the same statuses, tags, digests list and exit code, and every image
 * patched exactly once (the manifest PUTs counted at a proxy in front of each). And a shard that
 * died after a few images, run again, redoes only the rest.
 */
class ShardedFleetTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();
  @RegisterExtension
  static final FixtureAptRepository apt = FixtureAptRepository.start();
  @TempDir
  static Path work;

  private static final String RESULTS = "ops/imagepatch-results";

  @Test
  void fourShardsCollectedMatchOneRun() throws Exception {
    FleetFixture fleet = new FleetFixture(work, apt, registry.client());
    for (String ns : List.of("one", "many")) {
      for (int i = 0; i < 12; i++) {
        String repo = ns + "/app-" + i;
        if (i < 6) {
          fleet.push(repo, "1.0", fleet.oldBase);
        } else if (i < 10) {
          fleet.push(repo, "1.0", fleet.newBase);
        } else if (i == 10) {
          fleet.push(repo, "1.0", fleet.unreachable);
        } else {
          fleet.push(repo, "1.0", fleet.oldBase, fleet.oldArm);
        }
      }
    }
    try (FaultProxy oneProxy = FaultProxy.start(registry.host()); FaultProxy manyProxy = FaultProxy.start(registry.host())) {
      RegistryClient one = RegistryClient.builder(oneProxy.host()).limits(RegistryLimits.of(4)).build();
      RegistryClient many = RegistryClient.builder(manyProxy.host()).limits(RegistryLimits.of(4)).build();
      FleetConfig oneConfig = FleetConfig.parse(list(oneProxy.host(), "one", 12), "images.txt");
      String manyText = list(manyProxy.host(), "many", 12);
      FleetConfig manyConfig = FleetConfig.parse(manyText, "images.txt");

      FleetResult single = builder(oneConfig, one).build().run();

      ShardResults results = new ShardResults(many, RESULTS, manyText.getBytes(StandardCharsets.UTF_8));
      ExecutorService shards = Executors.newFixedThreadPool(4);
      List<Future<FleetResult>> running = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int index = i;
        running.add(shards.submit(() -> builder(manyConfig, many).parallel(2).shard(index, 4).results(results).build().run()));
      }
      int shardTotal = 0;
      for (Future<FleetResult> f : running) {
        shardTotal += f.get().images().size();
      }
      shards.shutdown();
      assertEquals(12, shardTotal, "every image on exactly one shard");
      FleetResult collected = results.collect(4, FleetRunTest.DAY.instant().atZone(java.time.ZoneOffset.UTC).toLocalDate());

      assertEquals(statuses(single), statuses(collected), FleetOutputs.table(collected));
      assertEquals(single.exitCode(), collected.exitCode());
      assertEquals(FleetResult.FAILED, collected.exitCode());
      assertEquals(normalized(FleetOutputs.digests(single), oneProxy.host(), "one"),
          normalized(FleetOutputs.digests(collected), manyProxy.host(), "many"));
      assertEquals(6 + 1, FleetOutputs.digests(collected).lines().count());
      for (int i = 0; i < 12; i++) {
        assertEquals(sorted(one.listTags("one/app-" + i)), sorted(many.listTags("many/app-" + i)), "app-" + i);
        // Exactly once: the sharded fleet wrote each repository's manifests as often as the single run did.
        assertEquals(oneProxy.arrivals("PUT", "/v2/one/app-" + i + "/manifests/.*").size(),
            manyProxy.arrivals("PUT", "/v2/many/app-" + i + "/manifests/.*").size(), "app-" + i);
      }
      assertTrue(manyProxy.arrivals("PUT", "/v2/many/app-0/manifests/.*").size() >= 1);

      // A shard that did not report fails the collect, naming it.
      FleetResult missing = results.collect(5, LocalDate.of(2026, 5, 9));
      assertTrue(FleetOutputs.table(missing).contains("shard 0/5 recorded no results"), FleetOutputs.table(missing));
      assertEquals(FleetResult.FAILED, missing.exitCode());
    }
  }

  @Test
  void aShardKilledMidRunRedoesOnlyTheRest() throws Exception {
    FleetFixture fleet = new FleetFixture(work.resolve("resume"), apt, registry.client());
    for (int i = 0; i < 6; i++) {
      fleet.push("resume/app-" + i, "1.0", fleet.oldBase);
    }
    try (FaultProxy proxy = FaultProxy.start(registry.host())) {
      RegistryClient client = RegistryClient.builder(proxy.host()).limits(RegistryLimits.of(4)).build();
      String text = list(proxy.host(), "resume", 6);
      ShardResults results = new ShardResults(client, RESULTS, text.getBytes(StandardCharsets.UTF_8));
      // The shard that died: it had patched and recorded three images, not the other three.
      FleetResult firstHalf = builder(FleetConfig.parse(list(proxy.host(), "resume", 3), "images.txt"), client).build().run();
      ShardAssignment whole = new ShardAssignment(0, 1);
      results.store(whole, firstHalf.images(), LocalDate.of(2026, 5, 9), false);
      assertTrue(FleetOutputs.table(results.collect(1, LocalDate.of(2026, 5, 9))).contains("did not finish"));
      int before = proxy.arrivals("PUT", "/v2/resume/app-[012]/manifests/.*").size();

      FleetResult rerun = builder(FleetConfig.parse(text, "images.txt"), client).results(results).build().run();
      assertEquals(before, proxy.arrivals("PUT", "/v2/resume/app-[012]/manifests/.*").size(), "nothing patched twice");
      assertEquals(6, rerun.withStatus(Status.PATCHED).size(), FleetOutputs.table(rerun));
      FleetResult collected = results.collect(1, LocalDate.of(2026, 5, 9));
      assertEquals(6, collected.withStatus(Status.PATCHED).size(), FleetOutputs.table(collected));
      assertEquals(FleetResult.OK, collected.exitCode());
      for (int i = 3; i < 6; i++) {
        assertTrue(client.listTags("resume/app-" + i).contains("1.0-patched-20260509"), "app-" + i);
      }
    }
  }

  private static FleetRun.Builder builder(FleetConfig config, RegistryClient client) {
    return FleetRun.builder(config, h -> client).parallel(4).perRegistry(4).cacheDirectory(work.resolve("cache"))
        .clock(FleetRunTest.DAY);
  }

  private static String list(String host, String ns, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(host).append('/').append(ns).append("/app-").append(i).append(":1.0\n");
    }
    return b.toString();
  }

  private static Map<Integer, Status> statuses(FleetResult r) {
    Map<Integer, Status> out = new TreeMap<>();
    for (ImageResult i : r.images()) {
      out.put(FleetRunTest.index(i), i.status());
    }
    return out;
  }

  private static List<String> normalized(String digests, String host, String ns) {
    return digests.lines().map(l -> l.replace(host + "/" + ns + "/", "H/").replaceAll("sha256:[0-9a-f]{64}", "D"))
        .sorted().toList();
  }

  private static List<String> sorted(List<String> tags) {
    return tags.stream().sorted().toList();
  }
}
