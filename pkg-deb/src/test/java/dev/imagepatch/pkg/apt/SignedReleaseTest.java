package dev.imagepatch.pkg.apt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real bookworm-security InRelease, verified as apt verifies it, and its failures. */
class SignedReleaseTest {
  @TempDir
  static Path temp;

  static byte[] inRelease;
  static PGPPublicKeyRingCollection debianKeys;

  static Path resource(String name) throws IOException {
    Path p = temp.resolve(name.replace('/', '_'));
    try (InputStream in = SignedReleaseTest.class.getResourceAsStream("/" + name)) {
      Files.copy(in, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return p;
  }

  @BeforeAll
  static void load() throws IOException {
    inRelease = Files.readAllBytes(resource("debian/InRelease-bookworm-security"));
    debianKeys = SignedRelease.keyring(List.of(resource("keyrings/debian-archive-keyring.gpg")));
  }

  @Test
  void theRealInReleaseVerifiesAndParses() throws IOException {
    String text = SignedRelease.verifyInRelease(inRelease, debianKeys, "bookworm-security/InRelease");
    Release release = Release.parse(text, "bookworm-security/InRelease");
    assertEquals("bookworm-security", release.codename().orElseThrow());
    assertEquals(List.of("amd64", "arm64", "armhf", "i386", "ppc64el"), release.architectures());
    assertTrue(release.components().contains("updates/main"));
    assertTrue(release.acquireByHash());
    assertEquals(Instant.parse("2026-11-21T00:53:02Z"), release.date().orElseThrow());
    assertEquals(Instant.parse("2026-11-28T00:53:02Z"), release.validUntil().orElseThrow());
    Release.IndexFile packages = release.sha256("main/binary-amd64/Packages.xz").orElseThrow();
    // The security suite lists its indexes without the "updates/" prefix its components carry.
    assertEquals("8575ec1f224d635ce30646a2a1388bee267a7f37fae3f997687643c9ebb8fb43", packages.sha256());
    assertEquals(378100, packages.size());
    release.checkValidAt(Instant.parse("2026-11-23T12:00:00Z"));
  }

  @Test
  void anExpiredReleaseIsRefused() throws IOException {
    Release release = Release.parse(SignedRelease.verifyInRelease(inRelease, debianKeys, "s"), "mirror/InRelease");
    IOException e = assertThrows(IOException.class, () -> release.checkValidAt(Instant.parse("2026-11-28T00:53:03Z")));
    assertTrue(e.getMessage().startsWith("mirror/InRelease: expired: Valid-Until was Sat, 28 Nov 2026 00:53:02 UTC"),
        e.getMessage());
  }

  @Test
  void aChangedReleaseFailsItsSignature() {
    String text = new String(inRelease, StandardCharsets.UTF_8);
    // A mirror that swaps one index digest for another: the signature no longer matches.
    String tampered = text.replaceFirst("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "0000000000000000000000000000000000000000000000000000000000000000");
    IOException e = assertThrows(IOException.class, () -> SignedRelease.verifyInRelease(
        tampered.getBytes(StandardCharsets.UTF_8), debianKeys, "mirror/InRelease"));
    assertTrue(e.getMessage().startsWith("mirror/InRelease: BAD signature by key "), e.getMessage());
  }

  @Test
  void aKeyringWithoutTheSigningKeysIsRefused() throws IOException {
    PGPPublicKeyRingCollection other = SignedRelease.keyring(List.of(resource("keyrings/debian-archive-bookworm-stable.gpg")));
    IOException e = assertThrows(IOException.class, () -> SignedRelease.verifyInRelease(inRelease, other, "x/InRelease"));
    assertTrue(e.getMessage().startsWith("x/InRelease: no signature by a trusted key (signed by "), e.getMessage());
    assertTrue(e.getMessage().contains("BDE6D2B9216EC7A8"), e.getMessage());
  }

  @Test
  void unsignedOrBrokenInputIsRefused() throws IOException {
    byte[] release = "Origin: Debian\nSuite: x\n".getBytes(StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> SignedRelease.verifyInRelease(release, debianKeys, "r"));
    assertEquals("r: not a clearsigned message", e.getMessage());
    Path notKeys = Files.writeString(temp.resolve("not-a-keyring.gpg"), "hello");
    IOException k = assertThrows(IOException.class, () -> SignedRelease.keyring(List.of(notKeys)));
    assertTrue(k.getMessage().startsWith(notKeys + ": not an OpenPGP keyring"), k.getMessage());
  }
}
