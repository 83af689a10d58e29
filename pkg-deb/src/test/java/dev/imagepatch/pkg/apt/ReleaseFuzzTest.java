package dev.imagepatch.pkg.apt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * Fuzzes what apt reads of a repository's Release: the Release text itself, and InRelease's
 * clear-signed OpenPGP message checked against Debian's archive keyring (a test resource).
 *
 * <p>Contract of {@link #parse}: {@link Release#parse} returns a Release or throws an
 * {@link IOException} naming the source (more than one paragraph, a bad SHA256 line, a bad date);
 * the accessors of a parsed Release ({@code suite}, {@code architectures}, {@code indexFiles},
 * {@code checkValidAt}, ...) return or throw an {@link IOException} too.
 *
 * <p>Contract of {@link #verifyInRelease}: {@link SignedRelease#verifyInRelease} returns the signed
 * text or throws an {@link IOException} (no signature, a bad one, an unknown key, malformed
 * armour or packets, which Bouncy Castle reports as IOExceptions or {@code PGPException}s the method
 * wraps). Random bytes cannot forge Debian's signature, so this exercises the parsing around it.
 *
 * <p>Any other throwable, or a run past Jazzer's timeout, is a finding. Seeds and regression
 * inputs: {@code src/test/resources/dev/imagepatch/pkg/apt/ReleaseFuzzTestInputs/<method>/}.
 */
class ReleaseFuzzTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static PGPPublicKeyRingCollection debianKeys;

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    Release release;
    try {
      release = Release.parse(new String(input, StandardCharsets.UTF_8), "fuzz/Release");
    } catch (IOException expected) {
      return;
    }
    release.suite();
    release.codename();
    release.architectures();
    release.components();
    release.acquireByHash();
    release.indexFiles().keySet().forEach(release::sha256);
    try {
      release.checkValidAt(NOW);
    } catch (IOException expected) {
      // expired
    }
  }

  @FuzzTest(maxDuration = "30s")
  void verifyInRelease(byte[] input) throws IOException {
    try {
      SignedRelease.verifyInRelease(input, keys(), "fuzz/InRelease");
    } catch (IOException expected) {
      // unsigned, badly signed, or signed by a key not in the keyring
    }
  }

  private static synchronized PGPPublicKeyRingCollection keys() throws IOException {
    if (debianKeys == null) {
      try (InputStream in = ReleaseFuzzTest.class.getResourceAsStream("/keyrings/debian-archive-keyring.gpg")) {
        debianKeys = SignedRelease.keyring(Map.of("debian-archive-keyring.gpg", in.readAllBytes()));
      }
    }
    return debianKeys;
  }
}
