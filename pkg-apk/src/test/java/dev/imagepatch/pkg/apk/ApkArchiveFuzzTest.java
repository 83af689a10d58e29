package dev.imagepatch.pkg.apk;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the v2 {@code .apk} reader (concatenated gzip members with their exact boundaries, the
 * signature member and its {@code .SIGN.*} entries, the cut control tar with .PKGINFO and scripts,
 * the data tar with its paths, links and {@code APK-TOOLS.checksum.SHA1} PAX records) with
 * arbitrary bytes written to a temporary file, checked against a key made in the test.
 *
 * <p>Contract: {@link ApkArchive#open} returns an archive or throws an {@link IOException} with a
 * message (not gzip, an APKv3 file, a bad member, a bad or missing signature, a tar entry apk would
 * not install, a checksum mismatch, a bound passed); {@code readData} of an opened archive returns or
 * throws one too. Insecure mode is asked for, so that a package whose signature does not verify is
 * still read to its end. Any other throwable (an IllegalArgumentException included: the reader wraps
 * the ones commons-compress throws), an IOException without a message, or a run past Jazzer's
 * timeout, is a finding. Seeds (packages made by {@link ApkFixtures}) and regression inputs:
 * {@code src/test/resources/dev/imagepatch/pkg/apk/ApkArchiveFuzzTestInputs/open/}.
 */
class ApkArchiveFuzzTest {
  private static Path file;

  @FuzzTest(maxDuration = "30s")
  void open(byte[] input) throws IOException {
    Path apk = temp();
    Files.write(apk, input);
    ApkArchive archive;
    try {
      archive = ApkArchive.open(apk, null, ApkFixtures.testKeys(), true, "fuzz.apk");
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
      return;
    }
    archive.pkgInfo().entries();
    archive.scripts();
    archive.checksum();
    archive.signer();
    try {
      archive.readData((entry, content) -> content.transferTo(OutputStream.nullOutputStream()));
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
  }

  private static synchronized Path temp() throws IOException {
    if (file == null) {
      file = Files.createTempFile("fuzz", ".apk");
      file.toFile().deleteOnExit();
    }
    return file;
  }
}
