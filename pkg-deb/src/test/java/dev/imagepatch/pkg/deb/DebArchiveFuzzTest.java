package dev.imagepatch.pkg.deb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the {@code .deb} reader (ar members, control.tar and data.tar with their compressions,
 * tar headers) with arbitrary bytes written to a temporary file.
 *
 * <p>Contract: {@link DebArchive#open(Path)} returns an archive or throws an {@link IOException}
 * naming the file (not an ar archive, a bad member, an unsupported compression, a control file of
 * more or fewer than one paragraph, and the IOExceptions of commons-compress, xz and zstd for
 * corrupt streams); {@code md5sums}, {@code conffileEntries}, {@code dataCompression} and
 * {@code readData} of an opened archive return or throw an {@link IOException} too. Any other
 * throwable, or a run past Jazzer's timeout, is a finding. Seeds and regression inputs:
 * {@code src/test/resources/dev/imagepatch/pkg/deb/DebArchiveFuzzTestInputs/open/}.
 */
class DebArchiveFuzzTest {
  private static Path file;

  @FuzzTest(maxDuration = "30s")
  void open(byte[] input) throws IOException {
    Path deb = temp();
    Files.write(deb, input);
    DebArchive archive;
    try {
      archive = DebArchive.open(deb);
    } catch (IOException expected) {
      return;
    }
    archive.control().get("Package");
    archive.controlArchive();
    try {
      archive.md5sums();
      archive.conffileEntries();
      archive.dataCompression();
      archive.readData((entry, content) -> {
        if (content != null) {
          content.transferTo(OutputStream.nullOutputStream());
        }
      });
    } catch (IOException expected) {
      // a corrupt data.tar or control member
    }
  }

  private static synchronized Path temp() throws IOException {
    if (file == null) {
      file = Files.createTempFile("fuzz", ".deb");
      file.toFile().deleteOnExit();
    }
    return file;
  }
}
