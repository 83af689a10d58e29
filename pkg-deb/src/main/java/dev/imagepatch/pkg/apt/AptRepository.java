package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.ContentCache;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One suite of one APT archive, fetched and checked as apt does it: {@code InRelease} (or
 * {@code Release} with {@code Release.gpg}) verified against the given keys and its Valid-Until,
 * each Packages index checked against the Release's SHA256 (fetched by hash when the archive
 * offers it), each .deb checked against its index entry. Everything downloaded goes through the
 * content-addressed cache.
 */
public final class AptRepository {
  private static final Logger log = LoggerFactory.getLogger(AptRepository.class);
  private static final int RELEASE_LIMIT = 16 << 20;
  /** How much larger than its compressed form an index the Release gives no plain size for may be. */
  static final long INDEX_RATIO = 64;

  private final AptSource source;
  private final Release release;
  private final ContentCache cache;
  private final HttpClient http;

  private AptRepository(AptSource source, Release release, ContentCache cache, HttpClient http) {
    this.source = source;
    this.release = release;
    this.cache = cache;
    this.http = http;
  }

  /**
   * Fetches and verifies a suite's Release. {@code now} is the time Valid-Until is checked
   * against; {@code ignoreValidUntil} turns that check off (for frozen snapshots; logged as insecure).
   */
  public static AptRepository open(AptSource source, PGPPublicKeyRingCollection keys, ContentCache cache,
      HttpClient http, Instant now, boolean ignoreValidUntil) throws IOException {
    URI dists = source.uri().resolve("dists/" + source.suite() + "/");
    String text;
    Optional<byte[]> inRelease = fetchSmall(http, dists.resolve("InRelease"));
    if (inRelease.isPresent()) {
      text = SignedRelease.verifyInRelease(inRelease.get(), keys, dists.resolve("InRelease").toString());
    } else {
      byte[] plain = fetchSmall(http, dists.resolve("Release"))
          .orElseThrow(() -> new IOException(dists + ": neither InRelease nor Release found (is the suite "
              + source.suite() + " on this archive? source: " + source.origin() + ")"));
      byte[] gpg = fetchSmall(http, dists.resolve("Release.gpg"))
          .orElseThrow(() -> new IOException(dists.resolve("Release") + " is not signed: no Release.gpg"));
      text = SignedRelease.verifyDetached(plain, gpg, keys, dists.resolve("Release").toString());
    }
    Release release = Release.parse(text, dists.resolve("InRelease").toString());
    if (ignoreValidUntil) {
      log.warn("INSECURE: not checking Valid-Until of {}", dists);
    } else {
      release.checkValidAt(now);
    }
    return new AptRepository(source, release, cache, http);
  }

  public AptSource source() {
    return source;
  }

  public Release release() {
    return release;
  }

  /** Adds the packages of every component of the source for {@code architecture} to {@code index}. */
  public void loadPackages(PackageIndex index, String architecture) throws IOException {
    for (String component : source.components()) {
      Release.IndexFile file = indexFile(component, architecture);
      URI dists = source.uri().resolve("dists/" + source.suite() + "/");
      String dir = file.path().substring(0, file.path().lastIndexOf('/') + 1);
      URI uri = release.acquireByHash()
          ? dists.resolve(dir + "by-hash/SHA256/" + file.sha256())
          : dists.resolve(file.path());
      String origin = source.suite() + "/" + component + "/" + architecture;
      try (InputStream in = openIndex(file, uri)) {
        index.read(in, source.uri().toString(), origin);
      }
    }
  }

  /**
   * The text of a Packages index. The Release also lists the uncompressed index: kept
   * decompressed in the cache and verified against that entry, it spares later runs the xz
   * decoding that is otherwise half of a warm patch.
   */
  private InputStream openIndex(Release.IndexFile file, URI uri) throws IOException {
    ContentCache.Source compressed = () -> Files.newInputStream(cache.get(file.sha256(), file.size(),
        () -> open(uri), uri.toString()));
    Optional<Release.IndexFile> plain = release.sha256(file.path().replaceFirst("\\.(xz|gz)$", ""))
        .filter(p -> !p.path().equals(file.path()));
    if (plain.isEmpty()) {
      // No size to check the text against: at most INDEX_RATIO times the compressed index the Release lists.
      long limit = Math.max(file.size(), 1) * INDEX_RATIO;
      return Bounded.limit(decompress(compressed.open(), file.path()), limit, () -> uri + ": decompresses to more than "
          + limit + " bytes (" + INDEX_RATIO + " times the " + file.size() + " bytes the Release gives)");
    }
    return Files.newInputStream(cache.get(plain.get().sha256(), plain.get().size(),
        () -> decompress(compressed.open(), file.path()), uri + " (decompressed)"));
  }

  private Release.IndexFile indexFile(String component, String architecture) throws IOException {
    String[] candidates = {component, component.substring(component.lastIndexOf('/') + 1)};
    for (String c : candidates) {
      for (String ext : List.of(".xz", ".gz", "")) {
        Optional<Release.IndexFile> f = release.sha256(c + "/binary-" + architecture + "/Packages" + ext);
        if (f.isPresent()) {
          return f.get();
        }
      }
    }
    throw new IOException(release.source() + " lists no Packages index for " + component + "/binary-" + architecture
        + " (source " + source.origin() + ")");
  }

  /** The verified .deb of a record, from the cache or downloaded. */
  public Path fetch(PackageRecord record) throws IOException {
    URI uri = URI.create(record.repository()).resolve(record.filename());
    return cache.get(record.sha256(), record.size(), () -> open(uri), uri.toString());
  }

  private static InputStream decompress(InputStream in, String path) throws IOException {
    if (path.endsWith(".xz")) {
      return new XZCompressorInputStream(in);
    }
    if (path.endsWith(".gz")) {
      return new GzipCompressorInputStream(in);
    }
    return in;
  }

  private InputStream open(URI uri) throws IOException {
    return get(http, uri, true).orElseThrow(() -> new IOException(uri + ": not found (HTTP 404)"));
  }

  private static Optional<byte[]> fetchSmall(HttpClient http, URI uri) throws IOException {
    Optional<InputStream> in = get(http, uri, false);
    if (in.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream s = in.get()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = s.read(buf)) >= 0) {
        out.write(buf, 0, n);
        if (out.size() > RELEASE_LIMIT) {
          throw new IOException(uri + ": larger than " + RELEASE_LIMIT + " bytes");
        }
      }
      return Optional.of(out.toByteArray());
    }
  }

  static Optional<InputStream> get(HttpClient http, URI uri, boolean required) throws IOException {
    return dev.imagepatch.pkg.io.Fetch.get(http, uri);
  }
}
