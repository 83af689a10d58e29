package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.DigestMismatchException;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.FaultProxy;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Faults injected between the client and a real registry: retried, waited for, or refused clearly. */
class RegistryFaultTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  private static final String MANIFEST_PATH = "/v2/faults/app/manifests/.*";
  private static final RetryPolicy QUICK =
      RetryPolicy.of(4, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(5));

  @TempDir
  Path temp;

  private FaultProxy proxy;
  private Manifest image;
  private OciLayout source;

  @BeforeEach
  void pushAnImage() throws Exception {
    proxy = FaultProxy.start(registry.host());
    source = OciLayout.openOrCreate(temp.resolve("src"));
    image = new RandomImages(31).image(source, "v1", false, Platform.parse("linux/amd64"), 2);
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(source, "v1", registry.client().repository("faults/app"), "v1");
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  private RegistryClient throughProxy(RetryPolicy policy) {
    return RegistryClient.builder(proxy.host()).retryPolicy(policy).build();
  }

  @Test
  void serverErrorThenSuccessIsRetried() throws Exception {
    proxy.fail("GET", MANIFEST_PATH, 1, 500, Map.of());
    Manifest pulled = (Manifest) throughProxy(QUICK).getManifest("faults/app", "v1");
    assertArrayEquals(image.bytes(), pulled.bytes());
    assertEquals(2, proxy.count("GET", MANIFEST_PATH));
  }

  @Test
  void tooManyRequestsWaitsForRetryAfter() throws Exception {
    proxy.fail("GET", MANIFEST_PATH, 1, 429, Map.of("Retry-After", "1"));
    long start = System.nanoTime();
    Manifest pulled = (Manifest) throughProxy(QUICK).getManifest("faults/app", "v1");
    long waitedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertArrayEquals(image.bytes(), pulled.bytes());
    assertTrue(waitedMillis >= 950, "Retry-After: 1 honoured, waited " + waitedMillis + " ms");
  }

  @Test
  void retryAfterBeyondTheBoundFailsAtOnceWithTheStatus() {
    proxy.fail("GET", MANIFEST_PATH, 1, 429, Map.of("Retry-After", "3600"));
    long start = System.nanoTime();
    RegistryException e = assertThrows(RegistryException.class,
        () -> throughProxy(QUICK).getManifest("faults/app", "v1"));
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 5);
    assertEquals(429, e.statusCode());
    assertTrue(e.getMessage().contains("fault injected by test proxy"), e.getMessage());
  }

  @Test
  void persistentServerErrorGivesUpWithinTheBound() {
    proxy.fail("GET", MANIFEST_PATH, 100, 503, Map.of());
    RegistryException e = assertThrows(RegistryException.class,
        () -> throughProxy(QUICK).getManifest("faults/app", "v1"));
    assertEquals(503, e.statusCode());
    assertEquals(4, proxy.count("GET", MANIFEST_PATH), "maxAttempts");
    assertTrue(e.getMessage().contains("faults/app") && e.getMessage().contains(proxy.host()), e.getMessage());
  }

  @Test
  void connectionRefusedIsAClearErrorWithinTheBound() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RegistryClient client = RegistryClient.builder("127.0.0.1:" + port)
        .retryPolicy(RetryPolicy.of(10, Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(2)))
        .build();
    long start = System.nanoTime();
    RegistryException e = assertThrows(RegistryException.class, () -> client.getManifest("faults/app", "v1"));
    long elapsed = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertTrue(elapsed < 3000, "gave up within the 2 s bound, took " + elapsed + " ms");
    assertEquals(0, e.statusCode());
    assertTrue(e.getMessage().contains("cannot reach http://127.0.0.1:" + port), e.getMessage());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }

  @Test
  void corruptBlobIsRejectedAndNothingIsWritten() throws Exception {
    proxy.corruptBlobs(true);
    OciLayout target = OciLayout.openOrCreate(temp.resolve("target"));
    assertThrows(DigestMismatchException.class, () -> ImageCopier.create(1, new ImageCopier.Listener() {})
        .copy(throughProxy(QUICK).repository("faults/app"), "v1", target, "v1"));
    try (Stream<Path> files = Files.walk(target.root().resolve("blobs"))) {
      assertEquals(0, files.filter(Files::isRegularFile).count(), "no blob, no temporary file");
    }
    assertEquals(0, target.index().manifests().size(), "no manifest tagged");
  }

  @Test
  void failedUploadIsStartedOver() throws Exception {
    proxy.fail("PUT", "/v2/faults/retried/blobs/uploads/.*", 1, 503, Map.of());
    RegistryClient client = throughProxy(QUICK);
    ImageCopier.create(1, new ImageCopier.Listener() {}).copy(source, "v1", client.repository("faults/retried"), "v1");
    assertArrayEquals(image.bytes(), registry.client().getManifest("faults/retried", "v1").bytes());
    assertEquals(3 + 1, proxy.count("POST", "/v2/faults/retried/blobs/uploads/"), "one upload started twice");
  }
}
