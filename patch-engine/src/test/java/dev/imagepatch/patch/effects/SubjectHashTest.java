package dev.imagepatch.patch.effects;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The subject hash against {@code openssl x509 -subject_hash} itself, on names that exercise the canonical form. */
class SubjectHashTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void matchesOpenssl(int variant) throws Exception {
    X500Name name = switch (variant) {
      case 0 -> new X500Name("C=US, O=Example Trust, CN=Example Root CA");
      case 1 -> name(new DERPrintableString("  Mixed   CASE\tName  "), new DERUTF8String("Zürich Ünïcode ROOT"));
      case 2 -> name(new DERBMPString("BMP Encoded Root"), new DERPrintableString("ORG"));
      default -> new X500Name(new RDN[] {new RDN(new AttributeTypeAndValue[] {
          new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("Multi Valued")),
          new AttributeTypeAndValue(BCStyle.O, new DERPrintableString("Second Value"))})});
    };
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair kp = gen.generateKeyPair();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(0),
        new Date(4_000_000_000_000L), name, kp.getPublic());
    byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
    Path pem = dir.resolve("c.pem");
    Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END CERTIFICATE-----\n");
    Process p = new ProcessBuilder("openssl", "x509", "-noout", "-subject_hash", "-in", pem.toString())
        .redirectErrorStream(true).start();
    String expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), expected);
    assertEquals(expected, SubjectHash.hex(name));
  }

  private static X500Name name(ASN1Encodable cn, ASN1Encodable o) {
    return new X500Name(new RDN[] {new RDN(BCStyle.O, o), new RDN(BCStyle.CN, cn)});
  }
}
