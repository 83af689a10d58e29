package dev.imagepatch.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

  @Test
  void sha256OfKnownContent() {
    assertEquals("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        Digest.sha256(HELLO).toString());
  }

  @Test
  void sha512ParsesAndRecomputes() {
    Digest d = Digest.parse("sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
        + "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043");
    assertEquals(Digest.Algorithm.SHA512, d.algorithm());
    assertEquals(d, d.recompute(HELLO));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "sha256", "sha256:", "md5:5d41402abc4b2a76b9719d911017c592",
      "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
      "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
      "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824a",
      "sha256:../../../../etc/passwd000000000000000000000000000000000000000000000"})
  void malformedDigestsAreRejectedWithTheText(String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Digest.parse(value));
    assertTrue(e.getMessage().contains("'"), e.getMessage());
  }

  @Test
  void verifyingStreamAcceptsExactContent() throws Exception {
    try (InputStream in = new VerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.sha256(HELLO), 5, "x")) {
      assertEquals(5, in.readAllBytes().length);
    }
  }

  @Test
  void verifyingStreamRejectsOtherContentAtTheEnd() {
    byte[] other = "hellp".getBytes(StandardCharsets.UTF_8);
    InputStream in = new VerifyingInputStream(new ByteArrayInputStream(other), Digest.sha256(HELLO), 5, "blob X");
    DigestMismatchException e = assertThrows(DigestMismatchException.class, in::readAllBytes);
    assertTrue(e.getMessage().startsWith("blob X: content hashes to sha256:"), e.getMessage());
  }

  @Test
  void verifyingStreamStopsAnOverlongStreamAtOnce() {
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 'a';
      }
    };
    InputStream in = new VerifyingInputStream(endless, Digest.sha256(HELLO), 5, "blob Y");
    DigestMismatchException e = assertThrows(DigestMismatchException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("more than the expected 5 bytes"), e.getMessage());
  }

  @Test
  void verifyingStreamRejectsAShortStream() {
    InputStream in = new VerifyingInputStream(new ByteArrayInputStream(HELLO), Digest.sha256(HELLO), 6, "blob Z");
    DigestMismatchException e = assertThrows(DigestMismatchException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("expected 6 bytes, got 5"), e.getMessage());
  }
}
