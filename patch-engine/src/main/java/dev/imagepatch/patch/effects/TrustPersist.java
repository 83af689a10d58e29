package dev.imagepatch.patch.effects;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * p11-kit's persist format, the {@code .p11-kit} files of the trust sources (trust/persist.c with
 * common/lexer.c): {@code [p11-kit-object-v1]} sections of {@code name: value} fields and PEM
 * blocks ({@code CERTIFICATE} gives the certificate's class, type and value; {@code PUBLIC KEY} the
 * public key info). Values are tried as p11-kit does: a constant's name, a quoted URL-encoded
 * string, {@code true}/{@code false}, a decimal number, an object id. A file with any error yields
 * nothing, as the module skips it whole.
 */
final class TrustPersist {
  static final String MAGIC = "[p11-kit-object-v1]";

  /** The attribute names of p11-kit's constants table. */
  static final Set<String> ATTRIBUTES = Set.of("class", "token", "private", "label", "application", "value",
      "object-id", "certificate-type", "issuer", "serial-number", "ac-issuer", "owner", "attr-types", "trusted",
      "certificate-category", "java-midp-security-domain", "url", "hash-of-subject-public-key",
      "hash-of-issuer-public-key", "check-value", "key-type", "subject", "id", "sensitive", "encrypt", "decrypt",
      "wrap", "unwrap", "sign", "sign-recover", "verify", "recover", "derive", "start-date", "end-date", "modulus",
      "modulus-bits", "public-exponent", "private-exponent", "prime-1", "prime-2", "exponent-1", "exponent-2",
      "coefficient", "public-key-info", "x-public-key-info", "prime", "subprime", "base", "prime-bits",
      "subprime-bits", "value-bits", "value-len", "extractable", "local", "never-extractable", "always-sensitive",
      "key-gen-mechanism", "modifiable", "ecdsa-params", "ec-point", "secondary-auth", "auth-pin-flags",
      "always-authenticate", "wrap-with-trusted", "hw-feature-type", "reset-on-init", "has-reset", "pixel-x",
      "pixel-y", "resolution", "char-rows", "char-columns", "color", "bits-per-pixel", "char-sets",
      "encoding-methods", "mime-types", "mechanism-type", "required-cms-attributes", "default-cms-attributes",
      "supported-cms-attributes", "wrap-template", "unwrap-template", "allowed-mechanisms", "nss-url", "nss-email",
      "nss-smime-constant", "nss-smime-timestamp", "nss-pkcs8-salt", "nss-password-check", "nss-expires", "nss-krl",
      "nss-pqg-counter", "nss-pqg-seed", "nss-pqg-h", "nss-pqg-seed-bits", "nss-module-spec",
      "nss-mozilla-ca-policy", "nss-server-distrust-after", "nss-email-distrust-after", "trust-digital-signature",
      "trust-non-repudiation", "trust-key-encipherment", "trust-data-encipherment", "trust-key-agreement",
      "trust-key-cert-sign", "trust-crl-sign", "trust-server-auth", "trust-client-auth", "trust-code-signing",
      "trust-email-protection", "trust-ipsec-end-system", "trust-ipsec-tunnel", "trust-ipsec-user",
      "trust-time-stamping", "trust-step-up-approved", "cert-sha1-hash", "cert-md5-hash", "x-assertion-type",
      "x-certificate-value", "x-purpose", "x-peer", "x-distrusted", "x-critical");

  /** The names of constants a value may be: classes, certificate types, categories, trust and assertion values, key types. */
  static final Set<String> CONSTANTS = Set.of("data", "certificate", "public-key", "private-key", "secret-key",
      "hw-feature", "domain-parameters", "mechanism", "nss-crl", "nss-smime", "nss-trust", "nss-builtin-root-list",
      "nss-newslot", "nss-delslot", "x-trust-assertion", "x-certificate-extension", "nss-trusted",
      "nss-trusted-delegator", "nss-must-verify-trust", "nss-trust-unknown", "nss-not-trusted",
      "nss-valid-delegator", "x-509", "x-509-attr-cert", "wtls", "rsa", "dsa", "dh", "ec", "x9-42-dh", "kea",
      "generic-secret", "rc2", "rc4", "des", "des2", "des3", "cast", "cast3", "cast128", "rc5", "idea", "skipjack",
      "baton", "juniper", "cdmf", "aes", "blowfish", "twofish", "x-distrusted-certificate", "x-pinned-certificate",
      "x-anchored-certificate", "unspecified", "token-user", "authority", "other-entry");

  private TrustPersist() {}

