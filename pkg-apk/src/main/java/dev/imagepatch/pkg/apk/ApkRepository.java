package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.io.Fetch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * One apk repository for one architecture, as apk reaches it: {@code <url>/<arch>/APKINDEX.tar.gz}
 * with its signature checked against the trusted keys, and its packages fetched into a cache and
 * verified along apk's whole chain before anything reads them.
 *
 * <p>The cache is content-addressed: indexes by their SHA-256, packages by their control checksum
 * (the {@code C:} identity apk itself names packages by). A cached file is verified again on every
 * use, so a corrupted cache is a failed check, never a trusted file.
 */
public final class ApkRepository {
  /** Decompressed bound of an index: Alpine's largest (community, x86_64) is about 10 MiB. */
  public static final long INDEX_LIMIT = Long.getLong("imagepatch.apk.maxIndexBytes", 256L << 20);
  /** The most an index download may hold: {@link #INDEX_LIMIT} and the margin {@link SignedIndex#read} allows compressed bytes. */
  static final long INDEX_DOWNLOAD_LIMIT = INDEX_LIMIT + INDEX_LIMIT / 512 + (1L << 20);
  /**
   * The most a package download may hold when its index record gives no size ({@code S:}): the data
   * tar's bound without a size and two control-sized members. With an {@code S:}, that size is the bound.
   */
  static final long PACKAGE_DOWNLOAD_LIMIT = ApkArchive.DATA_LIMIT_WITHOUT_SIZE + 2 * ApkArchive.CONTROL_LIMIT;

  private final RepositoryLine line;
  private final String arch;
  private final ApkKeys keys;
  private final boolean allowUnsigned;
  private final Path cache;
  private final HttpClient http;
  private final List<ApkRecord> records;
  private final String description;
  private final String signer;

  private ApkRepository(RepositoryLine line, String arch, ApkKeys keys, boolean allowUnsigned, Path cache,
      HttpClient http, List<ApkRecord> records, String description, String signer) {
    this.line = line;
    this.arch = arch;
    this.keys = keys;
    this.allowUnsigned = allowUnsigned;
    this.cache = cache;
    this.http = http;
    this.records = List.copyOf(records);
    this.description = description;
    this.signer = signer;
  }

  /**
   * Fetches and verifies the repository's index for {@code arch}.
   *
   * @param allowUnsigned accept an unsigned index or one no trusted key signed (insecure: only when asked)
   * @param cacheRoot the run's download cache
   */
  public static ApkRepository open(RepositoryLine line, String arch, ApkKeys keys, boolean allowUnsigned,
      Path cacheRoot, HttpClient http) throws IOException {
    URI uri = indexUri(line.url(), arch);
    Path dir = Files.createDirectories(cacheRoot.resolve("apk").resolve("indexes"));
    Path stored = store(dir, uri, http, null, INDEX_DOWNLOAD_LIMIT, "the index");
    SignedIndex index;
    try (InputStream in = Files.newInputStream(stored)) {
      index = SignedIndex.read(in, uri.toString(), keys, allowUnsigned, INDEX_LIMIT);
    }
    List<ApkRecord> records = ApkRecord.parseIndex(index.text(), uri.toString());
    return new ApkRepository(line, arch, keys, allowUnsigned, cacheRoot, http, records, index.description(),
        index.signer().orElse(null));
  }

