package dev.imagepatch.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlatformTest {
  @ParameterizedTest
  @CsvSource({
      "linux/arm64, linux/arm64/v8, true",
      "linux/arm64/v8, linux/arm64, true",
      "linux/aarch64, linux/arm64, true",
      "linux/arm, linux/arm/v7, true",
      "linux/arm/7, linux/arm/v7, true",
      "linux/arm, linux/arm/v6, false",
      "linux/arm/v6, linux/armel, true",
      "linux/x86_64, linux/amd64, true",
      "linux/amd64, linux/amd64/v1, true",
      "linux/amd64, linux/amd64/v3, false",
      "linux/386, linux/i386, true",
      "linux/amd64, windows/amd64, false",
      "linux/ppc64le, linux/ppc64le, true",
      "linux/riscv64, linux/s390x, false"})
  void matchesWithContainerdNormalization(String want, String candidate, boolean matches) {
    assertEquals(matches, Platform.parse(want).matches(Platform.parse(candidate)));
  }

  @Test
  void readsAndWritesEveryField() throws Exception {
    ObjectNode json = Json.readObject(("{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.17763.1\","
        + "\"os.features\":[\"win32k\"],\"variant\":\"v2\"}").getBytes(), "test");
    Platform p = Platform.fromJson(json, "test");
    assertEquals("10.0.17763.1", p.osVersion().orElseThrow());
    assertEquals(java.util.List.of("win32k"), p.osFeatures());
    assertEquals(json, p.toJson());
    assertFalse(Platform.of("windows", "amd64").normalized().osVersion().isPresent());
    assertTrue(Platform.of("windows", "amd64").matches(p) == false, "variant v2 differs from none");
  }

  @Test
  void missingFieldsAreNamed() throws Exception {
    ObjectNode json = Json.readObject("{\"os\":\"linux\"}".getBytes(), "t");
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
        () -> Platform.fromJson(json, "index sha256:x manifests[1]"));
    assertEquals("index sha256:x manifests[1]: platform.architecture is missing or not a string", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux"));
  }
}
