package dev.imagepatch.oci;

import dev.imagepatch.pkg.Architecture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An image platform: os, architecture, optional variant, os.version and os.features. Matching
 * follows containerd's normalization, so {@code arm64} matches {@code arm64/v8}, {@code arm}
 * matches {@code arm/v7}, and {@code x86_64} is {@code amd64}.
 */
public final class Platform {
  private final String os;
  private final String architecture;
  private final String variant;
  private final String osVersion;
  private final List<String> osFeatures;

  private Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures) {
    this.os = Objects.requireNonNull(os, "os");
    this.architecture = Objects.requireNonNull(architecture, "architecture");
    this.variant = variant == null || variant.isEmpty() ? null : variant;
    this.osVersion = osVersion == null || osVersion.isEmpty() ? null : osVersion;
    this.osFeatures = List.copyOf(osFeatures);
  }

  public static Platform of(String os, String architecture) {
    return new Platform(os, architecture, null, null, List.of());
  }

  public static Platform of(String os, String architecture, String variant) {
    return new Platform(os, architecture, variant, null, List.of());
  }

  /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
  public static Platform parse(String value) {
    String[] parts = value.split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
        || (parts.length == 3 && parts[2].isEmpty())) {
      throw new IllegalArgumentException("invalid platform '" + value + "': expected os/arch[/variant]");
    }
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null, null, List.of());
  }

  /** Reads a descriptor's {@code platform} object. */
  public static Platform fromJson(JsonNode node, String where) throws InvalidDocumentException {
    if (!node.isObject()) {
      throw new InvalidDocumentException(where + ": platform must be an object");
    }
    String os = text(node, "os", where);
    String arch = text(node, "architecture", where);
    List<String> features = new ArrayList<>();
    JsonNode f = node.get("os.features");
    if (f != null && f.isArray()) {
      f.forEach(x -> features.add(x.asText()));
    }
    return new Platform(os, arch, optText(node, "variant"), optText(node, "os.version"), features);
  }

  private static String text(JsonNode node, String field, String where) throws InvalidDocumentException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new InvalidDocumentException(where + ": platform." + field + " is missing or not a string");
    }
    return v.asText();
  }

  private static String optText(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  public String os() {
    return os;
  }

  public String architecture() {
    return architecture;
  }

  public Optional<String> variant() {
    return Optional.ofNullable(variant);
  }

  public Optional<String> osVersion() {
    return Optional.ofNullable(osVersion);
  }

  public List<String> osFeatures() {
    return osFeatures;
  }

  /** The same platform with architecture aliases resolved and the default variant made explicit. */
  public Platform normalized() {
    Architecture a = Architecture.of(architecture, variant);
    return new Platform(os.toLowerCase(Locale.ROOT), a.name(), a.variant(), osVersion, osFeatures);
  }

  /** The CPU architecture, aliases resolved, as the package families name it. */
  public Architecture cpu() {
    return Architecture.of(architecture, variant);
  }

  /**
   * True when {@code candidate} (e.g. an index entry) serves this platform: same normalized os,
   * architecture and variant, and the same os.version when this platform names one.
   */
  public boolean matches(Platform candidate) {
    Platform want = normalized();
    Platform have = candidate.normalized();
    return want.os.equals(have.os)
        && want.architecture.equals(have.architecture)
        && Objects.equals(want.variant, have.variant)
        && (want.osVersion == null || want.osVersion.equals(have.osVersion));
  }

  /** The JSON object for a descriptor's {@code platform} field. */
  public ObjectNode toJson() {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("architecture", architecture);
    node.put("os", os);
    if (osVersion != null) {
      node.put("os.version", osVersion);
    }
    if (!osFeatures.isEmpty()) {
      ArrayNode arr = node.putArray("os.features");
      osFeatures.forEach(arr::add);
    }
    if (variant != null) {
      node.put("variant", variant);
    }
    return node;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Platform p && p.os.equals(os) && p.architecture.equals(architecture)
        && Objects.equals(p.variant, variant) && Objects.equals(p.osVersion, osVersion)
        && p.osFeatures.equals(osFeatures);
  }

  @Override
  public int hashCode() {
    return Objects.hash(os, architecture, variant, osVersion, osFeatures);
  }

  /** {@code os/arch[/variant]}. */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
