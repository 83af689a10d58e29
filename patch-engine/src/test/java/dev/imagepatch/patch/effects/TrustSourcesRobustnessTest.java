package dev.imagepatch.patch.effects;

import dev.imagepatch.testing.Judges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trust sources are files of the image, so anything may be in them: mutated and truncated copies
 * of real ones (a PEM root, its DER, a {@code .p11-kit} object with a stapled extension, an
 * OpenSSL {@code TRUSTED CERTIFICATE}) go through the parsers, the module's build step and every
 * output format, which must neither throw nor hang (a fixed seed, so a failure repeats).
 */
class TrustSourcesRobustnessTest {
  @TempDir
  Path tmp;

  @Test
  void mutatedSourcesNeverThrow() throws Exception {
    Path crt = Path.of("/usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt");
    if (!Files.exists(crt)) {
      Judges.unavailable(crt + " is missing (package ca-certificates)");
    }
    byte[] pem = Files.readAllBytes(crt);
    byte[] der = TrustPem.parse(pem).get(0).der();
    TrustCertificate cert = TrustCertificate.parse(der);
    String persist = "[p11-kit-object-v1]\nlabel: \"ACCVRAIZ1\"\ntrusted: true\nnss-mozilla-ca-policy: true\n"
        + new String(pem, StandardCharsets.US_ASCII) + "\n[p11-kit-object-v1]\nclass: x-certificate-extension\n"
        + "object-id: 2.5.29.37\nvalue: \"%30%13%06%03%55%1D%25%01%01%FF%04%09%30%07%06%05%2B%06%01%05%05\"\n"
        + TrustPem.write(cert.publicKeyInfo, "PUBLIC KEY");
    byte[] aux = Der.tlv(0x30, Der.concat(List.of(Der.tlv(0x30, Der.concat(List.of(Der.oid("1.3.6.1.5.5.7.3.1"),
        Der.oid("1.3.6.1.5.5.7.3.4")))), Der.tlv(0xa0, Der.oid("1.3.6.1.5.5.7.3.3")), Der.tlv(0x0c, "x".getBytes(
        StandardCharsets.US_ASCII)), Der.tlv(0x04, new byte[] {1, 2, 3}))));
    byte[] trusted = TrustPem.write(Der.concat(List.of(der, aux)), "TRUSTED CERTIFICATE")
        .getBytes(StandardCharsets.US_ASCII);
    List<byte[]> seeds = List.of(pem, der, persist.getBytes(StandardCharsets.US_ASCII), trusted);
    String script = "DEST=/out\ntrust extract --format=openssl-bundle --filter=certificates --comment $DEST/a\n"
        + "trust extract --format=pem-directory-hash --filter=ca-anchors --purpose server-auth $DEST/d\n"
        + "trust extract --format=java-cacerts --filter=ca-anchors $DEST/j\n"
        + "trust extract --format=edk2-cacerts --filter=ca-anchors $DEST/e\n";
    Random random = new Random(16);
    Path anchors = Files.createDirectories(tmp.resolve("usr/share/pki/ca-trust-source/anchors"));
    for (int round = 0; round < 150; round++) {
      List<byte[]> inputs = new ArrayList<>();
      for (byte[] seed : seeds) {
        inputs.add(mutate(seed, random));
      }
      for (int i = 0; i < inputs.size(); i++) {
        Files.write(anchors.resolve("s" + i), inputs.get(i));
        TrustToken.parse(inputs.get(i));
        TrustCertificate c = TrustCertificate.parse(inputs.get(i));
        if (c != null) {
          c.label();
          c.subjectHash();
          c.subjectOldHash();
        }
      }
      try {
        CaTrustExtract.extract(new DirectoryTree(tmp), script, 0);
      } catch (TrustExtract.Unsupported expected) {
        // a refusal is an answer
      }
    }
  }

  private static byte[] mutate(byte[] seed, Random random) {
    byte[] b = Arrays.copyOf(seed, seed.length);
    int kind = random.nextInt(4);
    if (kind == 0) {
      return Arrays.copyOf(b, random.nextInt(b.length + 1));
    }
    int n = 1 + random.nextInt(kind == 3 ? 40 : 4);
    for (int i = 0; i < n; i++) {
      int at = random.nextInt(b.length);
      b[at] = kind == 1 ? (byte) random.nextInt(256) : (byte) (b[at] ^ (1 << random.nextInt(8)));
    }
    return b;
  }
}
