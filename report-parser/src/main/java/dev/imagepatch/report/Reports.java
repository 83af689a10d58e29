package dev.imagepatch.report;

import dev.imagepatch.pkg.Architecture;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads scanner reports, whatever their format: the format is recognized from the first bytes,
 * among the built-in ones (Trivy, Grype) and any {@link ReportFormat} on the class path.
 */
public final class Reports {
  private static final int HEAD = 64 * 1024;

  private Reports() {}

  /** The built-in formats, then those found by the {@link ServiceLoader}, in the order tried. */
  public static List<ReportFormat> formats() {
    List<ReportFormat> formats = new ArrayList<>(List.of(new TrivyFormat(), new GrypeFormat()));
    for (ReportFormat f : ServiceLoader.load(ReportFormat.class, Reports.class.getClassLoader())) {
      if (formats.stream().noneMatch(known -> known.getClass().equals(f.getClass()))) {
        formats.add(f);
      }
    }
    return formats;
  }

  /** Reads one report file. */
  public static Report read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new ReportException(file + " is a directory; read it with readDirectory");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /** Reads one report from a stream; {@code source} names it in errors. */
  public static Report read(InputStream in, String source) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, HEAD);
    buffered.mark(HEAD);
    byte[] head = buffered.readNBytes(HEAD);
    buffered.reset();
    if (new String(head, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      throw new ReportException(source + ": empty file");
    }
    List<ReportFormat> formats = formats();
    for (ReportFormat format : formats) {
      if (format.recognizes(head)) {
        return format.read(buffered, source);
      }
    }
    throw new ReportException(source + ": not a report format imagepatch reads (known: "
        + String.join(", ", formats.stream().map(ReportFormat::name).toList()) + ")");
  }

  /**
   * Reads every {@code *.json} report of a directory, one per platform, keyed by the platform each
   * names ({@code amd64}, {@code arm64}, {@code arm/v7}, ...). A report naming no architecture, or
   * two reports naming the same one, is an error naming the files.
   */
  public static Map<String, Report> readDirectory(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f)).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new ReportException(dir + ": no *.json reports in the directory");
    }
    Map<String, Report> byPlatform = new TreeMap<>();
    for (Path f : files) {
      Report report = read(f);
      String key = platformKey(report)
          .orElseThrow(() -> new ReportException(f + ": the report names no architecture"
              + " (Metadata.ImageConfig.architecture), so it cannot be matched to a platform"));
      Report other = byPlatform.putIfAbsent(key, report);
      if (other != null) {
        throw new ReportException(dir + ": two reports for " + key + ": " + other.source() + " and " + f);
      }
    }
    return byPlatform;
  }

  /** One file, or every report of a directory; a single file is keyed by its platform (or "" for none). */
  public static Map<String, Report> readAll(Path fileOrDirectory) throws IOException {
    if (Files.isDirectory(fileOrDirectory)) {
      return readDirectory(fileOrDirectory);
    }
    Report report = read(fileOrDirectory);
    Map<String, Report> one = new LinkedHashMap<>();
    one.put(platformKey(report).orElse(""), report);
    return one;
  }

  /** {@code amd64}, {@code arm64}, {@code arm/v7}: the report's architecture as platform keys name it. */
  public static java.util.Optional<String> platformKey(Report report) {
    return report.architecture().map(a -> Architecture.of(a, report.variant().orElse("")).key());
  }
}
