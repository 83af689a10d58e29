package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One token of p11-kit's trust module: the objects of one source path in the order the module
 * creates them (trust/token.c, parser.c, builder.c). A directory gives its files (flag none), then
 * those of {@code anchors/} (trusted) and of the blocklist directory (distrusted); a file is read
 * as an anchor. Each file is tried as the persist format, then PEM, then a DER certificate. The
 * module reads directories in {@code readdir} order, which is the filesystem's; here it is byte
 * order of the names.
 */
final class TrustToken {
  private enum Flag { NONE, ANCHOR, BLOCKLIST }

  private static final int MAX_LINKS = 40;

  final String path;
  final List<TrustObject> objects = new ArrayList<>();
  private final LayerTree tree;

  private TrustToken(LayerTree tree, String path) {
    this.tree = tree;
    this.path = path;
  }

  /** The token of {@code path} (relative to the root), its blocklist directory named {@code blocklist}. */
  static TrustToken load(LayerTree tree, String path, String blocklist) throws IOException, TrustExtract.Unsupported {
    TrustToken token = new TrustToken(tree, path);
    Optional<String> resolved = token.resolve(path);
    if (resolved.isPresent()) {
      FsEntry e = tree.entry(resolved.get()).orElseThrow();
      if (e.isDirectory()) {
        token.directory(resolved.get(), Flag.NONE);
        for (String sub : List.of("anchors", blocklist)) {
          Optional<String> d = token.resolve(resolved.get() + "/" + sub);
          if (d.isPresent() && tree.entry(d.get()).filter(FsEntry::isDirectory).isPresent()) {
            token.directory(d.get(), sub.equals("anchors") ? Flag.ANCHOR : Flag.BLOCKLIST);
          }
        }
      } else {
        token.file(resolved.get(), Flag.ANCHOR);
      }
    }
    token.categories();
    return token;
  }

  private void directory(String dir, Flag flag) throws IOException, TrustExtract.Unsupported {
    Set<String> names = new TreeSet<>(TrustToken::compareBytes);
    names.addAll(tree.list(dir));
    for (String name : names) {
      Optional<String> p = resolve(dir + "/" + name);
      if (p.isEmpty() || tree.entry(p.get()).filter(FsEntry::isDirectory).isPresent()) {
        continue; // stat fails, or a directory
      }
      file(p.get(), flag);
    }
  }

  private void file(String path, Flag flag) throws IOException, TrustExtract.Unsupported {
    Optional<byte[]> content = tree.read(path);
    if (content.isEmpty()) {
      if (tree.entry(path).filter(e -> e.type() == FsEntry.Type.FILE && e.size() > 0).isPresent()) {
        // A source reached through a link to a place whose contents were not kept.
        throw new TrustExtract.Unsupported("the trust source /" + path + ", which was not read,");
      }
      return;
    }
    List<TrustObject> parsed = parse(content.get());
    for (TrustObject o : parsed) {
      if (o.isCertificate()) {
        populateTrust(o, flag);
      }
      // The index takes the file's objects in order and stops at one the builder refuses.
      if (!o.loadable()) {
        break;
      }
      build(o);
      objects.add(o);
    }
  }

  /** {@code p11_parse_memory}: persist, PEM, DER in turn; empty when unrecognized or refused. */
  static List<TrustObject> parse(byte[] data) {
    if (TrustPersist.magic(data)) {
      List<TrustObject> objects = TrustPersist.read(data);
      if (objects == null) {
        return List.of();
      }
      objects.forEach(o -> o.set("modifiable", Boolean.TRUE));
      return objects;
    }
    List<TrustPem.Block> blocks = TrustPem.parse(data);
    if (!blocks.isEmpty()) {
      List<TrustObject> out = new ArrayList<>();
      for (TrustPem.Block b : blocks) {
        if (b.type().equals("CERTIFICATE")) {
          TrustObject o = certificate(b.der());
          if (o != null) {
            out.add(o);
          }
        } else if (b.type().equals("TRUSTED CERTIFICATE")) {
          out.addAll(trustedCertificate(b.der()));
        }
      }
      return out;
    }
    TrustObject o = certificate(data);
    return o == null ? List.of() : List.of(o);
  }

  private static TrustObject certificate(byte[] der) {
    if (TrustCertificate.parse(der) == null) {
      return null;
    }
    return new TrustObject().set("class", new TrustObject.Constant("certificate"))
        .set("modifiable", Boolean.FALSE).set("certificate-type", new TrustObject.Constant("x-509"))
        .set("value", der);
  }

