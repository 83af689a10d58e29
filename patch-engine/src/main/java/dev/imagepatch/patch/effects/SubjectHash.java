package dev.imagepatch.patch.effects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1BMPString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1T61String;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.ASN1UniversalString;
import org.bouncycastle.asn1.ASN1VisibleString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * OpenSSL's subject name hash ({@code X509_NAME_hash}, {@code openssl x509 -subject_hash}), the
 * name of the {@code <hash>.<n>} links {@code openssl rehash} makes in a certificate directory.
 * The hash is over OpenSSL's canonical form of the name: every string value as UTF-8, trimmed,
 * inner whitespace runs collapsed to one space and ASCII lower-cased, the RDN sets encoded one
 * after another without the outer SEQUENCE.
 */
public final class SubjectHash {
  private SubjectHash() {}

  public static long of(X500Name name) {
    MessageDigest sha1;
    try {
      sha1 = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try {
      for (RDN rdn : name.getRDNs()) {
        ASN1EncodableVector set = new ASN1EncodableVector();
        for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
          set.add(new DERSequence(new ASN1Encodable[] {atv.getType(), canonical(atv.getValue())}));
        }
        sha1.update(new DERSet(set).getEncoded(ASN1Encoding.DER));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] md = sha1.digest();
    return (md[0] & 0xffL) | (md[1] & 0xffL) << 8 | (md[2] & 0xffL) << 16 | (md[3] & 0xffL) << 24;
  }

  /** The hash as the 8 lower-case hex digits of a link name. */
  public static String hex(X500Name name) {
    return String.format("%08x", of(name));
  }

  /** The value as {@code asn1_string_canon} leaves it; types it does not canonicalize stay as they are. */
  private static ASN1Encodable canonical(ASN1Encodable value) {
    String text;
    if (value instanceof ASN1UTF8String s) {
      text = s.getString();
    } else if (value instanceof ASN1BMPString s) {
      text = s.getString();
    } else if (value instanceof ASN1UniversalString s) {
      text = new String(s.getOctets(), java.nio.charset.Charset.forName("UTF-32BE"));
    } else if (value instanceof ASN1PrintableString s) {
      text = new String(s.getOctets(), StandardCharsets.ISO_8859_1);
    } else if (value instanceof ASN1T61String s) {
      text = new String(s.getOctets(), StandardCharsets.ISO_8859_1);
    } else if (value instanceof ASN1IA5String s) {
      text = new String(s.getOctets(), StandardCharsets.ISO_8859_1);
    } else if (value instanceof ASN1VisibleString s) {
      text = new String(s.getOctets(), StandardCharsets.ISO_8859_1);
    } else {
      return value;
    }
    return new DERUTF8String(fold(text));
  }

  /** Trim, collapse and lower-case; only ASCII is touched, as OpenSSL works on the UTF-8 bytes. */
  public static String fold(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && space(text.charAt(start))) {
      start++;
    }
    while (end > start && space(text.charAt(end - 1))) {
      end--;
    }
    StringBuilder out = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (space(c)) {
        out.append(' ');
        while (i + 1 < end && space(text.charAt(i + 1))) {
          i++;
        }
      } else if (c >= 'A' && c <= 'Z') {
        out.append((char) (c + ('a' - 'A')));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }

  /** Every certificate block of a PEM file, DER-decoded; other blocks are skipped. */
  public static List<byte[]> certificates(byte[] pem) {
    List<byte[]> out = new ArrayList<>();
    String text = new String(pem, StandardCharsets.ISO_8859_1);
    String begin = "-----BEGIN CERTIFICATE-----";
    String end = "-----END CERTIFICATE-----";
    int from = 0;
    while (true) {
      int b = text.indexOf(begin, from);
      if (b < 0) {
        return out;
      }
      int e = text.indexOf(end, b);
      if (e < 0) {
        return out;
      }
      String body = text.substring(b + begin.length(), e).replaceAll("\\s", "");
      try {
        out.add(java.util.Base64.getDecoder().decode(body));
      } catch (IllegalArgumentException bad) {
        // OpenSSL would fail on it too; rehash skips such a file.
        out.add(null);
      }
      from = e + end.length();
    }
  }
}
