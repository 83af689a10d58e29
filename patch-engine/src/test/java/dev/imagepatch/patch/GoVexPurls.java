package dev.imagepatch.patch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

/** The rule by which Trivy, Grype and vexctl apply an OpenVEX statement to a scanned package. */
final class GoVexPurls {
  private GoVexPurls() {}

  /**
   * go-vex's {@code PurlMatches(ours, theirs)} (openvex/go-vex {@code pkg/vex/functions.go}), as
   * Trivy and Grype call it for subcomponents: type, namespace and name equal, our version equal
   * to theirs, and each of our qualifiers among theirs with the same (decoded) value.
   */
  static boolean matches(String ours, String theirs) {
    Purl a = Purl.parse(ours);
    Purl b = Purl.parse(theirs);
    return a.type.equals(b.type) && a.namespace.equals(b.namespace) && a.name.equals(b.name)
        && (a.version.isEmpty() || a.version.equals(b.version))
        && a.qualifiers.entrySet().stream().allMatch(e -> e.getValue().equals(b.qualifiers.get(e.getKey())));
  }

  /** Just enough of a purl reader for the matching rule: components percent-decoded. */
  private record Purl(String type, String namespace, String name, String version, java.util.Map<String, String> qualifiers) {
    static Purl parse(String s) {
      assertTrue(s.startsWith("pkg:"), s);
      String rest = s.substring(4);
      java.util.Map<String, String> q = new java.util.TreeMap<>();
      int qm = rest.indexOf('?');
      if (qm >= 0) {
        for (String kv : rest.substring(qm + 1).split("&")) {
          String[] p = kv.split("=", 2);
          q.put(p[0], dec(p[1]));
        }
        rest = rest.substring(0, qm);
      }
      int at = rest.lastIndexOf('@');
      String version = at < 0 ? "" : dec(rest.substring(at + 1));
      rest = at < 0 ? rest : rest.substring(0, at);
      List<String> parts = new ArrayList<>(List.of(rest.split("/")));
      String type = parts.remove(0);
      String name = dec(parts.remove(parts.size() - 1));
      return new Purl(type, dec(String.join("/", parts)), name, version, q);
    }

    private static String dec(String s) {
      return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
