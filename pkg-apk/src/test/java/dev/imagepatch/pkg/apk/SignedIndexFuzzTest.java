package dev.imagepatch.pkg.apk;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Fuzzes the signed {@code APKINDEX.tar.gz} reader (the signature member, the index member and
 * everything after it, tar entries, UTF-8) with arbitrary bytes, under a 1 MiB bound.
 *
 * <p>Contract: {@link SignedIndex#read} returns the index text or throws an {@link IOException}
 * with a message (not gzip, APKv3, a bad member, no or a bad signature, the bound passed, not
 * UTF-8). Insecure mode is asked for, so that an index whose signature does not verify is read to
 * its end; its text is then read by {@link ApkRecord#readIndex}, which never throws. Any other
 * throwable, or a run past Jazzer's timeout, is a finding. Seeds (indexes made by
 * {@link ApkFixtures}) and regression inputs:
 * {@code src/test/resources/dev/imagepatch/pkg/apk/SignedIndexFuzzTestInputs/read/}.
 */
class SignedIndexFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    SignedIndex index;
    try {
      index = SignedIndex.read(new ByteArrayInputStream(input), "fuzz/APKINDEX.tar.gz", ApkFixtures.testKeys(), true,
          1 << 20);
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
      return;
    }
    index.description();
    index.signer();
    ApkRecord.readIndex(index.text(), "fuzz/APKINDEX");
  }
}
