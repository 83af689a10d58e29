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
 *
 * <p>Scanners apply the document with go-vex's {@code PurlMatches}: type, namespace, name and
 * version must equal those of the purl the scanner gives the package, and every qualifier of ours
 * must be among its qualifiers with the same value. So no subcomponent has a {@code distro}
 * qualifier: the scanners write the OS version they saw ({@code debian-10.1}, apk's {@code 3.10.2}
 * for Trivy; {@code alpine-3.10.2} for syft), which the document cannot know, and a different one
 * would make the statement apply to nothing (Copa writes none either). rpm subcomponents are written
 * {@code pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>} as the purl spec's
 * rpm type has it: the epoch is a qualifier, not part of the version, and is written only when it
 * is not 0 (Trivy leaves out an epoch of 0, syft writes any epoch the header has, so a 0 written
 * here would match only syft's). The rpm vendor is Trivy's family name ({@code rocky},
 * {@code alma}, {@code amazon}, {@code oracle}, {@code cbl-mariner}, ...); where syft's namespace
 * (the os-release ID, with {@code rhel} written {@code redhat}) differs ({@code almalinux},
 * {@code amzn}, {@code ol}, {@code mariner}), the package is listed under both, so the document
 * applies with either scanner.
 * Architectures are the packages' own ({@code x86_64}, {@code noarch}); a multilib pair is listed
 * once per architecture.
 */
public final class OpenVex {
  public static final String CONTEXT = "https://openvex.dev/ns/v0.2.0";
  public static final String PREDICATE_TYPE = "https://openvex.dev/ns";

  private OpenVex() {}

  /**
   * The document for {@code result} (and its platforms, for an index), or null when nothing was fixed.
   *
   * @param image the patched image (its repository names the product)
   * @param distro e.g. {@code debian-12}, whose family names the package URLs' namespace (null: none)
   */
  public static ObjectNode of(PatchResult result, ImageReference image, String distro, String author, Instant now) {
    Map<String, Set<String>> componentsByVulnerability = new LinkedHashMap<>();
    List<PatchResult> images = result.platforms().isEmpty() ? List.of(result) : result.platforms();
    Digest product = result.patched().orElse(result.source());
    for (PatchResult r : images) {
      Map<String, Set<String>> archesOf = new LinkedHashMap<>();
      r.changes().forEach(c -> archesOf.computeIfAbsent(c.name(), k -> new LinkedHashSet<>()).add(c.architecture()));
      for (PatchResult.Fixed f : r.fixed()) {
        PackageManager manager = r.packageManager().orElseThrow(() -> new IllegalArgumentException(
            "a patch result that names no package family"));
        Set<String> arches = archesOf.getOrDefault(f.packageName(), java.util.Collections.singleton(null));
        for (String arch : arches) {
          componentsByVulnerability.computeIfAbsent(f.vulnerability(), k -> new LinkedHashSet<>())
              .addAll(purls(manager, distro, f.packageName(), f.version(), arch));
        }
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

  /** The package's purls: one, or for an rpm vendor two scanners name apart, one per name. */
  static List<String> purls(PackageManager manager, String distro, String name, String version, String arch) {
    if (manager != PackageManager.RPM) {
      return List.of(purl(manager, distro, name, version, arch));
    }
    List<String> out = new ArrayList<>();
    for (String vendor : rpmVendors(distro)) {
      out.add(rpmPurl(vendor, name, version, arch));
    }
    return out;
  }

  static String purl(PackageManager manager, String distro, String name, String version, String arch) {
    if (manager == PackageManager.RPM) {
      return rpmPurl(rpmVendors(distro).get(0), name, version, arch);
    }
    String type = switch (manager) {
      case DPKG -> "deb";
      case APK -> "apk";
      case RPM -> "rpm";
    };
    String namespace = distro == null ? "" : family(distro) + "/";
    List<String> qualifiers = new ArrayList<>();
    if (arch != null) {
      qualifiers.add("arch=" + enc(arch));
    }
    return "pkg:" + type + "/" + namespace + enc(name) + "@" + enc(version)
        + (qualifiers.isEmpty() ? "" : "?" + String.join("&", qualifiers));
  }

  /** {@code pkg:rpm/<vendor>/<name>@<version>-<release>?arch=..&epoch=..} (epoch only when not 0). */
  private static String rpmPurl(String vendor, String name, String evr, String arch) {
    int colon = evr.indexOf(':');
    String epoch = colon < 0 ? "" : evr.substring(0, colon).replaceFirst("^0+(?=.)", "");
    String versionRelease = evr.substring(colon + 1);
    List<String> qualifiers = new ArrayList<>();
    if (arch != null) {
      qualifiers.add("arch=" + enc(arch));
    }
    if (!epoch.isEmpty() && !epoch.equals("0")) {
      qualifiers.add("epoch=" + enc(epoch));
    }
    return "pkg:rpm/" + (vendor == null ? "" : enc(vendor) + "/") + enc(name) + "@" + enc(versionRelease)
        + (qualifiers.isEmpty() ? "" : "?" + String.join("&", qualifiers));
  }

  /**
   * Trivy's vendor for the family {@code distro} names ({@code rocky-8}, {@code cbl-mariner-2},
   * {@code rhel-9}), then syft's where it differs; a list holding null when none is known.
   */
  private static List<String> rpmVendors(String distro) {
    if (distro == null) {
      return java.util.Collections.singletonList(null);
    }
    String family = family(distro);
    String trivy = dev.imagepatch.report.OsFamily.fromName(family).map(dev.imagepatch.report.OsFamily::id)
        .orElse(family).toLowerCase(java.util.Locale.ROOT);
    String syft = SYFT_VENDORS.getOrDefault(trivy, trivy);
    return syft.equals(trivy) ? List.of(trivy) : List.of(trivy, syft);
  }

  /** syft's rpm purl namespace (the os-release ID, rhel written redhat) where it is not Trivy's family name. */
  private static final Map<String, String> SYFT_VENDORS = Map.of("alma", "almalinux", "amazon", "amzn",
      "oracle", "ol", "cbl-mariner", "mariner");

  /** The family of {@code debian-12}, {@code cbl-mariner-2.0}, {@code centos-stream-9}: the name before its version. */
  private static String family(String distro) {
    return distro.replaceFirst("-[0-9][^-]*$", "");
  }

  private static String lastSegment(String repository) {
    return repository.substring(repository.lastIndexOf('/') + 1);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%7E", "~");
  }
}
