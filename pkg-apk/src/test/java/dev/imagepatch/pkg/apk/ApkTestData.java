package dev.imagepatch.pkg.apk;

import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Reads the shared apk data in place: members of (concatenated-gzip) tars by name. */
final class ApkTestData {
  private ApkTestData() {}

  static Path path(String relative) {
    return SharedData.path(relative);
  }

  static String text(String relative) throws IOException {
    return Files.readString(path(relative), StandardCharsets.UTF_8);
  }

  /** The members of a .tar.gz (every gzip member read, as apk reads a .apk) whose names pass {@code wanted}. */
  static Map<String, byte[]> members(Path tarGz, Predicate<String> wanted) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(tarGz);
         TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in, true))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (wanted.test(e.getName())) {
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          tar.transferTo(b);
          out.put(e.getName(), b.toByteArray());
        }
      }
    }
    return out;
  }

  static String member(Path tarGz, String name) throws IOException {
    byte[] b = members(tarGz, name::equals).get(name);
    if (b == null) {
      throw new IOException(tarGz + " has no " + name);
    }
    return new String(b, StandardCharsets.UTF_8);
  }
}
