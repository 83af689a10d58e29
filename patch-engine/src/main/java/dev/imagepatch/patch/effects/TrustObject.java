package dev.imagepatch.patch.effects;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One object of p11-kit's trust module: its PKCS#11 attributes by their p11-kit names
 * ({@code class}, {@code label}, {@code trusted}, ...), values as the persist format gives them
 * ({@code byte[]} for strings and object ids, {@code Boolean}, {@code Long} for numbers and
 * constants), then the attributes the module's builder derives for a certificate. The schemas
 * are p11-kit 0.25's: they take the
 * {@code nss-server-distrust-after} and {@code nss-email-distrust-after} attributes newer
 * ca-certificates bundles carry, which 0.24's builder may refuse, dropping the rest of the file.
 */
final class TrustObject {
  static final long CLASS_DATA = 0;
  static final long CLASS_CERTIFICATE = 1;
  static final long CERT_X509 = 0;
  static final long CATEGORY_AUTHORITY = 2;

  /** The classes the module loads objects of; others stop the loading of their file. */
  static final Set<String> LOADED_CLASSES = Set.of("data", "certificate", "x-certificate-extension", "nss-trust",
      "nss-builtin-root-list", "x-trust-assertion");

  private static final Set<String> COMMON = Set.of("class", "token", "modifiable", "private", "label");
  private static final Set<String> CERTIFICATE_SCHEMA = Set.of("certificate-type", "trusted", "x-distrusted",
      "nss-mozilla-ca-policy", "nss-server-distrust-after", "nss-email-distrust-after", "certificate-category",
      "check-value", "start-date", "end-date", "subject", "id", "issuer", "serial-number", "value", "url",
      "hash-of-subject-public-key", "hash-of-issuer-public-key", "java-midp-security-domain", "public-key-info");
  private static final Set<String> EXTENSION_SCHEMA = Set.of("value", "public-key-info", "object-id", "id",
      "x-critical");
  private static final Set<String> DATA_SCHEMA = Set.of("value", "application", "object-id");

  final Map<String, Object> attrs = new LinkedHashMap<>();
  /** The certificate of {@code value}, when this is an X.509 certificate object with a readable one. */
  TrustCertificate certificate;
  /** The derived certificate category (0 unknown, 2 authority, 3 other entity). */
  long category;

  TrustObject set(String name, Object value) {
    attrs.put(name, value);
    return this;
  }

  /** The class nick ({@code certificate}, ...), null when absent or unknown. */
  String klass() {
    Object v = attrs.get("class");
    return v instanceof Constant c ? c.nick() : null;
  }

  boolean isCertificate() {
    return "certificate".equals(klass());
  }

  boolean isExtension() {
    return "x-certificate-extension".equals(klass());
  }

  boolean isX509() {
    Object v = attrs.get("certificate-type");
    return v instanceof Constant c && c.nick().equals("x-509") || v instanceof Long l && l == CERT_X509;
  }

  byte[] bytes(String name) {
    Object v = attrs.get(name);
    return v instanceof byte[] b ? b : null;
  }

  /** {@code p11_attrs_find_bool}: the value when it is a boolean. */
  boolean flag(String name) {
    return attrs.get(name) instanceof Boolean b && b;
  }

  /** Whether the builder accepts the object while loading: its class known, every attribute in its schema. */
  boolean loadable() {
    String k = klass();
    if (k == null || !LOADED_CLASSES.contains(k)) {
      return false;
    }
    Set<String> schema = switch (k) {
      case "certificate" -> CERTIFICATE_SCHEMA;
      case "x-certificate-extension" -> EXTENSION_SCHEMA;
      case "data" -> DATA_SCHEMA;
      default -> null;
    };
    if (schema == null) {
      return true;
    }
    for (String name : attrs.keySet()) {
      if (!COMMON.contains(name) && !schema.contains(name)) {
        return false;
      }
    }
    if (k.equals("certificate")) {
      return attrs.containsKey("certificate-type");
    }
    if (k.equals("x-certificate-extension")) {
      return attrs.containsKey("value") && attrs.containsKey("public-key-info");
    }
    return true;
  }

  /** A constant of the persist format ({@code certificate}, {@code x-509}, {@code authority}, ...). */
  record Constant(String nick) {}

  /** Equality of attribute values as {@code p11_attr_equal} has it: same type, same bytes. */
  static boolean same(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    return a != null && a.equals(b);
  }
}
