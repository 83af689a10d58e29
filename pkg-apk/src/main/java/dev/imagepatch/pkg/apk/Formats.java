package dev.imagepatch.pkg.apk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The first bytes of an apk file: a gzip stream (v2), or APKv3's ADB format, refused clearly. */
final class Formats {
  private Formats() {}

  /** Refuses what is not a v2 gzip stream, naming {@code what} and, for APKv3, saying so. */
  static void checkV2(GzipMembers gz, String what, String kind) throws IOException {
    byte[] head = gz.peek(4);
    if (head.length >= 3 && head[0] == 'A' && head[1] == 'D' && head[2] == 'B') {
      String form = head.length == 4 && head[3] == 'd' ? " (ADB, deflate-compressed)"
          : head.length == 4 && head[3] == 'c' ? " (ADB, compressed)" : " (ADB)";
      throw new IOException(what + ": an APKv3 " + kind + form + " is not supported; Alpine and Wolfi ship the v2"
          + " format (gzip streams with a signature member), which is what imagepatch reads");
    }
    if (head.length == 0) {
      throw new IOException(what + ": empty file, not an apk v2 " + kind);
    }
    if (head.length < 2 || (head[0] & 0xff) != 0x1f || (head[1] & 0xff) != 0x8b) {
      throw new IOException(what + ": not an apk v2 " + kind + " (no gzip header; starts with "
          + Names.quote(new String(head, StandardCharsets.ISO_8859_1)) + ")");
    }
  }
}
