package dev.imagepatch.patch.effects;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An X.509 certificate as p11-kit's trust module reads it (trust/x509.c, builder.c): the DER
 * elements it keeps as attributes (issuer, serial number, subject, public key info) byte for byte,
 * its extensions, the label it derives from the subject and the two OpenSSL subject hashes of
 * {@code pem-directory-hash}.
 */
final class TrustCertificate {
  static final String OID_EKU = "2.5.29.37";
  static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
  static final String OID_SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
  static final String OID_OPENSSL_REJECT = "1.3.6.1.4.1.3319.6.10.1";
  static final String OID_RESERVED_PURPOSE = "1.3.6.1.4.1.3319.6.10.16";
  static final String OID_ANY_EKU = "2.5.29.37.0";

  /** One extension: its id, criticality and the content of its extnValue. */
  record Extension(String oid, boolean critical, byte[] value) {}

  final byte[] der;
  final int version;
  final byte[] serial;
  final byte[] issuer;
  final byte[] subject;
  final byte[] publicKeyInfo;
  final List<Extension> extensions;

  private TrustCertificate(byte[] der, int version, byte[] serial, byte[] issuer, byte[] subject,
      byte[] publicKeyInfo, List<Extension> extensions) {
    this.der = der;
    this.version = version;
    this.serial = serial;
    this.issuer = issuer;
    this.subject = subject;
    this.publicKeyInfo = publicKeyInfo;
    this.extensions = extensions;
  }

  /** The certificate of {@code der} (all of it), null when it is none. */
  static TrustCertificate parse(byte[] der) {
    try {
      org.bouncycastle.asn1.x509.Certificate.getInstance(der);
      Der.Element cert = Der.whole(der);
      List<Der.Element> top = cert.children();
      if (cert.tag() != 0x30 || top.size() != 3) {
        return null;
      }
      List<Der.Element> tbs = top.get(0).children();
      int i = 0;
      int version = 0;
      if (tbs.get(0).tag() == 0xa0) {
        Der.Element v = tbs.get(0).children().get(0);
        byte[] c = v.content();
        version = c.length == 1 ? c[0] : -1;
        i++;
      }
      byte[] serial = tbs.get(i).encoded();
      byte[] issuer = tbs.get(i + 2).encoded();
      byte[] subject = tbs.get(i + 4).encoded();
      byte[] spki = tbs.get(i + 5).encoded();
      List<Extension> extensions = new ArrayList<>();
      for (int j = i + 6; j < tbs.size(); j++) {
        if (tbs.get(j).tag() == 0xa3) {
          for (Der.Element ext : tbs.get(j).children().get(0).children()) {
            List<Der.Element> parts = ext.children();
            boolean critical = parts.size() == 3 && parts.get(1).content().length == 1 && parts.get(1).content()[0] != 0;
            Der.Element value = parts.get(parts.size() - 1);
            extensions.add(new Extension(Der.oid(parts.get(0).content()), critical, value.content()));
          }
        }
      }
      return new TrustCertificate(der, version, serial, issuer, subject, spki, List.copyOf(extensions));
    } catch (RuntimeException bad) {
      return null;
    }
  }

  /** {@code p11_x509_find_extension}: the first extension with that id, its extnValue content. */
  byte[] extension(String oid) {
    for (Extension e : extensions) {
      if (oid.equals(e.oid())) {
        return e.value();
      }
    }
    return null;
  }

  /** A version 1 certificate with the same subject and issuer, which p11-kit takes for an authority. */
  boolean v1SelfSigned() {
    return version == 0 && Arrays.equals(subject, issuer);
  }

  /**
   * The label the builder gives a certificate without one: the subject's first common name, else
   * organizational unit, else organization, as UTF-8; null when none is a readable string.
   */
  byte[] label() {
    try {
      for (String oid : List.of("2.5.4.3", "2.5.4.11", "2.5.4.10")) {
        Der.Element value = firstAttribute(oid);
        if (value != null) {
          byte[] s = directoryString(value.encoded());
          if (s != null && s != UNKNOWN) {
            return s;
          }
        }
      }
    } catch (RuntimeException malformed) {
      // a subject libtasn1 would not have decoded either
    }
    return null;
  }

  private Der.Element firstAttribute(String oid) {
    for (Der.Element rdn : Der.whole(subject).children()) {
      for (Der.Element ava : rdn.children()) {
        List<Der.Element> parts = ava.children();
        if (oid.equals(Der.oid(parts.get(0).content()))) {
          return parts.get(1);
        }
      }
    }
    return null;
  }

