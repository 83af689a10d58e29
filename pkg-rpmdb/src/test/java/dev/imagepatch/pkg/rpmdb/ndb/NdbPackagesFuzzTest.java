package dev.imagepatch.pkg.rpmdb.ndb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;

/**
 * Fuzzes the NDB reader with arbitrary bytes as a Packages.db.
 *
 * <p>Contract: {@link NdbPackages#of(byte[], String)} and {@link NdbPackages#readAll()} return or
 * throw an {@link IOException}; any other throwable, or an allocation beyond the file's size, is a
 * finding. Seeds (synthetic, laid out as rpm writes them): {@code
 * src/test/resources/dev/imagepatch/pkg/rpmdb/ndb/NdbPackagesFuzzTestInputs/read/}.
 */
class NdbPackagesFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    try (NdbPackages db = NdbPackages.of(input, "fuzz")) {
      for (NdbPackages.Blob blob : db.readAll()) {
        if (blob.header().length > input.length) {
          throw new AssertionError("a blob larger than the file");
        }
      }
      db.read(1);
    } catch (IOException expected) {
      // refused
    }
  }
}
