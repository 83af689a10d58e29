package dev.imagepatch.pkg.rpmdb.bdb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the pure-Java Berkeley DB reader (the meta page, either byte order, hash buckets and their
 * spares, overflow chains, btree internal and leaf pages and their sibling links, item offsets) with
 * arbitrary bytes written to a temporary file, then rpm's view of it: {@link RpmBdb#readPackages}
 * (hnum keys, header blobs) and {@link RpmBdb#readIndex} (index keys, hnum/idx pairs).
 *
 * <p>Contract: each returns or throws an {@link IOException} with a message naming the file (not a
 * hash or btree file, an unsupported version or flag, a page number, offset or length outside the
 * file, a page reached twice); no item is larger than the file. Any other throwable, an allocation
 * beyond the file, or a run past Jazzer's timeout (a page cycle followed forever), is a finding.
 * Seeds (made with libdb 5.3's {@code db_load} in 512-byte pages: hash in both byte orders, btree,
 * each with an overflow item; a Packages file holding the header of {@code RpmPackageFuzzTest}'s
 * package and a Name index) and regression inputs: {@code
 * src/test/resources/dev/imagepatch/pkg/rpmdb/bdb/BdbReaderFuzzTestInputs/read/}.
 */
class BdbReaderFuzzTest {
  private static Path file;

  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) throws IOException {
    Path db = temp();
    Files.write(db, input);
    try {
      for (BdbEntry e : BdbReader.readAll(db)) {
        if (e.key().length > input.length || e.value().length > input.length) {
          throw new AssertionError("an item larger than the file");
        }
      }
    } catch (IOException expected) {
      requireMessage(expected);
    }
    try {
      RpmBdb.readPackages(db);
    } catch (IOException expected) {
      requireMessage(expected);
    }
    try {
      RpmBdb.readIndex(db);
    } catch (IOException expected) {
      requireMessage(expected);
    }
  }

  private static void requireMessage(IOException e) {
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError("an exception without a message: " + e, e);
    }
  }

  private static synchronized Path temp() throws IOException {
    if (file == null) {
      file = Files.createTempFile("fuzz", ".db");
      file.toFile().deleteOnExit();
    }
    return file;
  }
}
