package dev.imagepatch.pkg.rpm;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fuzzes the .rpm reader (the lead, the signature header and its padding, the header, the file
 * list from DIRNAMES/BASENAMES/DIRINDEXES and the parallel file arrays, the payload's compression
 * and cpio entries, rpm's stripped {@code 07070X} entries, the digests and sizes) with arbitrary
 * bytes written to a temporary file, and the OpenPGP signatures against a key made for this test.
 *
 * <p>Contract: {@link RpmPackage#open} returns a package or throws an {@link IOException} with a
 * message (not an rpm, a bad header, a header digest mismatch, a file list that does not add up, a
 * path rpm would not install); {@code payload} of an opened package returns or throws one too (a
 * corrupt stream, an entry not in the header, a digest or size mismatch, a bound passed), and so
 * does {@link RpmSignatures#check}. Every path of {@code files()} is one a layer may hold: no
 * {@code ..} component, no NUL, newline or carriage return. Any other throwable, or a run past
 * Jazzer's timeout, is a finding. Seeds (a package of five files built by rpmbuild 4.18 from
 * {@code RpmPackageFuzzTestInputs/tiny.spec.txt}, uncompressed, gzip, and uncompressed signed with
 * {@code fuzz-test-key.asc}, a key made for this test with gpg) and regression inputs: {@code
 * src/test/resources/dev/imagepatch/pkg/rpm/RpmPackageFuzzTestInputs/open/}.
 */
class RpmPackageFuzzTest {
  private static Path file;
  private static RpmKeys keys;

  @FuzzTest(maxDuration = "30s")
  void open(byte[] input) throws IOException {
    Path rpm = temp();
    Files.write(rpm, input);
    RpmPackage p;
    try {
      p = RpmPackage.open(rpm);
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
      return;
    }
    p.nevra();
    p.arch();
    p.payloadCompressor();
    p.fileDigestAlgorithm();
    for (RpmPackage.RpmFile f : p.files()) {
      String path = f.path();
      if (path.equals("..") || path.startsWith("../") || path.contains("/../") || path.endsWith("/..")
          || path.indexOf('\0') >= 0 || path.indexOf('\n') >= 0 || path.indexOf('\r') >= 0) {
        throw new AssertionError("a path a layer must not hold: " + path);
      }
    }
    try {
      p.payload((entry, content) -> {
        entry.path();
        if (content != null) {
          content.transferTo(OutputStream.nullOutputStream());
        }
      });
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      for (RpmSignatures.Check c : RpmSignatures.check(p, keys())) {
        c.rpmLabel();
      }
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
  }

  private static synchronized Path temp() throws IOException {
    if (file == null) {
      file = Files.createTempFile("fuzz", ".rpm");
      file.toFile().deleteOnExit();
    }
    return file;
  }

  static synchronized RpmKeys keys() throws IOException {
    if (keys == null) {
      try (InputStream in = RpmPackageFuzzTest.class.getResourceAsStream("fuzz-test-key.asc")) {
        keys = RpmKeys.fromArmored(Map.of("fuzz-test-key.asc", in.readAllBytes()));
      }
    }
    return keys;
  }
}
