package dev.imagepatch.patch.effects;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code trust extract} (p11-kit's trust/extract*.c, enumerate.c, save.c) over loaded tokens:
 * certificates taken token by token in creation order, filtered ({@code ca-anchors},
 * {@code trust-policy}, {@code blocklist}, {@code certificates}), duplicates collapsed (the first
 * that passes the trust check wins), limited to purposes (the stapled ExtendedKeyUsage, else the
 * certificate's own; none means any), then written in one of the formats.
 */
final class TrustExtract {
  /** An unsupported option or format. */
  static final class Unsupported extends Exception {
    Unsupported(String why) {
      super(why);
    }
  }

  /** One extraction: {@code --format}, {@code --filter}, the {@code --purpose} OIDs, {@code --comment}. */
  record Request(String format, String filter, List<String> purposes, boolean comment) {}

  /** An entry of an extracted directory: file content, or a symlink's target. */
  record Entry(byte[] content, String link) {}

  /** What an extraction writes: a file's bytes, or a directory's entries in the order written. */
  record Output(byte[] file, Map<String, Entry> directory) {}

  /** A certificate that passed the filters, with what the formats need of it. */
  private record Item(TrustObject object, TrustCertificate cert, Map<String, byte[]> attached) {
    byte[] label() {
      byte[] l = object.bytes("label");
      return l != null && l.length > 0 ? cut(l) : "certificate".getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static final List<String> KNOWN_PURPOSES = List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2",
      "1.3.6.1.5.5.7.3.3", "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.5", "1.3.6.1.5.5.7.3.6", "1.3.6.1.5.5.7.3.7",
      "1.3.6.1.5.5.7.3.8");

  private TrustExtract() {}

  /** {@code --purpose} names as the tool maps them to OIDs. */
  static String purpose(String name) throws Unsupported {
    return switch (name) {
      case "server-auth" -> "1.3.6.1.5.5.7.3.1";
      case "client-auth" -> "1.3.6.1.5.5.7.3.2";
      case "email-protection", "email" -> "1.3.6.1.5.5.7.3.4";
      case "code-signing" -> "1.3.6.1.5.5.7.3.3";
      case "ipsec-end-system" -> "1.3.6.1.5.5.7.3.5";
      case "ipsec-tunnel" -> "1.3.6.1.5.5.7.3.6";
      case "ipsec-user" -> "1.3.6.1.5.5.7.3.7";
      case "time-stamping" -> "1.3.6.1.5.5.7.3.8";
      default -> {
        if (name.matches("[0-9.]+") && !name.contains("..") && !name.startsWith(".") && !name.endsWith(".")) {
          yield name;
        }
        throw new Unsupported("purpose " + name);
      }
    };
  }

  static Output run(List<TrustToken> tokens, Request r, long epochSeconds) throws Unsupported {
    List<Item> items = enumerate(tokens, r);
    return switch (r.format()) {
      case "pem-bundle" -> new Output(bundle(items, r.comment(), false), null);
      case "openssl-bundle" -> new Output(bundle(items, r.comment(), true), null);
      case "java-cacerts" -> new Output(jks(items, epochSeconds * 1000), null);
      case "edk2-cacerts" -> new Output(edk2(items), null);
      case "pem-directory" -> new Output(null, directory(items, false, false));
      case "pem-directory-hash" -> new Output(null, directory(items, false, true));
      case "openssl-directory" -> new Output(null, directory(items, true, true));
      default -> throw new Unsupported("format " + r.format());
    };
  }

  private static List<Item> enumerate(List<TrustToken> tokens, Request r) throws Unsupported {
    boolean anchors;
    boolean blocklist;
    boolean authorities = false;
    switch (r.filter()) {
      case "ca-anchors" -> {
        anchors = true;
        blocklist = false;
        authorities = true;
      }
      case "trust-policy" -> {
        anchors = true;
        blocklist = true;
      }
      case "blocklist" -> {
        anchors = false;
        blocklist = true;
      }
      case "certificates" -> {
        anchors = false;
        blocklist = false;
      }
      default -> throw new Unsupported("filter " + r.filter());
    }
    // Anything distrusted anywhere keeps its issuer and serial number, and its key, from the anchors.
    Set<String> blockedIssuerSerial = new HashSet<>();
    Set<String> blockedKeys = new HashSet<>();
    if (anchors) {
      for (TrustToken t : tokens) {
        for (TrustObject o : t.objects) {
          if (!o.flag("x-distrusted")) {
            continue;
          }
          byte[] issuer = o.bytes("issuer");
          byte[] serial = o.bytes("serial-number");
          if (issuer != null && serial != null) {
            blockedIssuerSerial.add(hex(issuer) + "/" + hex(serial));
          }
          byte[] key = o.bytes("public-key-info");
          if (key != null) {
            blockedKeys.add(hex(key));
          }
        }
      }
    }
    Set<String> seen = new HashSet<>();
    List<Item> out = new ArrayList<>();
    for (TrustToken t : tokens) {
      for (TrustObject o : t.objects) {
        if (!o.isCertificate() || !o.isX509() || authorities && o.category != TrustObject.CATEGORY_AUTHORITY) {
          continue;
        }
        byte[] value = o.bytes("value");
        if (value == null || value.length == 0 || seen.contains(hex(value))) {
          continue;
        }
        if (anchors || blocklist) {
          boolean isBlocklisted = false;
          boolean isAnchor = false;
          if (o.flag("x-distrusted")) {
            isBlocklisted = true;
          } else if (blockedKeys.contains(hex(o.bytes("public-key-info")))
              || blockedIssuerSerial.contains(hex(o.bytes("issuer")) + "/" + hex(o.bytes("serial-number")))) {
            // distrusted elsewhere: neither
          } else if (o.flag("trusted")) {
            isAnchor = true;
          }
          if (!(isBlocklisted && blocklist || isAnchor && anchors)) {
            continue;
          }
        }
        seen.add(hex(value));
        TrustCertificate cert = TrustCertificate.parse(value);
        if (cert == null) {
          continue; // "couldn't parse certificate"
        }
        Map<String, byte[]> attached = new LinkedHashMap<>();
        byte[] spki = o.bytes("public-key-info");
        boolean broken = false;
        if (spki != null) {
          for (TrustObject e : t.objects) {
            if (e.isExtension() && Arrays.equals(spki, e.bytes("public-key-info"))) {
              try {
                List<Der.Element> parts = Der.whole(e.bytes("value")).children();
                Der.Element v = parts.get(parts.size() - 1);
                attached.put(Der.oid(parts.get(0).content()), v.content());
              } catch (RuntimeException bad) {
                broken = true; // "couldn't parse attached certificate extension"
              }
            }
          }
        }
        if (broken) {
          continue;
        }
        byte[] eku = attached.containsKey(TrustCertificate.OID_EKU) ? attached.get(TrustCertificate.OID_EKU)
            : cert.extension(TrustCertificate.OID_EKU);
        List<String> purposes = null;
        if (eku != null) {
          purposes = TrustCertificate.purposes(eku);
          if (purposes == null) {
            continue;
          }
        }
        if (!r.purposes().isEmpty() && purposes != null && purposes.stream()
            .noneMatch(p -> p.equals(TrustCertificate.OID_ANY_EKU) || r.purposes().contains(p))) {
          continue;
        }
        out.add(new Item(o, cert, attached));
      }
    }
    return out;
  }

  private static String hex(byte[] b) {
    return b == null ? "-" : java.util.HexFormat.of().formatHex(b);
  }

  /** The bytes of a C string: up to the first NUL. */
  private static byte[] cut(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        return Arrays.copyOf(b, i);
      }
    }
    return b;
  }

  /** {@code p11_extract_pem_bundle} / {@code p11_extract_openssl_bundle}. */
  private static byte[] bundle(List<Item> items, boolean comment, boolean openssl) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean first = true;
    for (Item i : items) {
      if (comment) {
        out.writeBytes((first ? "# " : "\n# ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(i.label());
        out.write('\n');
      }
      first = false;
      out.writeBytes(pem(i, openssl).getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  private static String pem(Item i, boolean openssl) {
    return openssl ? TrustPem.write(Der.concat(List.of(i.cert().der, certAux(i))), "TRUSTED CERTIFICATE")
        : TrustPem.write(i.cert().der, "CERTIFICATE");
  }

  /**
   * OpenSSL's {@code X509_CERT_AUX} as p11-kit writes it: a distrusted certificate rejects every
   * known purpose (after any stapled rejects) and trusts none; an anchor trusts its stapled
   * ExtendedKeyUsage purposes (no field without one); any other certificate has an empty trust
   * list. Then the label as alias and a stapled key id.
   */
  private static byte[] certAux(Item i) {
    List<String> rejects = i.attached().containsKey(TrustCertificate.OID_OPENSSL_REJECT)
        ? TrustCertificate.purposes(i.attached().get(TrustCertificate.OID_OPENSSL_REJECT)) : null;
    List<String> trusts;
    if (i.object().flag("x-distrusted")) {
      trusts = null;
      rejects = rejects == null ? new ArrayList<>() : new ArrayList<>(rejects);
      rejects.addAll(KNOWN_PURPOSES);
    } else if (i.object().flag("trusted")) {
      trusts = i.attached().containsKey(TrustCertificate.OID_EKU)
          ? TrustCertificate.purposes(i.attached().get(TrustCertificate.OID_EKU)) : null;
    } else {
      trusts = List.of();
    }
    List<byte[]> fields = new ArrayList<>();
    if (trusts != null) {
      fields.add(Der.tlv(0x30, oids(trusts)));
    }
    if (rejects != null) {
      fields.add(Der.tlv(0xa0, oids(rejects)));
    }
    byte[] label = i.object().bytes("label");
    if (label != null) {
      fields.add(Der.tlv(0x0c, label));
    }
    byte[] keyid = i.attached().get(TrustCertificate.OID_SUBJECT_KEY_IDENTIFIER);
    if (keyid != null) {
      fields.add(Der.tlv(0x04, keyid));
    }
    return Der.tlv(0x30, Der.concat(fields));
  }

  private static byte[] oids(List<String> oids) {
    List<byte[]> parts = new ArrayList<>();
    for (String o : oids) {
      parts.add(Der.oid(o));
    }
    return Der.concat(parts);
  }

  /**
   * {@code p11_extract_jks_cacerts}: a JKS key store of trusted certificate entries, aliases the
   * labels lower-cased without spaces or non-ASCII bytes (a clash gets {@code -1}, {@code -2}, ...), every
   * entry dated {@code millis}, sealed with the SHA-1 Java keys with the password "changeit".
   */
  static byte[] jks(List<Item> items, long millis) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, 0xfeedfeed);
    writeInt(out, 2);
    writeInt(out, items.size());
    Set<String> aliases = new HashSet<>();
    for (Item i : items) {
      writeInt(out, 2);
      byte[] label = i.object().bytes("label");
      byte[] input = label != null && label.length > 0 ? label : "unlabeled".getBytes(StandardCharsets.US_ASCII);
      StringBuilder converted = new StringBuilder();
      for (byte b : input) {
        char c = (char) (b & 0xff);
        if (c < 0x80 && !(c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r')) {
          converted.append(Character.toLowerCase(c));
        }
      }
      String alias = converted.toString();
      for (int n = 1; aliases.contains(alias); n++) {
        alias = converted + "-" + n;
      }
      aliases.add(alias);
      byte[] a = alias.getBytes(StandardCharsets.US_ASCII);
      writeShort(out, Math.min(a.length, Short.MAX_VALUE));
      out.write(a, 0, Math.min(a.length, Short.MAX_VALUE));
      writeLong(out, millis);
      writeShort(out, 5);
      out.writeBytes("X.509".getBytes(StandardCharsets.US_ASCII));
      writeInt(out, i.cert().der.length);
      out.writeBytes(i.cert().der);
    }
    byte[] body = out.toByteArray();
    byte[] password = "changeit".getBytes(StandardCharsets.UTF_16BE);
    byte[] whitener = "Mighty Aphrodite".getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(TrustCertificate.digest("SHA-1", Der.concat(List.of(password, whitener, body))));
    return out.toByteArray();
  }

  /** {@code p11_extract_edk2_cacerts}: an EFI_SIGNATURE_LIST of one EFI_CERT_X509 per certificate, little-endian. */
  static byte[] edk2(List<Item> items) {
    byte[] x509Guid = guid(0xa5c059a1, 0x94e4, 0x4aa7, new int[] {0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72});
    byte[] owner = guid(0xdcdd3b50, 0xf405, 0x43fd, new int[] {0x96, 0xbe, 0xbd, 0x33, 0xb1, 0x73, 0x47, 0x76});
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Item i : items) {
      int signatureSize = 16 + i.cert().der.length;
      out.writeBytes(x509Guid);
      writeLe(out, 28 + signatureSize);
      writeLe(out, 0);
      writeLe(out, signatureSize);
      out.writeBytes(owner);
      out.writeBytes(i.cert().der);
    }
    return out.toByteArray();
  }

  private static byte[] guid(int d1, int d2, int d3, int[] d4) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16);
    writeLe(out, d1);
    out.write(d2);
    out.write(d2 >> 8);
    out.write(d3);
    out.write(d3 >> 8);
    for (int b : d4) {
      out.write(b);
    }
    return out.toByteArray();
  }

  /**
   * {@code pem-directory[-hash]} / {@code openssl-directory}: a file per certificate named after
   * its label ({@code p11_path_canon}; {@code name.1.pem} on a clash) and, with hashes, links
   * {@code <subject-hash>.<n>} and {@code <old-subject-hash>.<n>} to it. The directory holds
   * nothing else afterwards.
   */
  private static Map<String, Entry> directory(List<Item> items, boolean openssl, boolean hash) {
    Map<String, Entry> out = new LinkedHashMap<>();
    for (Item i : items) {
      String name = canon(i.label());
      String file = unique(out, name, ".pem");
      out.put(file, new Entry(pem(i, openssl).getBytes(StandardCharsets.US_ASCII), null));
      if (hash) {
        String h = i.cert().subjectHash();
        if (h != null) {
          out.put(unique(out, h, ".0"), new Entry(null, file));
        }
        out.put(unique(out, i.cert().subjectOldHash(), ".0"), new Entry(null, file));
      }
    }
    return out;
  }

  /** {@code make_unique_name}: bare+ext, then bare.1+ext, ...; for ".0", bare.0, bare.1, .... */
  private static String unique(Map<String, Entry> taken, String bare, String extension) {
    if (!taken.containsKey(bare + extension)) {
      return bare + extension;
    }
    String ext = extension.equals(".0") ? "" : extension;
    for (int i = 1; ; i++) {
      String candidate = bare + "." + i + ext;
      if (!taken.containsKey(candidate)) {
        return candidate;
      }
    }
  }

  /** {@code p11_path_canon}: every byte outside {@code [A-Za-z0-9_.-]} becomes {@code _}. */
  static String canon(byte[] label) {
    StringBuilder b = new StringBuilder(label.length);
    for (byte x : label) {
      char c = (char) (x & 0xff);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
          || c == '.';
      b.append(ok ? c : '_');
    }
    return b.toString();
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeShort(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeLong(ByteArrayOutputStream out, long v) {
    writeInt(out, (int) (v >>> 32));
    writeInt(out, (int) v);
  }

  private static void writeLe(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}
