package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.FaultProxy;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two registry hosts (two fault proxies before one real registry) shared by the clients of one
 * run through {@link RegistryLimits}: a Retry-After from one host pauses that host only, for
 * every client, and is waited out as asked; the per-registry limit holds at the proxy. Times
 * are checked from below (nothing sent before the pause ends), and from above only where a
 * second's slack separates right from wrong, so a loaded machine cannot fail them.
 */
class RegistryPacingTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  private static final String MANIFESTS = "/v2/pacing/[a-z]+/manifests/.*";
  private static final RetryPolicy POLICY =
      RetryPolicy.of(4, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(20));

  @TempDir
  static Path temp;

  private static Manifest image;

  private FaultProxy slow;
  private FaultProxy fast;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeAll
  static void pushImages() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("src"));
    image = new RandomImages(17).image(source, "v1", false, Platform.parse("linux/amd64"), 2);
    for (String repository : List.of("pacing/slow", "pacing/other", "pacing/fast")) {
      ImageCopier.create(2, new ImageCopier.Listener() {})
          .copy(source, "v1", registry.client().repository(repository), "v1");
    }
  }

  @BeforeEach
  void startProxies() throws Exception {
    slow = FaultProxy.start(registry.host());
    fast = FaultProxy.start(registry.host());
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    slow.close();
    fast.close();
  }

  private static RegistryClient client(FaultProxy proxy, RegistryLimits limits) {
    return RegistryClient.builder(proxy.host()).retryPolicy(POLICY).limits(limits).build();
  }

  @Test
  void retryAfterFromOneHostPausesThatHostOnlyForEveryClientOfTheRun() throws Exception {
    RegistryLimits run = RegistryLimits.of(4);
    slow.fail("GET", "/v2/pacing/slow/manifests/.*", 1, 429, Map.of("Retry-After", "2"));
    RegistryClient first = client(slow, run);
    RegistryClient second = client(slow, run);
    RegistryClient other = client(fast, run);

    Future<?> throttled = pool.submit(() -> first.getManifest("pacing/slow", "v1"));
    long until = awaitPause(run, slow.host());
    // Another client of the run, another repository, the same host: it waits for the pause too.
    Future<?> sameHost = pool.submit(() -> second.getManifest("pacing/other", "v1"));
    // The other host is served meanwhile, as often as the pause leaves time for.
    int pulls = 0;
    long otherStart = System.nanoTime();
    while (pulls < 2 || until - System.nanoTime() > Duration.ofMillis(500).toNanos()) {
      assertArrayEquals(image.bytes(), other.getManifest("pacing/fast", "v1").bytes());
      pulls++;
      if (pulls >= 50) {
        break;
      }
    }
    long otherMillis = Duration.ofNanos(System.nanoTime() - otherStart).toMillis();
    throttled.get();
    sameHost.get();

    List<Long> paused = slow.arrivals("GET", MANIFESTS);
    assertEquals(3, paused.size(), "the 429, its retry and the other client's pull");
    long waited = Duration.ofNanos(paused.get(1) - paused.get(0)).toMillis();
    assertTrue(waited >= 2000, "Retry-After: 2 honoured, the retry came " + waited + " ms after the 429");
    assertTrue(waited < 2000 + 1500, "the pause was waited once, not twice: " + waited + " ms");
    for (long arrival : paused.subList(1, paused.size())) {
      assertTrue(arrival - until >= 0, "no request to the paused host before its pause ended");
    }
    List<Long> served = fast.arrivals("GET", MANIFESTS);
    assertEquals(pulls, served.size());
    assertTrue(served.get(0) - until < 0 && served.get(1) - until < 0,
        "the other host was served during the pause: " + pulls + " pulls in " + otherMillis + " ms");
    System.out.printf("pacing: retry after %d ms; other host: %d pulls in %d ms during the pause%n",
        waited, pulls, otherMillis);
  }

  @Test
  void anHttpDateRetryAfterIsWaitedFor() throws Exception {
    // Whole seconds, as HTTP-dates have them: between one and two seconds from now.
    Instant when = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(when.atZone(ZoneOffset.UTC));
    slow.fail("GET", MANIFESTS, 1, 503, Map.of("Retry-After", date));
    Manifest pulled = (Manifest) client(slow, RegistryLimits.unlimited()).getManifest("pacing/slow", "v1");
    Instant done = Instant.now();
    assertArrayEquals(image.bytes(), pulled.bytes());
    assertEquals(2, slow.count("GET", MANIFESTS));
    assertTrue(!done.isBefore(when), "retried no earlier than " + date + ", done at " + done);
  }

  @Test
  void aPauseBeyondTheBoundFailsEveryRequestToThatHostAtOnce() throws Exception {
    RegistryLimits run = RegistryLimits.unlimited();
    slow.fail("GET", MANIFESTS, 1, 429, Map.of("Retry-After", "3600"));
    long start = System.nanoTime();
    RegistryException refused = assertThrows(RegistryException.class,
        () -> client(slow, run).getManifest("pacing/slow", "v1"));
    assertEquals(429, refused.statusCode());

    long sent = slow.count("GET", ".*") + slow.count("HEAD", ".*");
    RegistryException held = assertThrows(RegistryException.class,
        () -> client(slow, run).headBlob("pacing/other", image.config().digest()));
    assertEquals(429, held.statusCode());
    assertTrue(held.getMessage().contains(slow.host() + " asked for no requests for another")
        && held.getMessage().contains("Retry-After") && held.getMessage().contains("pacing/other"), held.getMessage());
    assertEquals(sent, slow.count("GET", ".*") + slow.count("HEAD", ".*"), "nothing sent to the paused host");
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 10, "neither waited");

    assertArrayEquals(image.bytes(), client(fast, run).getManifest("pacing/fast", "v1").bytes());
  }

  @Test
  void thePerRegistryLimitIsNeverExceeded() throws Exception {
    RegistryLimits run = RegistryLimits.of(2);
    for (FaultProxy proxy : List.of(slow, fast)) {
      proxy.delay("GET", MANIFESTS, Duration.ofMillis(100));
    }
    List<Future<?>> pulls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      // A client per task, as a run has one per image: the limit is the run's, not a client's.
      for (FaultProxy proxy : List.of(slow, fast)) {
        RegistryClient client = client(proxy, run);
        pulls.add(pool.submit(() -> {
          for (int n = 0; n < 2; n++) {
            assertArrayEquals(image.bytes(), client.getManifest("pacing/slow", "v1").bytes());
          }
          return null;
        }));
      }
    }
    for (Future<?> pull : pulls) {
      pull.get();
    }
    assertEquals(16, slow.count("GET", MANIFESTS));
    assertEquals(2, slow.maxInFlight(), "at most 2 at once on one host, and the limit was reached");
    assertEquals(2, fast.maxInFlight(), "the other host has a limit of its own");
  }

  @Test
  void aCopyWithinOneHostUnderALimitOfOneSucceedsThrough429s() {
    RegistryLimits run = RegistryLimits.of(1);
    slow.refuseMounts(true);
    slow.fail("GET", "/v2/pacing/slow/blobs/.*", 1, 429, Map.of("Retry-After", "1"));
    slow.fail("POST", "/v2/pacing/copy/blobs/uploads/", 1, 429, Map.of("Retry-After", "1"));
    RegistryClient client = client(slow, run);
    // Reading a blob while uploading it to the same host must not wait on itself.
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> ImageCopier.create(4, new ImageCopier.Listener() {})
        .copy(client.repository("pacing/slow"), "v1", client.repository("pacing/copy"), "v1"));
    assertTrue(client.stats().blobsUploaded() >= 3, "uploaded, not mounted: " + client.stats());
    assertEquals(1, slow.maxInFlight());
    assertTrue(slow.count("POST", "/v2/pacing/copy/blobs/uploads/") >= 3 + 3 + 1, "mounts refused, one retried");
    try {
      assertArrayEquals(image.bytes(), registry.client().getManifest("pacing/copy", "v1").bytes());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits until the host is paused; returns when the pause ends, in {@link System#nanoTime()}. */
  private static long awaitPause(RegistryLimits run, String host) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() - deadline < 0) {
      HostGate.Pause pause = run.gate(host).pause();
      if (!pause.left(System.nanoTime()).isZero()) {
        return pause.until();
      }
      Thread.sleep(2);
    }
    throw new AssertionError(host + " was never paused");
  }
}
