package dev.imagepatch.pkg.apk;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The real Alpine and Wolfi data of the shared vectors, read in place, and their keys. */
final class ApkTestData {
  static final String ALPINE = "vectors/alpine/";
  static final String WOLFI = "vectors/wolfi/";

  private ApkTestData() {}

  static Path alpine(String relative) {
    return SharedData.path(ALPINE + relative);
  }

  static Path wolfi(String relative) {
    return SharedData.path(WOLFI + relative);
  }

  /** The Alpine keys apk trusts on {@code arch} (alpine-keys' per-arch directory, from keys-by-arch.tsv). */
  static ApkKeys alpineKeys(String arch) {
    Map<String, byte[]> pems = new LinkedHashMap<>();
    for (String line : SharedData.text(ALPINE + "keys/keys-by-arch.tsv").split("\n")) {
      String[] f = line.split("\t");
      if (f.length == 2 && f[0].equals(arch)) {
        pems.put(f[1], SharedData.bytes(ALPINE + "keys/" + f[1]));
      }
    }
    if (pems.isEmpty()) {
      throw new IllegalArgumentException("no keys for " + arch);
    }
    return keys(pems);
  }

  /** Every *.rsa.pub file of a keys directory. */
  static ApkKeys keysIn(Path dir) {
    Map<String, byte[]> pems = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".rsa.pub")).sorted().toList()) {
        pems.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return keys(pems);
  }

  static ApkKeys wolfiKey() {
    return keys(Map.of("wolfi-signing.rsa.pub", SharedData.bytes(WOLFI + "keys/wolfi-signing.rsa.pub")));
  }

  static ApkKeys keys(Map<String, byte[]> pems) {
    try {
      return ApkKeys.of(pems);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The rows of expected-apk-signatures.tsv: file, size, members, kind, Q1, signatures. */
  static List<String[]> expectedSignatures() {
    return Stream.of(SharedData.text(ALPINE + "expected-apk-signatures.tsv").split("\n"))
        .filter(l -> !l.startsWith("#") && !l.isBlank()).map(l -> l.split("\t", -1)).toList();
  }

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