  /**
   * {@code <url>/<arch>/APKINDEX.tar.gz}. Only http, https and file URLs (or an absolute path) are
   * fetched; another scheme, no scheme, or what is not a URI at all is an IOException naming it (not
   * the IllegalArgumentException of {@link URI#create}, nor a NullPointerException in the fetch).
   */
  static URI indexUri(String url, String arch) throws IOException {
    if (arch.isEmpty() || arch.equals(".") || arch.equals("..") || arch.contains("/")) {
      throw new IOException("repository " + url + ": '" + arch + "' is not an architecture name");
    }
    String base = url.endsWith("/") ? url : url + "/";
    if (base.startsWith("/")) {
      base = "file://" + base;
    }
    URI uri;
    try {
      uri = URI.create(base + arch + "/APKINDEX.tar.gz");
    } catch (IllegalArgumentException e) {
      throw new IOException("repository " + Names.quote(url) + " is not a URL: " + e.getMessage(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https") || scheme.equals("file")) || uri.isOpaque()
        || (!scheme.equals("file") && (uri.getHost() == null || uri.getHost().isEmpty()))
        || (scheme.equals("file") && (uri.getRawAuthority() != null || uri.getRawQuery() != null
            || uri.getRawFragment() != null))) {
      throw new IOException("repository " + Names.quote(url) + ": not an http, https or file URL, or an absolute"
          + " path (the ones imagepatch fetches)");
    }
    return uri;
  }

  /**
   * A package file name as a relative URI reference of one path segment: apk names the file
   * {@code <name>-<version>.apk}; a character a URI path cannot hold is percent-encoded, and the
   * {@code ./} keeps a name with a colon (such as {@code http:x}) from reading as a URL of its own.
   */
  static String fileReference(String fileName) {
    StringBuilder b = new StringBuilder("./");
    for (byte c : fileName.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int u = c & 0xff;
      if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || "-._~!$&'()*+,;=:@".indexOf(u) >= 0) {
        b.append((char) u);
      } else {
        b.append('%').append(String.format("%02X", u));
      }
    }
    return b.toString();
  }

  /** The line of {@code /etc/apk/repositories} (or the extra repository) this repository came from. */
  public RepositoryLine line() {
    return line;
  }

  public String arch() {
    return arch;
  }

  /** The index's package records, in index order. */
  public List<ApkRecord> records() {
    return records;
  }

  /** The index's {@code DESCRIPTION}, e.g. {@code v3.10.9-...}. */
  public String description() {
    return description;
  }

  /** The key file that verified the index; null when an unsigned index was accepted. */
  public String signer() {
    return signer;
  }

  /**
   * The package of {@code record}, from the cache or the repository, verified: signature, control
   * checksum equal to the record's {@code C:}, data hash and every file's checksum.
   */
  public ApkArchive fetch(ApkRecord record) throws IOException {
    String what = record.name() + "-" + record.version() + " from " + line.url();
    URI uri = indexUri(line.url(), arch).resolve(fileReference(record.name() + "-" + record.version() + ".apk"));
    Path dir = Files.createDirectories(cache.resolve("apk").resolve("packages"));
    String key = identity(record.checksum(), what);
    Path file = dir.resolve(key + ".apk");
    if (!Files.isRegularFile(file)) {
      // The index's S: is the file's size: a longer response is cut off there, not stored whole.
      file = store(dir, uri, http, key + ".apk", record.size() > 0 ? record.size() : PACKAGE_DOWNLOAD_LIMIT,
          what);
    }
    if (Files.size(file) != record.size() && record.size() > 0) {
      throw new IOException(what + ": " + Files.size(file) + " bytes, the index says " + record.size());
    }
    return ApkArchive.open(file, record.checksum(), keys, allowUnsigned, what);
  }

  /** A cache file name from a record's {@code C:Q1...} (base64 of SHA-1), as hex. */
  private static String identity(String checksum, String what) throws IOException {
    if (checksum == null || !checksum.startsWith("Q1")) {
      throw new IOException(what + ": the index gives no Q1 (SHA-1) checksum for it, which apk requires");
    }
    try {
      byte[] sha1 = Base64.getDecoder().decode(checksum.substring(2));
      if (sha1.length != 20) {
        throw new IllegalArgumentException("not 20 bytes");
      }
      return HexFormat.of().formatHex(sha1);
    } catch (IllegalArgumentException e) {
      throw new IOException(what + ": checksum " + checksum + " is not a Q1 SHA-1 (" + e.getMessage() + ")");
    }
  }

  /**
   * Downloads {@code uri} into {@code dir} atomically: named {@code name}, or by its SHA-256 when
   * {@code name} is null. Readers never see a partial file. More than {@code maxBytes} is an
   * IOException naming {@code what}, raised as soon as the bound is passed (a hostile or broken
   * server cannot fill the disk).
   */
  private static Path store(Path dir, URI uri, HttpClient http, String name, long maxBytes, String what)
      throws IOException {
    Path temp = Files.createTempFile(dir, ".tmp-", "");
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Fetch.get(http, uri)
              .orElseThrow(() -> new IOException(uri + ": not found (HTTP 404)"));
          OutputStream out = Files.newOutputStream(temp)) {
        byte[] buf = new byte[1 << 16];
        int n;
        long total = 0;
        while ((n = in.read(buf)) >= 0) {
          dev.imagepatch.pkg.io.Bounded.checkInterrupted(uri.toString());
          total += n;
          if (total > maxBytes) {
            throw new IOException(uri + ": " + what + " is larger than " + maxBytes + " bytes"
                + (name != null && maxBytes != PACKAGE_DOWNLOAD_LIMIT ? " (its size in the index)" : ""));
          }
          md.update(buf, 0, n);
          out.write(buf, 0, n);
        }
      }
      Path target = dir.resolve(name != null ? name : HexFormat.of().formatHex(md.digest()));
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public String toString() {
    return (line.tag() == null ? "" : "@" + line.tag() + " ") + line.url() + " (" + arch + ")";
  }

  /** The repositories' records together, for resolution. */
  public static List<ApkRecord> allRecords(List<ApkRepository> repositories) {
    List<ApkRecord> out = new ArrayList<>();
    repositories.forEach(r -> out.addAll(r.records()));
    return out;
  }
}
