package dev.imagepatch.pkg.apk;

import static dev.imagepatch.pkg.apk.ApkFixtures.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Real Alpine and Wolfi indexes verified with their real keys, and what must be refused. */
class SignedIndexTest {
  private static final long MAX = 64L << 20;

  private static SignedIndex read(Path file, ApkKeys keys, boolean allowUnsigned) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return SignedIndex.read(in, file.getFileName().toString(), keys, allowUnsigned, MAX);
    }
  }

  private static SignedIndex read(byte[] bytes, ApkKeys keys, boolean allowUnsigned) throws IOException {
    return SignedIndex.read(new ByteArrayInputStream(bytes), "APKINDEX.tar.gz", keys, allowUnsigned, MAX);
  }

  @Test
  void alpine316X8664VerifiesWithAlpinesX8664Keys() throws Exception {
    SignedIndex index = read(ApkTestData.alpine("apkindex/APKINDEX-v3.16-main-x86_64.tar.gz"),
        ApkTestData.alpineKeys("x86_64"), false);
    assertEquals(Optional.of("alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"), index.signer());
    assertEquals(Files.readString(ApkTestData.alpine("APKINDEX-v3.16-main-x86_64.DESCRIPTION")), index.description());
    assertEquals(4929, stanzas(index.text()));
    // The excerpt's stanzas are verbatim stanzas of this index.
    String excerpt = Files.readString(ApkTestData.alpine("APKINDEX-v3.16-main-x86_64.excerpt"));
    for (String stanza : excerpt.split("\n\n")) {
      if (!stanza.isBlank()) {
        assertTrue(index.text().startsWith(stanza.strip() + "\n") || index.text().contains("\n\n" + stanza.strip()
            + "\n"), () -> "stanza not in the index: " + stanza.lines().findFirst().orElse(""));
      }
    }
  }

  @Test
  void alpine317Aarch64VerifiesWithAlpinesAarch64Keys() throws Exception {
    SignedIndex index = read(ApkTestData.alpine("apkindex/APKINDEX-v3.17-main-aarch64.tar.gz"),
        ApkTestData.alpineKeys("aarch64"), false);
    assertEquals(Optional.of("alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"), index.signer());
    assertEquals(5004, stanzas(index.text()));
    assertTrue(index.description().startsWith("v3.17.3-216-g54a39ace82a"), index.description());
  }

  @Test
  void alpine37ArmhfVerifiesWithAlpinesArmhfKeys() throws Exception {
    SignedIndex index = read(ApkTestData.alpine("apk/v3.7-armhf/APKINDEX.tar.gz"), ApkTestData.alpineKeys("armhf"),
        false);
    assertEquals(Optional.of("alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub"), index.signer());
    assertEquals(5648, stanzas(index.text()));
    assertTrue(index.description().startsWith("v3.7.0-35-g1f6e64f5d4"), index.description());
  }

  @Test
  void alpine26X86VerifiesWithAlpinesX86Keys() throws Exception {
    SignedIndex index = read(ApkTestData.alpine("apkindex/APKINDEX-v2.6-main-x86.tar.gz"),
        ApkTestData.alpineKeys("x86"), false);
    assertEquals(Optional.of("alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"), index.signer());
  }

  @Test
  void theWrongArchitecturesKeysAreRefusedNamingTheKeys() {
    IOException e = assertThrows(IOException.class, () -> read(
        ApkTestData.alpine("apkindex/APKINDEX-v3.16-main-x86_64.tar.gz"), ApkTestData.alpineKeys("aarch64"), false));
    String m = e.getMessage();
    assertTrue(m.startsWith("APKINDEX-v3.16-main-x86_64.tar.gz: signature: no signature verifies"), m);
    assertTrue(m.contains("'.SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub' (key not trusted)"), m);
    assertTrue(m.contains("trusted keys: alpine-devel@lists.alpinelinux.org-58199dcc.rsa.pub,"
        + " alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"), m);

    IOException e2 = assertThrows(IOException.class, () -> read(
        ApkTestData.alpine("apkindex/APKINDEX-v3.17-main-aarch64.tar.gz"), ApkTestData.alpineKeys("x86_64"), false));
    assertTrue(e2.getMessage().contains("616ae350.rsa.pub' (key not trusted)"), e2.getMessage());
    assertTrue(e2.getMessage().contains("6165ee59.rsa.pub"), e2.getMessage());
  }

  @Test
  void apkoMultisigRsa256IndexVerifiesWithAnyOfItsThreeKeys() throws Exception {
    Path keys = ApkTestData.wolfi("keys/apko-signing-testdata");
    SignedIndex index = read(ApkTestData.wolfi("APKINDEX-apko-multisig-rsa256-aarch64.tar.gz"),
        ApkTestData.keysIn(keys), false);
    assertTrue(index.signer().orElseThrow().startsWith("chainguard-"), index.signer().toString());
    assertEquals(16, stanzas(index.text()));
    // Each key alone is enough (apk: any trusted signature that verifies).
    try (var files = Files.list(keys)) {
      for (Path key : files.toList()) {
        String name = key.getFileName().toString();
        ApkKeys one = ApkTestData.keys(java.util.Map.of(name, Files.readAllBytes(key)));
        assertEquals(Optional.of(name), read(ApkTestData.wolfi("APKINDEX-apko-multisig-rsa256-aarch64.tar.gz"), one,
            false).signer());
      }
    }
  }

  @Test
  void wolfictlWolfiIndexVerifiesWithTheWolfiKey() throws Exception {
    SignedIndex index = read(ApkTestData.wolfi("APKINDEX-wolfictl-dag-x86_64.tar.gz"), ApkTestData.wolfiKey(), false);
    assertEquals(Optional.of("wolfi-signing.rsa.pub"), index.signer());
    assertEquals(47, stanzas(index.text()));
    assertTrue(index.text().contains("P:openssl\nV:3.0.7-r0\n"), "two openssl stanzas");
  }

  @Test
  void everyIndexOfTheSignaturesTableVerifiesAsListed() throws Exception {
    for (String[] row : ApkTestData.expectedSignatures()) {
      if (!row[3].equals("APKINDEX")) {
        continue;
      }
      Path file = dev.imagepatch.testing.SharedData.path("vectors/" + row[0]);
      assertEquals(Long.parseLong(row[1]), Files.size(file), row[0]);
      ApkKeys keys = row[0].startsWith("wolfi/APKINDEX-apko") ? ApkTestData.keysIn(ApkTestData.wolfi(
          "keys/apko-signing-testdata")) : row[0].startsWith("wolfi/") ? ApkTestData.wolfiKey()
          : ApkTestData.keysIn(ApkTestData.alpine("keys"));
      SignedIndex index = read(file, keys, false);
      String firstOk = row[5].split(" ")[0].split(":")[0];
      assertEquals(Optional.of(firstOk), index.signer(), row[0]);
    }
  }

  @Test
  void aFlippedByteInTheIndexMemberIsABadSignature() throws Exception {
    byte[] real = Files.readAllBytes(ApkTestData.wolfi("APKINDEX-wolfictl-dag-x86_64.tar.gz"));
    List<byte[]> members = ApkFixtures.members(real);
    // The gzip header's MTIME: the index still unpacks, but its bytes are not the signed ones.
    byte[] tampered = concat(members.get(0), ApkFixtures.flip(members.get(1), 4));
    IOException e = assertThrows(IOException.class, () -> read(tampered, ApkTestData.wolfiKey(), false));
    assertEquals("APKINDEX.tar.gz: signature: no signature verifies: '.SIGN.RSA.wolfi-signing.rsa.pub' (BAD signature);"
        + " trusted keys: wolfi-signing.rsa.pub", e.getMessage());
  }

  @Test
  void anUnsignedIndexIsRefusedUnlessAllowed() throws Exception {
    byte[] real = Files.readAllBytes(ApkTestData.alpine("apkindex/APKINDEX-v3.17-main-aarch64.tar.gz"));
    byte[] unsigned = ApkFixtures.members(real).get(1);
    IOException e = assertThrows(IOException.class, () -> read(unsigned, ApkTestData.alpineKeys("aarch64"), false));
    assertTrue(e.getMessage().startsWith("APKINDEX.tar.gz: the index is not signed"), e.getMessage());
    SignedIndex index = read(unsigned, ApkTestData.alpineKeys("aarch64"), true);
    assertEquals(Optional.empty(), index.signer());
    assertEquals(5004, stanzas(index.text()));
    // Insecure mode also takes an index whose signature names no trusted key.
    assertEquals(Optional.empty(), read(real, ApkKeys.none(), true).signer());
  }

  @Test
  void anApkV3IndexIsRefusedSayingSo() {
    for (String magic : new String[] {"ADBd", "ADBc", "ADB.indx"}) {
      byte[] adb = concat(magic.getBytes(StandardCharsets.US_ASCII), new byte[64]);
      IOException e = assertThrows(IOException.class, () -> read(adb, ApkTestData.wolfiKey(), true));
      assertTrue(e.getMessage().contains("APKv3") && e.getMessage().contains("not supported")
          && e.getMessage().contains("v2"), e.getMessage());
    }
  }

  @Test
  void notGzipIsRefused() {
    IOException e = assertThrows(IOException.class, () -> read("<html>".getBytes(StandardCharsets.US_ASCII),
        ApkTestData.wolfiKey(), true));
    assertTrue(e.getMessage().startsWith("APKINDEX.tar.gz: not an apk v2 index (no gzip header"), e.getMessage());
  }

  @Test
  void anIndexLargerThanTheBoundIsRefused() throws Exception {
    Path file = ApkTestData.alpine("apkindex/APKINDEX-v3.16-main-x86_64.tar.gz");
    try (InputStream in = Files.newInputStream(file)) {
      IOException e = assertThrows(IOException.class, () -> SignedIndex.read(in, "v3.16", ApkTestData.alpineKeys(
          "x86_64"), false, 1 << 20));
      assertEquals("v3.16 unpacks to more than 1048576 bytes", e.getMessage());
    }
  }

  @Test
  void aTestMadeIndexSignedWithSha256Verifies() throws Exception {
    byte[] content = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(
        new ApkFixtures.Entry("DESCRIPTION", "test".getBytes(StandardCharsets.UTF_8)),
        new ApkFixtures.Entry("APKINDEX", "C:Q1x\nP:a\nV:1\n\n".getBytes(StandardCharsets.UTF_8)))));
    byte[] signed = concat(ApkFixtures.signatureMember("SHA256withRSA", ".SIGN.RSA256." + ApkFixtures.KEY_NAME,
        content), content);
    SignedIndex index = read(signed, ApkFixtures.testKeys(), false);
    assertEquals("C:Q1x\nP:a\nV:1\n\n", index.text());
    assertEquals("test", index.description());
    assertEquals(Optional.of(ApkFixtures.KEY_NAME), index.signer());
    // Data after the signed member is signed too (apk signs to the end); garbage after it is refused.
    IOException e = assertThrows(IOException.class, () -> read(concat(signed, new byte[] {1, 2, 3}),
        ApkFixtures.testKeys(), false));
    assertTrue(e.getMessage().contains("not a gzip member"), e.getMessage());
  }

  static int stanzas(String text) {
    int n = 0;
    for (String s : text.split("\n\n")) {
      if (s.contains("P:")) {
        n++;
      }
    }
    return n;
  }
}
