package dev.imagepatch.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.Platform;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Copa's documented PatchConfig examples (the bulk-patching guide's schema example and its
 * cross-registry example) parse unchanged and select the tags Copa's guide says; the seed's plain
 * list; templates; and Copa's {@code -patched}, {@code -patched-1}, ... versioning.
 */
class FleetConfigTest {
  // The guide's schema example, as written there.
  static final String COPA_SCHEMA_EXAMPLE = """
      # copa-bulk-config.yaml
      apiVersion: copa.sh/v1alpha1
      kind: PatchConfig

      # Optional: global default target for all images
      target:
        registry: "registry.example/myorg"           # Target registry for patched images
        tag: "{{ .SourceTag }}-patched"     # Tag template (default if omitted)

      images:
        - name: "nginx"
          image: "hub.example/library/nginx"  # Source registry
          tags:
            strategy: "pattern"              # pattern | latest | list
            pattern: "^1\\\\.2[0-9]\\\\.[0-9]+$"
            maxTags: 3                        # optional cap
            exclude: ["1.20.0", "1.20.1"]   # optional skip list
          # Inherits global target (or override per-image)

        - name: "python"
          image: "hub.example/library/python"
          tags:
            strategy: "list"
            list: ["3.9.18", "3.10.13", "3.11.7"]
          # Optional per-image platform filter for multi-arch
          platforms: ["linux/amd64", "linux/arm64"]
          # Optional: override global target for this image
          target:
            registry: "quay.example/special/python"
            tag: "{{ .SourceTag }}-fixed"

        - name: "alpine"
          image: "hub.example/library/alpine"
          tags:
            strategy: "latest"
      """;

  static final String COPA_CROSS_REGISTRY = """
      apiVersion: copa.sh/v1alpha1
      kind: PatchConfig

      # Global target: all patched images go to registry.example/myorg
      target:
        registry: "registry.example/myorg"

      images:
        - name: "redis"
          image: "quay.example/opstree/redis"  # Source: quay.example/opstree/redis
          tags:
            strategy: "list"
            list: ["v8.2.1"]
          # Result: patched image pushed to registry.example/myorg/redis:v8.2.1-patched
      """;

  static final LocalDate DAY = LocalDate.of(2026, 5, 9);