  /**
   * {@code parse_openssl_trusted_certificate}: the certificate and, stapled to its public key, an
   * ExtendedKeyUsage of the aux trust purposes less the rejected ones (critical), the rejects
   * (p11-kit's own extension) and the key id; no trust purpose at all makes it distrusted.
   */
  private static List<TrustObject> trustedCertificate(byte[] data) {
    int certLen = Der.tlvLength(data);
    if (certLen <= 0) {
      return List.of();
    }
    byte[] der = Arrays.copyOf(data, certLen);
    TrustCertificate cert = TrustCertificate.parse(der);
    if (cert == null) {
      return List.of();
    }
    P11StringSet trust = new P11StringSet();
    P11StringSet reject = null;
    byte[] alias = null;
    Der.Element keyid = null;
    try {
      // OPENSSL.CertAux ::= SEQUENCE { trust SEQUENCE OF OID OPTIONAL, reject [0] ..., alias UTF8String
      // OPTIONAL, keyid OCTET STRING OPTIONAL, other [1] ... }: anything else is no TRUSTED CERTIFICATE.
      Der.Element aux = Der.whole(Arrays.copyOfRange(data, certLen, data.length));
      if (aux.tag() != 0x30) {
        return List.of();
      }
      for (Der.Element field : aux.children()) {
        switch (field.tag()) {
          case 0x30 -> {
            for (Der.Element o : field.children()) {
              trust.add(oid(o));
            }
          }
          case 0xa0 -> {
            reject = new P11StringSet();
            for (Der.Element o : field.children()) {
              reject.add(oid(o));
            }
          }
          case 0x0c -> alias = field.content();
          case 0x04 -> keyid = field;
          case 0xa1 -> { }
          default -> {
            return List.of();
          }
        }
      }
    } catch (Der.Malformed e) {
      return List.of();
    }
    if (reject != null) {
      for (String r : reject.keys()) {
        trust.remove(r);
      }
    }
    List<TrustObject> out = new ArrayList<>();
    out.add(stapled(cert, TrustCertificate.OID_EKU, true, eku(trust)));
    if (reject != null && reject.size() > 0) {
      out.add(stapled(cert, TrustCertificate.OID_OPENSSL_REJECT, false, eku(reject)));
    }
    TrustObject c = certificate(der);
    c.set("trusted", trust.size() > 0).set("x-distrusted", trust.size() == 0);
    if (alias != null) {
      c.set("label", alias);
    }
    if (keyid != null) {
      out.add(stapled(cert, TrustCertificate.OID_SUBJECT_KEY_IDENTIFIER, false, keyid.encoded()));
    }
    out.add(c);
    return out;
  }

  private static String oid(Der.Element e) {
    String s = e.tag() == 0x06 ? Der.oid(e.content()) : null;
    if (s == null) {
      throw new Der.Malformed("not an object identifier");
    }
    return s;
  }

  private static byte[] eku(P11StringSet oids) {
    List<byte[]> parts = new ArrayList<>();
    for (String oid : oids.keys()) {
      parts.add(Der.oid(oid));
    }
    if (parts.isEmpty()) {
      parts.add(Der.oid(TrustCertificate.OID_RESERVED_PURPOSE));
    }
    return Der.tlv(0x30, Der.concat(parts));
  }

  private static TrustObject stapled(TrustCertificate cert, String oid, boolean critical, byte[] value) {
    List<byte[]> parts = new ArrayList<>();
    parts.add(Der.oid(oid));
    if (critical) {
      parts.add(new byte[] {0x01, 0x01, (byte) 0xff});
    }
    parts.add(Der.tlv(0x04, value));
    return new TrustObject().set("class", new TrustObject.Constant("x-certificate-extension"))
        .set("public-key-info", cert.publicKeyInfo).set("modifiable", Boolean.FALSE).set("object-id", Der.oid(oid))
        .set("value", Der.tlv(0x30, Der.concat(parts)));
  }

  /** {@code populate_trust}: anchors trusted, the blocklist distrusted, elsewhere defaults filled in. */
  private static void populateTrust(TrustObject o, Flag flag) {
    switch (flag) {
      case ANCHOR -> {
        if (!o.flag("x-distrusted")) {
          o.set("trusted", Boolean.TRUE).set("x-distrusted", Boolean.FALSE);
        }
      }
      case BLOCKLIST -> o.set("trusted", Boolean.FALSE).set("x-distrusted", Boolean.TRUE);
      default -> {
        o.attrs.putIfAbsent("trusted", Boolean.FALSE);
        o.attrs.putIfAbsent("x-distrusted", Boolean.FALSE);
      }
    }
  }

