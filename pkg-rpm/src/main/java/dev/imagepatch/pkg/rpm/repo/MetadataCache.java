package dev.imagepatch.pkg.rpm.repo;

import dev.imagepatch.pkg.io.Bounded;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Metadata files on disk named by the checksum repomd.xml gives them ({@code sha256/<hex>},
 * {@code sha512/<hex>}, ...), shared across repositories, images and runs and stored only once
 * verified. As pkg-deb's {@code ContentCache} (SHA256 only there; repomd may use other SHA-2
 * sizes or SHA-1): written to a temporary file, checked, moved into place atomically; concurrent
 * askers of the same content in a process wait for one download.
 */
public final class MetadataCache {
  /** Opens a stream of the content to store (a download), for each attempt. */
  @FunctionalInterface
  public interface Source {
    InputStream open() throws IOException;
  }

  private final Path root;
  private final ConcurrentHashMap<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

  public MetadataCache(Path root) throws IOException {
    this.root = Files.createDirectories(root);
  }

  /** The cached file of a checksum, when present. */
  public Optional<Path> find(Checksum checksum) throws IOException {
    Path p = path(checksum);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** The file of {@code checksum}: from the cache, or stored from {@code source} once its content and size were checked. */
  public Path get(Checksum checksum, long size, Source source, String what) throws IOException {
    Optional<Path> hit = find(checksum);
    if (hit.isPresent()) {
      return hit.get();
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> other = inFlight.putIfAbsent(checksum.toString(), mine);
    if (other != null) {
      try {
        return other.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
    try {
      Path stored = download(checksum, size, source, what);
      mine.complete(stored);
      return stored;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(checksum.toString());
    }
  }

  private Path download(Checksum checksum, long size, Source source, String what) throws IOException {
    Path target = path(checksum);
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), ".tmp-", "");
    try {
      MessageDigest md = checksum.digest(what);
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
            throw new IOException(what + ": larger than the " + size + " bytes repomd.xml gives");
          }
        }
      }
      String actual = HexFormat.of().formatHex(md.digest());
      if (!actual.equals(checksum.hex()) || (size >= 0 && count != size)) {
        throw new IOException(what + ": " + checksum.type() + " " + actual + " (" + count + " bytes) does not match"
            + " repomd.xml's " + checksum.hex() + " (" + size + " bytes)");
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

  private Path path(Checksum checksum) throws IOException {
    checksum.digest("cache"); // a known type and a well-formed value: nothing else names a file
    return root.resolve(checksum.type()).resolve(checksum.hex());
  }
}
