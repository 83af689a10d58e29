package dev.imagepatch.pkg.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Downloaded indexes, metadata and packages on disk, named by their checksum
 * ({@code <root>/sha256/<hex>}, {@code <root>/sha512/<hex>}, ...), so they are shared across
 * repositories, images and runs and stored only once verified. Safe for concurrent use by threads
 * and processes: content is written to a temporary file, verified, then moved into place
 * atomically; concurrent askers of the same content in a process wait for one download.
 */
public final class ContentCache {
  /** Opens a stream of the content to store (a download), for each attempt. */
  @FunctionalInterface
  public interface Source {
    InputStream open() throws IOException;
  }

  /** The default algorithm, the one of {@link #find(String)} and {@link #get(String, long, Source, String)}. */
  public static final String SHA256 = "SHA-256";

  private final Path root;
  /** Downloads under way in this process: a second asker of the same content waits for the first. */
  private final ConcurrentHashMap<Path, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

  /** One cache per directory in a process, so concurrent runs and platforms share their downloads under way. */
  private static final ConcurrentHashMap<Path, ContentCache> OPEN = new ConcurrentHashMap<>();

  public ContentCache(Path root) throws IOException {
    this.root = Files.createDirectories(root);
    Files.createDirectories(root.resolve(directory(SHA256)));
  }

  /** The process's cache at {@code root}. */
  public static ContentCache at(Path root) throws IOException {
    Path key = root.toAbsolutePath().normalize();
    ContentCache open = OPEN.get(key);
    if (open == null) {
      ContentCache fresh = new ContentCache(key);
      open = OPEN.putIfAbsent(key, fresh);
      return open == null ? fresh : open;
    }
    return open;
  }

  /** The default location: $XDG_CACHE_HOME/imagepatch or ~/.cache/imagepatch. */
  public static Path defaultRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("imagepatch");
  }

  /** The cached file of a SHA256, when present. */
  public Optional<Path> find(String sha256) {
    return find(SHA256, sha256);
  }

  /**
   * The cached file of a checksum, when present. {@code algorithm} is a JCA name: SHA-1, SHA-224,
   * SHA-256, SHA-384 or SHA-512; {@code hex} the digest in hex.
   */
  public Optional<Path> find(String algorithm, String hex) {
    Path p = path(algorithm, hex);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /**
   * The file of {@code sha256}: from the cache, or stored from {@code source} after its content
   * and size have been checked. {@code what} names the content in errors (a URL).
   */
  public Path get(String sha256, long size, Source source, String what) throws IOException {
    return get(SHA256, sha256, size, source, what);
  }

  /**
   * The file of the {@code algorithm} checksum {@code hex} (as {@link #find(String, String)}):
   * from the cache, or stored from {@code source} after its content and size (unless negative)
   * have been checked. {@code what} names the content in errors (a URL).
   */
  public Path get(String algorithm, String hex, long size, Source source, String what) throws IOException {
    Path target = path(algorithm, hex);
    if (Files.isRegularFile(target)) {
      return target;
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> other = inFlight.putIfAbsent(target, mine);
    if (other != null) {
      try {
        return other.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
    try {
      Path stored = download(algorithm, target, size, source, what);
      mine.complete(stored);
      return stored;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(target);
    }
  }

  private static Path download(String algorithm, Path target, long size, Source source, String what)
      throws IOException {
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), ".tmp-", "");
    try {
      MessageDigest md = digest(algorithm);
      long count = 0;
      try (InputStream in = source.open(); OutputStream out = Files.newOutputStream(temp)) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
          Bounded.checkInterrupted(what);
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          count += n;
          if (size >= 0 && count > size) {
            throw new IOException(what + ": larger than the " + size + " bytes the index gives");
          }
        }
      }
      String actual = HexFormat.of().formatHex(md.digest());
      String expected = target.getFileName().toString();
      if (!actual.equals(expected) || (size >= 0 && count != size)) {
        throw new IOException(what + ": " + algorithm.replace("-", "") + " " + actual + " (" + count
            + " bytes) does not match the index's " + expected + " (" + size + " bytes)");
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      } catch (FileAlreadyExistsException e) {
        // Another writer stored the same verified content first.
      }
      return target;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** {@code <root>/<algorithm, lower case without '-'>/<hex, lower case>}: nothing else names a file. */
  private Path path(String algorithm, String hex) {
    String lower = hex.toLowerCase(Locale.ROOT);
    if (!lower.matches("[0-9a-f]+") || lower.length() != digest(algorithm).getDigestLength() * 2) {
      throw new IllegalArgumentException("not a " + algorithm.replace("-", "") + ": " + hex);
    }
    return root.resolve(directory(algorithm)).resolve(lower);
  }

  private static String directory(String algorithm) {
    return switch (algorithm) {
      case "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512" -> algorithm.replace("-", "").toLowerCase(Locale.ROOT);
      default -> throw new IllegalArgumentException("not a supported checksum algorithm: " + algorithm);
    };
  }

  private static MessageDigest digest(String algorithm) {
    directory(algorithm);
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