  /** Whether p11-kit reads the file in this format ({@code p11_persist_magic}). */
  static boolean magic(byte[] data) {
    return new String(data, StandardCharsets.ISO_8859_1).contains(MAGIC);
  }

  /** The objects of the file in order; null when p11-kit would reject it. */
  static List<TrustObject> read(byte[] data) {
    String text = new String(data, StandardCharsets.ISO_8859_1);
    int nul = text.indexOf('\0');
    if (nul >= 0) {
      text = text.substring(0, nul); // the lexer works on C strings
    }
    List<TrustObject> objects = new ArrayList<>();
    TrustObject current = null;
    boolean skip = false;
    int at = 0;
    while (at < text.length()) {
      if (text.startsWith("-----BEGIN ", at)) {
        int end = text.indexOf("\n-----END ", at);
        if (end < 0) {
          return null; // "invalid pem block: no ending line"
        }
        int nl = text.indexOf('\n', end + 1);
        int blockEnd = nl < 0 ? text.length() : nl + 1;
        String block = text.substring(at, blockEnd);
        at = blockEnd;
        if (skip) {
          continue;
        }
        if (current == null) {
          return null;
        }
        List<TrustPem.Block> blocks = TrustPem.parse(block.getBytes(StandardCharsets.ISO_8859_1));
        if (blocks.isEmpty()) {
          return null;
        }
        TrustPem.Block b = blocks.get(0);
        if (b.type().equals("CERTIFICATE")) {
          current.attrs.putIfAbsent("class", new TrustObject.Constant("certificate"));
          current.attrs.putIfAbsent("certificate-type", new TrustObject.Constant("x-509"));
          current.attrs.putIfAbsent("value", b.der());
        } else if (b.type().equals("PUBLIC KEY")) {
          current.attrs.putIfAbsent("public-key-info", b.der());
        } else {
          return null; // "unsupported pem block in store"
        }
        continue;
      }
      int nl = text.indexOf('\n', at);
      String line = nl < 0 ? text.substring(at) : text.substring(at, nl);
      at = nl < 0 ? text.length() : nl + 1;
      line = strip(line);
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]")) {
          return null;
        }
        if (current != null) {
          objects.add(current);
        }
        current = null;
        if (line.equals(MAGIC)) {
          current = new TrustObject();
          skip = false;
        } else {
          skip = true;
        }
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        return null;
      }
      String name = strip(line.substring(0, colon));
      String value = strip(line.substring(colon + 1));
      if (skip) {
        continue;
      }
      if (current == null) {
        return null;
      }
      if (!ATTRIBUTES.contains(name) && !name.matches("[0-9]+")) {
        return null; // "invalid or unsupported attribute"
      }
      Object v = value(value);
      if (v == null) {
        return null; // "invalid value"
      }
      if (name.equals("x-public-key-info")) {
        name = "public-key-info";
      }
      current.attrs.put(name, v);
    }
    if (current != null) {
      objects.add(current);
    }
    return objects;
  }

  /** {@code parse_value}: constant, string, boolean, number, object id; null when none. */
  static Object value(String v) {
    if (CONSTANTS.contains(v) || ATTRIBUTES.contains(v)) {
      return new TrustObject.Constant(v);
    }
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
      return urlDecode(v.substring(1, v.length() - 1));
    }
    if (v.equals("true") || v.equals("false")) {
      return Boolean.valueOf(v);
    }
    if (v.matches("[+-]?[0-9]+")) {
      try {
        return Long.parseUnsignedLong(v.startsWith("+") ? v.substring(1) : v.startsWith("-") ? "0" : v);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (v.length() >= 4 && v.matches("[0-9.]+") && !v.contains("..") && !v.startsWith(".") && !v.startsWith("0")
        && !v.endsWith(".") && v.indexOf('.') != v.lastIndexOf('.')) {
      String[] arcs = v.split("\\.");
      long first = Long.parseLong(arcs[0]);
      if (first > 2 || first < 2 && Long.parseLong(arcs[1]) >= 40) {
        return null; // libtasn1 refuses such an object id
      }
      return Der.oid(v);
    }
    return null;
  }

  /** {@code p11_url_decode} with nothing skipped: {@code %XX} either case; null on a bad escape. */
  static byte[] urlDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return null;
        }
        int a = Character.digit(s.charAt(i + 1), 16);
        int b = Character.digit(s.charAt(i + 2), 16);
        if (a < 0 || b < 0) {
          return null;
        }
        out.write(a << 4 | b);
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  /** Strips the C {@code isspace} characters at both ends. */
  static String strip(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isspace(s.charAt(b))) {
      b++;
    }
    while (e > b && isspace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(b, e);
  }

  private static boolean isspace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }
}
