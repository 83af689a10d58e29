package dev.imagepatch.patch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.pkg.PackageManager;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenVEX document of a patch, as Copa writes one: one statement per vulnerability the patched
 * image's own package database shows fixed, status {@code fixed}, the patched image as the
 * product and the packages that fix it as subcomponents (package URLs at their new versions).
 */
public final class OpenVex {
  public static final String CONTEXT = "https://openvex.dev/ns/v0.2.0";
  public static final String PREDICATE_TYPE = "https://openvex.dev/ns";

  private OpenVex() {}

  /**
   * The document for {@code result} (and its platforms, for an index), or null when nothing was fixed.
   *
   * @param image the patched image (its repository names the product)
   * @param distro e.g. {@code debian-12}, for the package URLs' qualifiers (null: none)
   */
  public static ObjectNode of(PatchResult result, ImageReference image, String distro, String author, Instant now) {
    Map<String, Set<String>> componentsByVulnerability = new LinkedHashMap<>();
    List<PatchResult> images = result.platforms().isEmpty() ? List.of(result) : result.platforms();
    Digest product = result.patched().orElse(result.source());
    for (PatchResult r : images) {
      Map<String, String> archOf = new LinkedHashMap<>();
      r.changes().forEach(c -> archOf.put(c.name(), c.architecture()));
      for (PatchResult.Fixed f : r.fixed()) {
        componentsByVulnerability.computeIfAbsent(f.vulnerability(), k -> new LinkedHashSet<>())
            .add(purl(r.packageManager().orElseThrow(() -> new IllegalArgumentException(
                "a patch result that names no package family")), distro, f.packageName(), f.version(),
                archOf.get(f.packageName())));
      }
    }
    if (componentsByVulnerability.isEmpty()) {
      return null;
    }
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("@context", CONTEXT);
    doc.put("author", author);
    doc.put("timestamp", now.toString());
    doc.put("version", 1);
    doc.put("tooling", "imagepatch");
    ArrayNode statements = doc.putArray("statements");
    String productId = "pkg:oci/" + lastSegment(image.repository()) + "@" + enc(product.toString())
        + "?repository_url=" + enc(image.registry() + "/" + image.repository());
    for (Map.Entry<String, Set<String>> e : componentsByVulnerability.entrySet()) {
      ObjectNode s = statements.addObject();
      s.putObject("vulnerability").put("name", e.getKey());
      ObjectNode p = s.putArray("products").addObject();
      p.put("@id", productId);
      ArrayNode subs = p.putArray("subcomponents");
      e.getValue().forEach(purl -> subs.addObject().put("@id", purl));
      s.put("status", "fixed");
    }
    // Like Copa: the document's @id is derived from its content.
    doc.put("@id", "https://openvex.dev/docs/public/vex-" + Digest.sha256(Json.write(doc)).hex());
    return reorder(doc);
  }

  /** @context and @id first, as OpenVEX documents are usually laid out. */
  private static ObjectNode reorder(ObjectNode doc) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.set("@context", doc.get("@context"));
    out.set("@id", doc.get("@id"));
    doc.fields().forEachRemaining(e -> {
      if (!out.has(e.getKey())) {
        out.set(e.getKey(), e.getValue());
      }
    });
    return out;
  }

  static String purl(PackageManager manager, String distro, String name, String version, String arch) {
    String type = switch (manager) {
      case DPKG -> "deb";
      case APK -> "apk";
      case RPM -> "rpm";
    };
    String namespace = distro == null ? "" : distro.replaceAll("-.*$", "") + "/";
    List<String> qualifiers = new ArrayList<>();
    if (arch != null) {
      qualifiers.add("arch=" + enc(arch));
    }
    if (distro != null) {
      qualifiers.add("distro=" + enc(distro));
    }
    return "pkg:" + type + "/" + namespace + enc(name) + "@" + enc(version)
        + (qualifiers.isEmpty() ? "" : "?" + String.join("&", qualifiers));
  }

  private static String lastSegment(String repository) {
    return repository.substring(repository.lastIndexOf('/') + 1);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%7E", "~");
  }
}