  /** Marks a value as a string type p11-kit does not read: it passes through unchanged. */
  private static final byte[] UNKNOWN = new byte[0];

  /**
   * {@code p11_x509_parse_directory_string}: the UTF-8 of a string value; null when it is a string
   * of a read type that is not valid; {@link #UNKNOWN} for the types it does not read.
   */
  static byte[] directoryString(byte[] tlv) {
    Der.Element e = Der.whole(tlv);
    byte[] c = e.content();
    switch (e.tag()) {
      case 12, 18, 22, 20, 19 -> {
        return validUtf8(c) ? c : null;
      }
      case 28 -> {
        if (c.length % 4 != 0) {
          return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < c.length; i += 4) {
          int cp = ByteBuffer.wrap(c, i, 4).getInt();
          if (cp < 0 || cp > 0x10ffff) {
            return null;
          }
          b.appendCodePoint(cp);
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
      }
      case 30 -> {
        if (c.length % 2 != 0) {
          return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < c.length; i += 2) {
          b.append((char) (((c[i] & 0xff) << 8) | (c[i + 1] & 0xff)));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
      }
      default -> {
        return UNKNOWN;
      }
    }
  }

  private static boolean validUtf8(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /**
   * The subject hash of the {@code <hash>.0} links as p11-kit computes it
   * ({@code p11_openssl_canon_name_der}): every string value it reads folded as OpenSSL does
   * ({@link SubjectHash#fold}) and re-encoded as a UTF8String, the other values as they are, the
   * RDN sets concatenated and hashed with SHA-1. Null when a value is a string it cannot read.
   */
  String subjectHash() {
    try {
      return canonicalHash();
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  private String canonicalHash() {
    List<byte[]> sets = new ArrayList<>();
    for (Der.Element rdn : Der.whole(subject).children()) {
      List<byte[]> avas = new ArrayList<>();
      for (Der.Element ava : rdn.children()) {
        List<Der.Element> parts = ava.children();
        byte[] value = parts.get(1).encoded();
        byte[] s = directoryString(value);
        if (s == null) {
          return null;
        }
        if (s != UNKNOWN) {
          String folded = SubjectHash.fold(new String(s, StandardCharsets.UTF_8));
          value = Der.tlv(12, folded.getBytes(StandardCharsets.UTF_8));
        }
        avas.add(Der.tlv(0x30, Der.concat(List.of(parts.get(0).encoded(), value))));
      }
      avas.sort(Arrays::compareUnsigned); // DER orders a SET OF by encoding
      sets.add(Der.tlv(0x31, Der.concat(avas)));
    }
    return hashName(digest("SHA-1", Der.concat(sets)));
  }

  /** OpenSSL's old subject hash: MD5 of the subject's DER. */
  String subjectOldHash() {
    return hashName(digest("MD5", subject));
  }

  private static String hashName(byte[] md) {
    long h = (md[0] & 0xffL) | (md[1] & 0xffL) << 8 | (md[2] & 0xffL) << 16 | (md[3] & 0xffL) << 24;
    return String.format("%08x", h);
  }

  static byte[] digest(String algorithm, byte[] data) {
    try {
      return MessageDigest.getInstance(algorithm).digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code p11_x509_parse_extended_key_usage}: the purposes of an ExtendedKeyUsage value, the
   * reserved placeholder left out; null when the value is not one.
   */
  static List<String> purposes(byte[] value) {
    try {
      Der.Element seq = Der.whole(value);
      if (seq.tag() != 0x30) {
        return null;
      }
      List<String> out = new ArrayList<>();
      for (Der.Element oid : seq.children()) {
        String s = oid.tag() == 0x06 ? Der.oid(oid.content()) : null;
        if (s == null) {
          return null;
        }
        if (!s.equals(OID_RESERVED_PURPOSE)) {
          out.add(s);
        }
      }
      return out;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** {@code p11_x509_parse_basic_constraints}: whether the value says cA; null when it is no BasicConstraints. */
  static Boolean isCa(byte[] value) {
    try {
      Der.Element seq = Der.whole(value);
      if (seq.tag() != 0x30) {
        return null;
      }
      List<Der.Element> parts = seq.children();
      if (!parts.isEmpty() && parts.get(0).tag() == 0x01) {
        byte[] c = parts.get(0).content();
        return c.length == 1 && c[0] != 0;
      }
      return false;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
