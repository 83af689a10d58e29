package dev.imagepatch.oci.copy;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.ImageTarget.BlobOutcome;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.IndexLimits;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Copies an image or a whole index, byte for byte, from a source to a target: blobs first
 * (concurrently, each once, mounted where the target can), then each child manifest by digest,
 * then the root under its tag. Digests are unchanged, so the copy is the same image.
 */
public final class ImageCopier {

  /** Hears what a copy does, e.g. to show progress. Called from worker threads. */
  public interface Listener {
    default void blobCopied(Descriptor blob, BlobOutcome outcome) {}

    default void blobSkipped(Descriptor blob, String reason) {}

    default void manifestWritten(JsonDocument document, String tag) {}
  }

  private final int concurrency;
  private final Listener listener;
  private final IndexLimits limits;

  private ImageCopier(int concurrency, Listener listener, IndexLimits limits) {
    this.concurrency = concurrency;
    this.listener = listener;
    this.limits = limits;
  }

  /** A copier moving up to {@code concurrency} blobs at once, within {@link IndexLimits#DEFAULT}. */
  public static ImageCopier create(int concurrency, Listener listener) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    return new ImageCopier(concurrency, listener, IndexLimits.DEFAULT);
  }

  /** The same copier, refusing indexes beyond {@code limits}. */
  public ImageCopier withLimits(IndexLimits limits) {
    return new ImageCopier(concurrency, listener, limits);
  }

  /**
   * Copies what {@code reference} names in {@code from} to {@code to}, tagged {@code tag} (null:
   * by digest only). Returns the root document, whose digest is the copy's digest.
   */
  public JsonDocument copy(ImageSource from, String reference, ImageTarget to, String tag) throws IOException {
    JsonDocument root = from.fetchManifest(reference);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "imagepatch-copy");
      t.setDaemon(true);
      return t;
    });
    try {
      new Run(from, to, pool).document(root, tag, 1);
    } finally {
      pool.shutdownNow();
    }
    return root;
  }

  /** The state of one copy: the blobs already on their way, shared across the whole tree. */
  private final class Run {
    private final ImageSource from;
    private final ImageTarget to;
    private final ExecutorService pool;
    private final Map<Digest, Future<?>> blobs = new ConcurrentHashMap<>();
    private final Set<Digest> children = new HashSet<>();

    Run(ImageSource from, ImageTarget to, ExecutorService pool) {
      this.from = from;
      this.to = to;
      this.pool = pool;
    }

    void document(JsonDocument doc, String tag, int depth) throws IOException {
      if (doc instanceof Index index) {
        limits.check(index, depth, from.describe());
        for (Descriptor child : index.manifests()) {
          if (!MediaTypes.isIndex(child.mediaType()) && !MediaTypes.isManifest(child.mediaType())) {
            throw new InvalidDocumentException("index " + index.digest() + " lists " + child
                + ", which is neither a manifest nor an index");
          }
          // An index may name a child many times (or many indexes one child): copied once.
          if (children.add(child.digest())) {
            document(from.fetchManifest(child.digest().toString()), null, depth + 1);
          }
        }
      } else {
        Manifest manifest = (Manifest) doc;
        List<Future<?>> pending = new ArrayList<>();
        pending.add(blob(manifest.config()));
        for (Descriptor layer : manifest.layers()) {
          if (MediaTypes.isNonDistributable(layer.mediaType())) {
            listener.blobSkipped(layer, "non-distributable layer: the target fetches it from its URLs");
            continue;
          }
          pending.add(blob(layer));
        }
        await(pending);
      }
      to.putManifest(doc, tag);
      listener.manifestWritten(doc, tag);
    }

    private Future<?> blob(Descriptor d) {
      return blobs.computeIfAbsent(d.digest(), k -> pool.submit(() -> {
        try {
          BlobOutcome outcome = to.putBlob(d, ImageTarget.BlobContent.of(from, d));
          listener.blobCopied(d, outcome);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return null;
      }));
    }

    private void await(List<Future<?>> pending) throws IOException {
      for (Future<?> f : pending) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("copy interrupted");
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof UncheckedIOException u) {
            throw u.getCause();
          }
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          throw new IOException(cause);
        }
      }
    }
  }
}
