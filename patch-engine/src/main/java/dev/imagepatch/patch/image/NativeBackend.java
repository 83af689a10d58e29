package dev.imagepatch.patch.image;

import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.patch.PatchBackend;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.report.Report;
import dev.imagepatch.pkg.io.DiskBudget;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The native backend: patches in-process with whichever {@link PackageBackend} recognizes the
 * image (found with {@link ServiceLoader}), no container runtime needed. An index is patched
 * platform by platform ({@link IndexPatcher}), an image by {@link ImagePatcher}.
 */
public final class NativeBackend implements PatchBackend {
  private final List<PackageBackend> families;

  /** With the package backends on the class path. */
  public NativeBackend() {
    this(ServiceLoader.load(PackageBackend.class, NativeBackend.class.getClassLoader()).stream()
        .map(ServiceLoader.Provider::get).toList());
  }

  /** With these package backends only. */
  public NativeBackend(List<PackageBackend> families) {
    this.families = List.copyOf(families);
  }

  @Override
  public String name() {
    return "native";
  }

  /** What one patch run shares across platforms: the request, a work directory, HTTP, the backends. */
  record Run(PatchRequest req, Path work, HttpClient http, List<PackageBackend> families, AtomicLong jobs,
      DiskBudget budget) {
    Path newDirectory() throws IOException {
      return Files.createDirectories(work.resolve("job-" + jobs.incrementAndGet()));
    }

    /** The download cache: the request's, else {@code $XDG_CACHE_HOME/imagepatch} or {@code ~/.cache/imagepatch}. */
    Path cache() {
      return req.cacheDirectory().orElseGet(() -> {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("imagepatch");
      });
    }
  }

  @Override
  public PatchResult patch(PatchRequest request) throws PatchException {
    Path work = null;
    try {
      work = Files.createTempDirectory("imagepatch-");
      Run run = new Run(request, work, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
          .followRedirects(HttpClient.Redirect.NORMAL).build(), families, new AtomicLong(),
          new DiskBudget(request.maxTempBytes(), "PatchRequest.Builder.maxTempBytes, or the system property imagepatch.maxTempBytes"));
      ImageSource src = request.source();
      JsonDocument doc = src.fetchManifest(request.reference());
      if (doc instanceof Index index) {
        return IndexPatcher.patch(run, index);
      }
      Manifest manifest = (Manifest) doc;
      ImageConfig config = readConfig(src, manifest);
      Optional<Report> report = Optional.empty();
      if (!request.reports().isEmpty()) {
        Platform platform = config.platform();
        report = request.reportFor(platform);
        if (report.isEmpty()) {
          throw new PatchException("no report for the image's platform " + platform + " (the reports name: "
              + String.join(", ", request.reports().keySet()) + ")");
        }
      }
      return ImagePatcher.patch(run, manifest, config, report, request.tag().orElse(null), request.listener());
    } catch (IOException e) {
      throw new PatchException(e.getMessage(), e);
    } finally {
      if (work != null) {
        deleteQuietly(work);
      }
    }
  }

  static ImageConfig readConfig(ImageSource src, Manifest manifest) throws IOException {
    try (InputStream in = src.openBlob(manifest.config())) {
      byte[] bytes = Json.readLimited(in, ImageConfig.MAX_CONFIG_BYTES, "config " + manifest.config().digest());
      return ImageConfig.parse(bytes, manifest.config().mediaType(), manifest.config().digest(),
          src.describe() + " config");
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // a temporary directory left behind is not worth failing for
    }
  }
}