  @Test
  void copasSchemaExampleParsesAndSelectsAsCopaSays() {
    FleetConfig c = FleetConfig.parse(COPA_SCHEMA_EXAMPLE, "copa-bulk-config.yaml");
    assertEquals(3, c.images().size());
    FleetConfig.ImageSpec nginx = c.images().get(0);
    assertEquals("nginx", nginx.name());
    assertEquals("hub.example/library/nginx", nginx.image());
    assertEquals(TagStrategy.Kind.PATTERN, nginx.tags().kind());
    List<String> registry = List.of("latest", "1.19.10", "1.20.0", "1.20.1", "1.20.2", "1.21.6", "1.25.3", "1.25.4",
        "1.26.0", "1.27.1", "1.27.1-alpine", "1.3.0", "mainline");
    // Matches the pattern, minus the excluded, highest versions first, capped at maxTags.
    assertEquals(List.of("1.27.1", "1.26.0", "1.25.4"), TagSelector.select(nginx.tags(), registry, w -> {}));
    assertEquals("registry.example/myorg/nginx:1.27.1", nginx.target(ImageReference.parse("hub.example/library/nginx:1.27.1"))
        .toString());
    assertEquals("1.27.1-patched", nginx.targetTag().render("1.27.1", DAY));

    FleetConfig.ImageSpec python = c.images().get(1);
    List<String> warnings = new ArrayList<>();
    assertEquals(List.of("3.9.18", "3.11.7"),
        TagSelector.select(python.tags(), List.of("3.9.18", "3.11.7", "3.12.0"), warnings::add));
    assertEquals(1, warnings.size(), "a listed tag the registry lacks is warned about and skipped");
    assertTrue(warnings.get(0).contains("3.10.13"), warnings.toString());
    assertEquals(List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64")), python.platforms());
    assertEquals("quay.example/special/python:3.11.7",
        python.target(ImageReference.parse("hub.example/library/python:3.11.7")).toString());
    assertEquals("3.11.7-fixed", python.targetTag().render("3.11.7", DAY));

    FleetConfig.ImageSpec alpine = c.images().get(2);
    assertEquals(List.of("3.20.1"), TagSelector.select(alpine.tags(),
        List.of("3.9", "3.19.1", "3.20.1", "3.20.1-rc1", "3.20.0", "edge", "latest"), w -> {}));
  }

  @Test
  void copasCrossRegistryExampleGoesToTheTargetRegistry() {
    FleetConfig.ImageSpec redis = FleetConfig.parse(COPA_CROSS_REGISTRY, "bulk.yaml").images().get(0);
    ImageReference target = redis.target(ImageReference.parse("quay.example/opstree/redis:v8.2.1"));
    assertEquals("registry.example/myorg/redis:v8.2.1-patched",
        target.withTag(redis.targetTag().render("v8.2.1", DAY)).toString(), "the example's comment");
  }

  @Test
  void theSeedsPlainListIsTaggedWithTheDate() {
    FleetConfig c = FleetConfig.parse("""
        # One image per line. Format: REGISTRY/REPO:TAG
        registry.example.com/myapp/api:1.4.2
        registry.example.com/myapp/worker:2.1.0   # trailing comment

        registry.example.com/shared/nginx-base:1.25.3
        """, "images.txt");
    assertEquals(3, c.images().size());
    FleetConfig.ImageSpec api = c.images().get(0);
    assertEquals("registry.example.com/myapp/api", api.image());
    assertEquals(List.of("1.4.2"), api.tags().list());
    assertEquals("1.4.2-patched-20260509", api.targetTag().render("1.4.2", DAY));
    assertEquals(Optional.empty(), api.targetRegistry());
  }

  @Test
  void errorsNameTheFileAndTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FleetConfig.parse("registry.example.com/a/b\n", "images.txt"));
    assertTrue(e.getMessage().startsWith("images.txt:1: "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FleetConfig.parse("""
        apiVersion: copa.sh/v1alpha1
        kind: PatchConfig
        images:
          - image: registry.example.com/a
            tags:
              strategy: newest
        """, "bulk.yaml"));
    assertEquals("bulk.yaml: images[0].tags.strategy newest is not list, pattern or latest", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FleetConfig.parse("""
        apiVersion: copa.sh/v1alpha1
        kind: PatchConfig
        target:
          tag: "{{ .Tag }}-p"
        images: []
        """, "bulk.yaml"));
    assertTrue(e.getMessage().startsWith("bulk.yaml: target.tag: ") && e.getMessage().contains(".Tag"), e.getMessage());
  }

  @Test
  void aTagThatExistsIsNeverOverwritten() {
    assertEquals("1.25.3-patched", PatchedTag.next("1.25.3-patched", List.of("1.25.3")));
    assertEquals("1.25.3-patched-1", PatchedTag.next("1.25.3-patched", List.of("1.25.3", "1.25.3-patched")));
    assertEquals("1.25.3-patched-3", PatchedTag.next("1.25.3-patched",
        List.of("1.25.3-patched", "1.25.3-patched-1", "1.25.3-patched-2")));
    assertEquals(Optional.of("1.25.3-patched-2"), PatchedTag.newest(TagTemplate.COPA_DEFAULT, "1.25.3",
        List.of("1.25.3", "1.25.3-patched", "1.25.3-patched-2", "1.25.3-patched-1", "1.25.30-patched-9")));
    // Dated tags: the latest date first, then its versions; another source tag's are not ours.
    assertEquals(Optional.of("1.4.2-patched-20260509-1"), PatchedTag.newest(TagTemplate.DATED, "1.4.2",
        List.of("1.4.2-patched-20260508", "1.4.2-patched-20260509", "1.4.2-patched-20260509-1",
            "1.4.20-patched-20260601")));
    assertEquals(Optional.empty(), PatchedTag.newest(TagTemplate.COPA_DEFAULT, "1.0", List.of("1.0-patched-20260509")));
  }
}
