package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Nothing listens on a loopback port that refuses a connection, so a retry cannot help: the
 * error comes at once, with the default policy's minutes of retries unused. Remote hosts keep
 * their retries (a refused load balancer may be between two back ends).
 */
class RefusedLoopbackTest {
  private static final Duration LIMIT = Duration.ofSeconds(2);

  @Test
  void aManifestFromAClosedLoopbackPortFailsAtOnceNamingRegistryAndOperation() throws Exception {
    String registry = "127.0.0.1:" + closedPort();
    RegistryClient client = RegistryClient.builder(registry).retryPolicy(RetryPolicy.defaults()).build();
    RegistryException e = failsQuickly(() -> client.getManifest("team/app", "1.0"));
    assertEquals(0, e.statusCode());
    assertTrue(e.getMessage().startsWith("get manifest 1.0 in repository team/app on registry " + registry + " failed"),
        e.getMessage());
    assertTrue(e.getMessage().contains("cannot reach http://" + registry + " (connection refused) after 1 attempt"),
        e.getMessage());
  }

  @Test
  void anUploadToAClosedLoopbackPortIsNotStartedOver() throws Exception {
    String registry = "localhost:" + closedPort();
    RegistryClient client = RegistryClient.builder(registry).retryPolicy(RetryPolicy.defaults()).build();
    byte[] blob = {1, 2, 3};
    Descriptor descriptor = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256(blob), blob.length);
    RegistryException e = failsQuickly(() -> client.pushBlob("team/app", descriptor, () -> new ByteArrayInputStream(blob)));
    assertTrue(e.getMessage().contains("upload blob " + descriptor.digest()), e.getMessage());
    assertTrue(e.getMessage().contains("on registry " + registry), e.getMessage());
    assertTrue(e.getMessage().contains("after 1 attempt"), e.getMessage());
  }

  @Test
  void onlyARefusedLoopbackConnectionIsFinal() {
    IOException refused = new IOException(new ConnectException());
    assertFalse(Failures.isTransient(refused, URI.create("http://127.0.0.1:5000/v2/")));
    assertFalse(Failures.isTransient(refused, URI.create("http://127.1.2.3:5000/v2/")));
    assertFalse(Failures.isTransient(refused, URI.create("http://localhost:5000/v2/")));
    assertFalse(Failures.isTransient(refused, URI.create("http://[::1]:5000/v2/")));
    assertTrue(Failures.isTransient(refused, URI.create("https://registry.example/v2/")));
    assertTrue(Failures.isTransient(refused, URI.create("https://10.0.0.1:5000/v2/")));
    // A connect timeout is not a refusal: something may be there, only slow.
    IOException timeout = new ConnectException("timed out");
    timeout.initCause(new HttpConnectTimeoutException("connect timed out"));
    assertTrue(Failures.isTransient(timeout, URI.create("http://127.0.0.1:5000/v2/")));
  }

  private static RegistryException failsQuickly(Executable call) {
    long start = System.nanoTime();
    RegistryException e = assertThrows(RegistryException.class, call);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    System.out.println("refused loopback: failed in " + took.toMillis() + " ms");
    assertTrue(took.compareTo(LIMIT) < 0, "failed in " + took.toMillis() + " ms, limit " + LIMIT.toMillis() + " ms");
    return e;
  }

  /** A loopback port with nothing listening: bound to find it, then closed. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
