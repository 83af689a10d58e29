package dev.imagepatch.pkg.apt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.io.ContentCache;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * A repository on disk (file: URIs, as apt allows), signed with a key made for the test: the
 * Packages index is read through its decompressed copy in the cache, which is checked against the
 * Release's entry for the uncompressed index like every download.
 */
class AptRepositoryTest {
  private static final String PACKAGES = """
      Package: hello
      Version: 2.10-3
      Architecture: amd64
      Filename: pool/main/h/hello/hello_2.10-3_amd64.deb
      Size: 56000
      SHA256: 0000000000000000000000000000000000000000000000000000000000000001

      Package: hello
      Version: 2.10-3+deb12u1
      Architecture: amd64
      Filename: pool/main/h/hello/hello_2.10-3+deb12u1_amd64.deb
      Size: 56100
      SHA256: 0000000000000000000000000000000000000000000000000000000000000002

      """;

  @TempDir
  Path tmp;
  PGPKeyPair key;

  @BeforeEach
  void key() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    key = new JcaPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, rsa.generateKeyPair(), new Date());
  }

  @Test
  void theIndexIsReadThroughItsVerifiedDecompressedCopy() throws Exception {
    byte[] plain = PACKAGES.getBytes(StandardCharsets.UTF_8);
    ContentCache cache = new ContentCache(tmp.resolve("cache"));
    AptRepository repo = open(repository(plain, sha256(plain)), cache);

    PackageIndex index = new PackageIndex();
    repo.loadPackages(index, "amd64");
    assertEquals("2.10-3+deb12u1", index.best("hello", "amd64").orElseThrow().version());
    assertTrue(cache.find(sha256(plain)).isPresent(), "the decompressed index is cached under its own digest");

    // A later run needs only the decompressed copy: with the compressed one gone, it still loads.
    Files.delete(cache.find(sha256(xz(plain))).orElseThrow());
    Files.delete(tmp.resolve("repo/dists/test/main/binary-amd64/Packages.xz"));
    PackageIndex again = new PackageIndex();
    repo.loadPackages(again, "amd64");
    assertEquals(2, again.size());
  }

  @Test
  void aDecompressedIndexTheReleaseDoesNotListIsRefused() throws Exception {
    byte[] plain = PACKAGES.getBytes(StandardCharsets.UTF_8);
    String wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));
    AptRepository repo = open(repository(plain, wrong), new ContentCache(tmp.resolve("cache")));

    IOException e = assertThrows(IOException.class, () -> repo.loadPackages(new PackageIndex(), "amd64"));
    assertTrue(e.getMessage().contains("Packages.xz (decompressed)") && e.getMessage().contains(wrong),
        e.getMessage());
  }

  /** dists/test with main/binary-amd64/Packages.xz, a Release listing it and the plain index as {@code plainSha}. */
  private Path repository(byte[] plain, String plainSha) throws Exception {
    Path dists = Files.createDirectories(tmp.resolve("repo/dists/test/main/binary-amd64")).getParent().getParent();
    byte[] compressed = xz(plain);
    Files.write(dists.resolve("main/binary-amd64/Packages.xz"), compressed);
    String release = "Origin: imagepatch tests\nSuite: test\nCodename: test\nDate: Mon, 23 Nov 2026 10:00:00 UTC\n"
        + "Architectures: amd64\nComponents: main\nSHA256:\n"
        + " " + sha256(compressed) + " " + compressed.length + " main/binary-amd64/Packages.xz\n"
        + " " + plainSha + " " + plain.length + " main/binary-amd64/Packages\n";
    byte[] bytes = release.getBytes(StandardCharsets.UTF_8);
    Files.write(dists.resolve("Release"), bytes);
    PGPSignatureGenerator signer = new PGPSignatureGenerator(
        new JcaPGPContentSignerBuilder(key.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256));
    signer.init(PGPSignature.BINARY_DOCUMENT, key.getPrivateKey());
    signer.update(bytes);
    Files.write(dists.resolve("Release.gpg"), signer.generate().getEncoded());
    return tmp.resolve("repo");
  }

  private AptRepository open(Path repo, ContentCache cache) throws IOException {
    AptSource source = AptSource.parse(Map.of("test.list", "deb " + repo.toUri() + " test main\n")).get(0);
    PGPPublicKeyRingCollection keys = new PGPPublicKeyRingCollection(
        List.of(new PGPPublicKeyRing(List.of(key.getPublicKey()))));
    return AptRepository.open(source, keys, cache, HttpClient.newHttpClient(), Instant.parse("2026-11-23T12:00:00Z"),
        false);
  }

  private static byte[] xz(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options())) {
      xz.write(content);
    }
    return out.toByteArray();
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
