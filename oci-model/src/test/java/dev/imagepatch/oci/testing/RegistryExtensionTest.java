package dev.imagepatch.oci.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The harness survives the race between finding a free port and the registry binding it. */
class RegistryExtensionTest {
  @Test
  void aPortTakenBeforeTheRegistryBindsItIsReplacedByAnother() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      AtomicInteger asked = new AtomicInteger();
      RegistryExtension registry = RegistryExtension.open(
          () -> asked.getAndIncrement() == 0 ? taken.getLocalPort() : RegistryExtension.freePort());
      try {
        registry.beforeAll(null);
        assertEquals(2, asked.get());
        assertNotEquals(taken.getLocalPort(), registry.port());
        int status = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://" + registry.host() + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        assertEquals(200, status);
      } finally {
        registry.afterAll(null);
      }
    }
  }

  @Test
  void aPortTakenEveryTimeFailsNamingIt() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      RegistryExtension registry = RegistryExtension.open(taken::getLocalPort);
      try {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> registry.beforeAll(null));
        assertTrue(e.getMessage().contains("taken 5 times; last: " + taken.getLocalPort()), e.getMessage());
      } finally {
        registry.afterAll(null);
      }
    }
  }
}
