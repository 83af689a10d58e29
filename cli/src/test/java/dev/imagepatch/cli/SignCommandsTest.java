package dev.imagepatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** imagepatch's cosign-compatible signatures in a real registry, checked by tools we did not write. */
class SignCommandsTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  static Path work;

  static Path key1;
  static Path key2;
  static Manifest imageA;
  static Manifest imageB;

  /** Runs the CLI with the key password on standard input, as a pipeline would pass it. */
  static CliRun run(String... args) {
    InputStream stdin = System.in;
    System.setIn(new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)));
    try {
      return CliRun.of(args);
    } finally {
      System.setIn(stdin);
    }
  }

  @BeforeAll
  static void keysAndImages() throws Exception {
    for (String prefix : List.of("one", "two")) {
      CliRun r = run("generate-key-pair", "--output-key-prefix", work.resolve(prefix).toString());
      assertEquals(0, r.code(), r.err());
    }
    key1 = work.resolve("one");
    key2 = work.resolve("two");
    assertTrue(Files.readString(work.resolve("one.key")).startsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    imageA = new RandomImages(71).image(layout, "a", false, Platform.parse("linux/amd64"), 1);
    imageB = new RandomImages(72).image(layout, "b", false, Platform.parse("linux/amd64"), 1);
    ImageCopier copier = ImageCopier.create(2, new ImageCopier.Listener() {});
    copier.copy(layout, "a", registry.client().repository("signed/app"), "a");
    copier.copy(layout, "b", registry.client().repository("signed/app"), "b");
  }

  private static String image(String tag) {
    return registry.host() + "/signed/app:" + tag;
  }

  private static String sigTag(Digest d) {
    return "sha256-" + d.hex() + ".sig";
  }

  @Test
  void aSignatureOpensslChecksOnItsOwn() throws Exception {
    CliRun sign = run("sign", "--key", key1 + ".key", image("a"));
    assertEquals(0, sign.code(), sign.err());
    assertTrue(sign.out().contains(imageA.digest().toString()), sign.out());

    // skopeo fetches the .sig manifest and its payload; openssl checks the signature.
    String sigRef = "docker://" + registry.host() + "/signed/app:" + sigTag(imageA.digest());
    JsonNode manifest = new ObjectMapper().readTree(Commands.run("skopeo", "inspect", "--raw", "--tls-verify=false", sigRef));
    JsonNode layer = manifest.at("/layers/0");
    assertEquals("application/vnd.dev.cosign.simplesigning.v1+json", layer.get("mediaType").asText());
    Path dir = work.resolve("sig-dir");
    Commands.run("skopeo", "copy", "--src-tls-verify=false", sigRef, "dir:" + dir);
    Path payload = dir.resolve(layer.get("digest").asText().substring("sha256:".length()));
    Path der = Files.write(work.resolve("sig.der"), Base64.getDecoder().decode(
        layer.at("/annotations/dev.cosignproject.cosign~1signature").asText()));
    String openssl = Commands.runText("openssl", "dgst", "-sha256", "-verify", key1 + ".pub", "-signature",
        der.toString(), payload.toString());
    assertEquals("Verified OK", openssl.strip());
    JsonNode claims = new ObjectMapper().readTree(Files.readAllBytes(payload));
    assertEquals(imageA.digest().toString(), claims.at("/critical/image/docker-manifest-digest").asText());
    assertEquals("cosign container image signature", claims.at("/critical/type").asText());
    assertEquals(registry.host() + "/signed/app", claims.at("/critical/identity/docker-reference").asText());

    CliRun verify = run("verify", "--key", key1 + ".pub", image("a"));
    assertEquals(0, verify.code(), verify.err());
    assertTrue(verify.out().startsWith("Verified " + registry.host() + "/signed/app@" + imageA.digest()), verify.out());
  }

  @Test
  void verificationFailsWithTheReason() throws Exception {
    RegistryClient client = registry.client();
    CliRun signB = run("sign", "--key", key1 + ".key", "-a", "team=blue", image("b"));
    assertEquals(0, signB.code(), signB.err());
    Manifest sigB = (Manifest) client.getManifest("signed/app", sigTag(imageB.digest()));
    Descriptor good = sigB.layers().get(0);
    byte[] payload;
    try (InputStream in = client.openBlob("signed/app", good)) {
      payload = in.readAllBytes();
    }

    // Another key.
    CliRun other = run("verify", "--key", key2 + ".pub", image("b"));
    assertEquals(1, other.code());
    assertTrue(other.err().contains("the signature does not verify with the given key"), other.err());
    // A required annotation that the payload lacks.
    CliRun claim = run("verify", "--key", key1 + ".pub", "-a", "team=red", image("b"));
    assertEquals(1, claim.code());
    assertTrue(claim.err().contains("annotation team=red missing"), claim.err());
    assertEquals(0, run("verify", "--key", key1 + ".pub", "-a", "team=blue", image("b")).code());

    // B's signature placed under another image's tag: it signs another digest.
    Digest c = Digest.sha256("another image".getBytes(StandardCharsets.UTF_8));
    client.putManifest("signed/app", sigTag(c), sigB);
    CliRun elsewhere = run("verify", "--key", key1 + ".pub", registry.host() + "/signed/app@" + c);
    assertEquals(1, elsewhere.code());
    assertTrue(elsewhere.err().contains("the payload signs " + imageB.digest() + ", not " + c), elsewhere.err());

    // A tampered payload, and a truncated signature.
    byte[] tampered = new String(payload, StandardCharsets.UTF_8).replace("blue", "blud").getBytes(StandardCharsets.UTF_8);
    Descriptor tamperedLayer = Descriptor.of(good.mediaType(), Digest.sha256(tampered), tampered.length)
        .withAnnotation("dev.cosignproject.cosign/signature", good.annotations().get("dev.cosignproject.cosign/signature"));
    client.pushBlob("signed/app", tamperedLayer, () -> new ByteArrayInputStream(tampered));
    byte[] sig = Base64.getDecoder().decode(good.annotations().get("dev.cosignproject.cosign/signature"));
    Descriptor truncated = good.withAnnotation("dev.cosignproject.cosign/signature",
        Base64.getEncoder().encodeToString(Arrays.copyOf(sig, sig.length - 5)));
    for (Descriptor bad : List.of(tamperedLayer, truncated)) {
      client.putManifest("signed/app", sigTag(imageB.digest()),
          Manifest.create(MediaTypes.OCI_MANIFEST, sigB.config(), List.of(bad)));
      CliRun r = run("verify", "--key", key1 + ".pub", image("b"));
      assertEquals(1, r.code());
      assertTrue(r.err().contains("the signature does not verify with the given key"), r.err());
    }
    client.putManifest("signed/app", sigTag(imageB.digest()), sigB);
    CliRun none = run("verify", "--key", key1 + ".pub", registry.host() + "/signed/app@" + Digest.sha256(new byte[] {9}));
    assertEquals(1, none.code());
    assertTrue(none.err().contains("no signatures for"), none.err());
  }

  @Test
  void twoKeysTwoSignaturesEachVerifies() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(work.resolve("two-keys"));
    Manifest m = new RandomImages(73).image(layout, "c", false, Platform.parse("linux/amd64"), 1);
    ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "c", registry.client().repository("signed/app"), "c");
    assertEquals(0, run("sign", "--key", key1 + ".key", image("c")).code());
    assertEquals(0, run("sign", "--key", key2 + ".key", image("c")).code());
    Manifest sigs = (Manifest) registry.client().getManifest("signed/app", sigTag(m.digest()));
    assertEquals(2, sigs.layers().size(), "signing again appends");
    assertEquals(0, run("verify", "--key", key1 + ".pub", image("c")).code());
    assertEquals(0, run("verify", "--key", key2 + ".pub", image("c")).code());
    // Also on an OCI layout.
    assertEquals(0, run("sign", "--key", key2 + ".key", "oci:" + layout.root() + ":c").code());
    assertEquals(0, run("verify", "--key", key2 + ".pub", "oci:" + layout.root() + ":c").code());
    assertEquals(1, run("verify", "--key", key1 + ".pub", "oci:" + layout.root() + ":c").code());
  }

  @Test
  void attestationsAreSignedStatementsAboutTheDigest() throws Exception {
    Path vex = Files.writeString(work.resolve("vex.json"), "{\"@context\":\"https://openvex.dev/ns/v0.2.0\","
        + "\"statements\":[{\"vulnerability\":{\"name\":\"CVE-2025-1\"},\"status\":\"fixed\"}]}");
    CliRun attest = run("attest", "--key", key1 + ".key", "--type", "openvex", "--predicate", vex.toString(), image("a"));
    assertEquals(0, attest.code(), attest.err());
    CliRun ok = run("verify-attestation", "--key", key1 + ".pub", "--type", "openvex", image("a"));
    assertEquals(0, ok.code(), ok.err());
    JsonNode statement = new ObjectMapper().readTree(ok.out());
    assertEquals("https://openvex.dev/ns", statement.get("predicateType").asText());
    assertEquals(imageA.digest().hex(), statement.at("/subject/0/digest/sha256").asText());
    assertEquals("CVE-2025-1", statement.at("/predicate/statements/0/vulnerability/name").asText());
    Manifest att = (Manifest) registry.client().getManifest("signed/app", "sha256-" + imageA.digest().hex() + ".att");
    assertEquals("application/vnd.dsse.envelope.v1+json", att.layers().get(0).mediaType());
    assertEquals("https://openvex.dev/ns", att.layers().get(0).annotations().get("predicateType"));
    CliRun wrongKey = run("verify-attestation", "--key", key2 + ".pub", image("a"));
    assertEquals(1, wrongKey.code());
    assertTrue(wrongKey.err().contains("no signature of the envelope verifies with the given key"), wrongKey.err());
    CliRun wrongType = run("verify-attestation", "--key", key1 + ".pub", "--type", "spdx", image("a"));
    assertEquals(1, wrongType.code());
    assertTrue(wrongType.err().contains("predicateType is https://openvex.dev/ns, not https://spdx.dev/Document"),
        wrongType.err());
  }
}
