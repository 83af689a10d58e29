package dev.imagepatch.pkg.apt;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Downloaded indexes and packages on disk, named by their SHA256, so they are shared across
 * images and runs and never trusted without having been checked. Safe for concurrent use by
 * threads and processes: content is written to a temporary file, verified, then moved into place
 * atomically; two writers of the same content simply race to the same result.
 */
public final class ContentCache {
  /** Opens a stream of the content to store (a download), for each attempt. */
  @FunctionalInterface
  public interface Source {
    InputStream open() throws IOException;
  }

  private final Path root;
  /** Downloads under way in this process: a second asker of the same content waits for the first. */
  private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.CompletableFuture<Path>> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** One cache per directory in a process, so concurrent runs and platforms share their downloads under way. */
  private static final java.util.concurrent.ConcurrentHashMap<Path, ContentCache> OPEN =
      new java.util.concurrent.ConcurrentHashMap<>();

  public ContentCache(Path root) throws IOException {
    this.root = Files.createDirectories(root.resolve("sha256"));
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

  /** The cached file of a digest, when present. */
  public Optional<Path> find(String sha256) {
    Path p = path(sha256);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /**
   * The file of {@code sha256}: from the cache, or stored from {@code source} after its content
   * and size have been checked. {@code what} names the content in errors (a URL).
   */
  public Path get(String sha256, long size, Source source, String what) throws IOException {
    Optional<Path> hit = find(sha256);
    if (hit.isPresent()) {
      return hit.get();
    }
    java.util.concurrent.CompletableFuture<Path> mine = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<Path> other = inFlight.putIfAbsent(sha256, mine);
    if (other != null) {
      try {
        return other.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
    try {
      Path stored = download(sha256, size, source, what);
      mine.complete(stored);
      return stored;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(sha256);
    }
  }

  private Path download(String sha256, long size, Source source, String what) throws IOException {
    Path target = path(sha256);
    Path temp = Files.createTempFile(root, ".tmp-", "");
    try {
      MessageDigest md = sha();
      long count = 0;
      try (InputStream in = source.open(); OutputStream out = Files.newOutputStream(temp)) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
          dev.imagepatch.pkg.io.Bounded.checkInterrupted(what);
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          count += n;
          if (size >= 0 && count > size) {
            throw new IOException(what + ": larger than the " + size + " bytes the index gives");
          }
        }
      }
      String actual = HexFormat.of().formatHex(md.digest());
      if (!actual.equals(sha256.toLowerCase(Locale.ROOT)) || (size >= 0 && count != size)) {
        throw new IOException(what + ": SHA256 " + actual + " (" + count + " bytes) does not match the index's "
            + sha256 + " (" + size + " bytes)");
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // Another writer stored the same verified content first.
      }
      return target;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private Path path(String sha256) {
    String hex = sha256.toLowerCase(Locale.ROOT);
    if (!hex.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA256: " + sha256);
    }
    return root.resolve(hex);
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
