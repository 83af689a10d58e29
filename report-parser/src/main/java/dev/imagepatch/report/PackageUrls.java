package dev.imagepatch.report;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The qualifiers of a package URL ({@code pkg:rpm/rocky/openssl-libs@1.1.1k-4.el8?arch=x86_64&epoch=1}),
 * which is where Trivy and Grype both state an rpm's architecture and epoch.
 */
final class PackageUrls {
  private PackageUrls() {}

  /** The qualifiers, decoded; empty for null, a purl without any, or one that cannot be read. */
  static Map<String, String> qualifiers(String purl) {
    Map<String, String> out = new LinkedHashMap<>();
    if (purl == null) {
      return out;
    }
    int q = purl.indexOf('?');
    if (q < 0) {
      return out;
    }
    String query = purl.substring(q + 1);
    int hash = query.indexOf('#');
    if (hash >= 0) {
      query = query.substring(0, hash);
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      try {
        // Keys are case-insensitive in the spec; '+' is a literal plus in a purl, not a space.
        out.put(pair.substring(0, eq).toLowerCase(java.util.Locale.ROOT),
            URLDecoder.decode(pair.substring(eq + 1).replace("+", "%2B"), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        // A malformed escape: the qualifier is unreadable, the finding is not.
      }
    }
    return out;
  }

  /** The {@code arch} qualifier, or null. */
  static String architecture(String purl) {
    return qualifiers(purl).get("arch");
  }
}
