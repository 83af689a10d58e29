package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {
  @Test
  void bearerWithQuotedParameters() {
    Challenge c = Challenge.parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
        + "scope=\"repository:samalba/my-app:pull,push\"").orElseThrow();
    assertEquals("bearer", c.scheme());
    assertEquals(Map.of("realm", "https://auth.example/token", "service", "registry.example",
        "scope", "repository:samalba/my-app:pull,push"), c.params());
  }

  @Test
  void basicWithSpacesAndEscapes() {
    Challenge c = Challenge.parse("Basic realm=\"my \\\"quoted\\\" realm\", charset=UTF-8").orElseThrow();
    assertEquals("basic", c.scheme());
    assertEquals("my \"quoted\" realm", c.param("realm"));
    assertEquals("UTF-8", c.param("charset"));
  }

  @Test
  void missingHeader() {
    assertTrue(Challenge.parse(null).isEmpty());
    assertTrue(Challenge.parse("  ").isEmpty());
  }

  @Test
  void loopbackRegistriesAreRecognised() {
    assertTrue(RegistryClient.isLoopback("localhost:5000"));
    assertTrue(RegistryClient.isLoopback("127.0.0.1:5000"));
    assertTrue(RegistryClient.isLoopback("127.1.2.3"));
    assertTrue(RegistryClient.isLoopback("[::1]:5000"));
    assertTrue(!RegistryClient.isLoopback("registry.example:5000"));
    assertTrue(!RegistryClient.isLoopback("10.0.0.1:5000"));
  }
}
