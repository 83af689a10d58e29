package dev.imagepatch.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Normalization cases from Docker's reference package (distribution/reference normalize_test.go). */
class ImageReferenceTest {
  private static final String D = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

  @ParameterizedTest
  @CsvSource({
      "nginx, docker.io, library/nginx, latest",
      "nginx:1.25, docker.io, library/nginx, 1.25",
      "library/nginx, docker.io, library/nginx, latest",
      "docker.io/nginx, docker.io, library/nginx, latest",
      "index.docker.io/nginx:1, docker.io, library/nginx, 1",
      "user/app:v2, docker.io, user/app, v2",
      "localhost/app, localhost, app, latest",
      "localhost:5000/app:tag, localhost:5000, app, tag",
      "127.0.0.1:5000/team/app, 127.0.0.1:5000, team/app, latest",
      "ghcr.io/org/sub/app:1.0-rc.1, ghcr.io, org/sub/app, 1.0-rc.1",
      "[::1]:5000/app:x, [::1]:5000, app, x",
      "Example.com/app, Example.com, app, latest",
      "my-registry.internal:443/a__b/c-d.e, my-registry.internal:443, a__b/c-d.e, latest"})
  void normalizesLikeDocker(String input, String registry, String repository, String tag) {
    ImageReference r = ImageReference.parse(input);
    assertEquals(registry, r.registry());
    assertEquals(repository, r.repository());
    assertEquals(Optional.of(tag), r.tag());
    assertEquals(tag, r.reference());
  }

  @ParameterizedTest
  @ValueSource(strings = {"app@" + D, "localhost:5000/app@" + D})
  void aDigestGetsNoDefaultTag(String input) {
    ImageReference r = ImageReference.parse(input);
    assertEquals(Optional.empty(), r.tag());
    assertEquals(D, r.reference());
  }

  @org.junit.jupiter.api.Test
  void tagAndDigestTogetherKeepBothAndAskByDigest() {
    ImageReference r = ImageReference.parse("localhost:5000/app:1.0@" + D);
    assertEquals(Optional.of("1.0"), r.tag());
    assertEquals(D, r.reference());
    assertEquals("localhost:5000/app:1.0@" + D, r.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|empty",
      "Nginx|must be lowercase",
      "docker.io/Library/nginx|must be lowercase",
      "app:|bad tag",
      "app:-x|bad tag",
      "app@sha256:abc|needs 64 hex",
      "localhost:5000/|no repository",
      "a//b|bad path component",
      "app/|bad path component",
      "-host.com:80/app|bad registry"})
  void invalidReferencesSayWhy(String input, String reason) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(input));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void nameLongerThan255IsRejected() {
    String longName = "a".repeat(250) + "/bbbbbbbb";
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(longName));
  }
}