  /** The builder's populate step: what the module derives, the object's own attributes winning. */
  private static void build(TrustObject o) {
    if (o.isCertificate()) {
      byte[] value = o.bytes("value");
      TrustCertificate cert = value == null || value.length == 0 ? null : TrustCertificate.parse(value);
      o.certificate = cert;
      o.attrs.putIfAbsent("trusted", Boolean.FALSE);
      o.attrs.putIfAbsent("x-distrusted", Boolean.FALSE);
      byte[] label = cert == null ? null : cert.label();
      o.attrs.putIfAbsent("label", label == null ? new byte[0] : label);
      o.attrs.putIfAbsent("issuer", cert == null ? new byte[0] : cert.issuer);
      o.attrs.putIfAbsent("serial-number", cert == null ? new byte[0] : cert.serial);
      if (cert != null) {
        o.attrs.putIfAbsent("subject", cert.subject);
        o.attrs.putIfAbsent("public-key-info", cert.publicKeyInfo);
      }
    } else if (o.isExtension()) {
      if (!o.attrs.containsKey("object-id")) {
        try {
          List<Der.Element> parts = Der.whole(o.bytes("value")).children();
          o.set("object-id", parts.get(0).encoded());
        } catch (RuntimeException e) {
          // left without one, as the builder does when it cannot read the value
        }
      }
    }
  }

  /** {@code calc_certificate_category} over the loaded token, a category of the object's own kept. */
  private void categories() {
    for (TrustObject o : objects) {
      if (!o.isCertificate()) {
        continue;
      }
      Object explicit = o.attrs.get("certificate-category");
      if (explicit instanceof Long l) {
        o.category = l;
        continue;
      }
      if (explicit instanceof TrustObject.Constant c) {
        o.category = switch (c.nick()) {
          case "token-user" -> 1;
          case "authority" -> 2;
          case "other-entry" -> 3;
          default -> 0;
        };
        continue;
      }
      byte[] ext = stapledValue(o, TrustCertificate.OID_BASIC_CONSTRAINTS, true);
      if (ext == null && o.certificate != null) {
        ext = o.certificate.extension(TrustCertificate.OID_BASIC_CONSTRAINTS);
      }
      if (ext != null) {
        Boolean ca = TrustCertificate.isCa(ext);
        o.category = ca == null ? 0 : ca ? 2 : 3;
      } else if (o.certificate != null && o.certificate.v1SelfSigned()) {
        o.category = 2;
      } else if (o.certificate == null) {
        o.category = 0;
      } else {
        o.category = 3;
      }
    }
  }

  /**
   * The extnValue of the extension object stapled to the certificate's public key with that id:
   * the first (the builder's lookup) or the last (the extractor's table) in creation order.
   */
  byte[] stapledValue(TrustObject cert, String oid, boolean first) {
    byte[] spki = cert.bytes("public-key-info");
    if (spki == null) {
      return null;
    }
    byte[] oidDer = Der.oid(oid);
    byte[] found = null;
    for (TrustObject o : objects) {
      if (o.isExtension() && Arrays.equals(spki, o.bytes("public-key-info"))
          && Arrays.equals(oidDer, o.bytes("object-id"))) {
        byte[] v = extnValue(o.bytes("value"));
        if (v != null) {
          found = v;
          if (first) {
            return found;
          }
        }
      }
    }
    return found;
  }

  /** The content of an Extension's extnValue, null when the DER is no Extension. */
  static byte[] extnValue(byte[] extension) {
    try {
      List<Der.Element> parts = Der.whole(extension).children();
      Der.Element v = parts.get(parts.size() - 1);
      return v.tag() == 0x04 ? v.content() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Follows symlinks (the path's own and its parents' through {@link LayerTree#entry}); empty when it leads nowhere. */
  private Optional<String> resolve(String path) {
    String p = FsEntry.normalize(path);
    for (int i = 0; i < MAX_LINKS; i++) {
      Optional<FsEntry> e = tree.entry(p);
      if (e.isEmpty()) {
        return Optional.empty();
      }
      if (e.get().type() != FsEntry.Type.SYMLINK) {
        return Optional.of(p);
      }
      String link = e.get().linkTarget();
      String parent = FsEntry.parent(p);
      p = lexical(link.startsWith("/") ? link : (parent == null || parent.isEmpty() ? "" : parent + "/") + link);
    }
    return Optional.empty();
  }

  /** A path with "." and ".." resolved by name, as the kernel does past the root. */
  static String lexical(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
      } else {
        parts.add(part);
      }
    }
    return String.join("/", parts);
  }

  static int compareBytes(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
