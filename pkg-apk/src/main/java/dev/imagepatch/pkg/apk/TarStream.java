package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.io.Bounded;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Supplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A tar read entry by entry with its headers (PAX, GNU long names) bounded. apk cuts the
 * signature and control tars (no end-of-archive blocks): the end of the stream ends them.
 */
final class TarStream {
  private final Bounded.HeaderGuard guard;
  private final TarArchiveInputStream tar;
  private final String what;

  TarStream(InputStream decompressed, String what) {
    this.guard = new Bounded.HeaderGuard(decompressed);
    // Records of one block: never read past the end of a cut tar.
    this.tar = new TarArchiveInputStream(guard, 512, "UTF-8");
    this.what = what;
  }

  /** The next entry (the current one's content is skipped), or null at the end. */
  TarArchiveEntry next() throws IOException {
    try {
      return guard.next(tar, Bounded.TAR_HEADER_LIMIT, what, tar::getNextEntry);
    } catch (IllegalArgumentException e) {
      // commons-compress reports some malformed headers (bad octal numbers) this way.
      throw new IOException(what + ": malformed tar header: " + e.getMessage(), e);
    }
  }

  /** The current entry's content. */
  InputStream content() {
    return tar;
  }

  /** The current entry's content, when it holds at most {@code limit} bytes. */
  byte[] readContent(long limit, Supplier<String> tooLarge) throws IOException {
    return Bounded.readAll(tar, limit, tooLarge);
  }

  /** Reads {@code in} (the stream under this tar) to its end: the rest of a gzip member after its tar. */
  static void drain(InputStream in) throws IOException {
    in.transferTo(OutputStream.nullOutputStream());
  }
}
