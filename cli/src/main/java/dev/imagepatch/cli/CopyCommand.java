package dev.imagepatch.cli;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.ImageTarget.BlobOutcome;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.copy.ImageLocation;
import dev.imagepatch.oci.internal.Sizes;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code imagepatch copy SRC DST}: an image or a whole index, byte for byte. */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = {"Copy an image or index, digests unchanged, between registries, OCI layouts and docker save tars.",
        "Locations: REGISTRY/REPO[:TAG|@DIGEST] (or docker://...), oci:DIR[:TAG], docker-archive:FILE[:REPO:TAG] (read only).",
        "Prints the copied digest on stdout and progress on stderr."})
final class CopyCommand extends RegistryCommand {
  @Parameters(index = "0", paramLabel = "SRC", description = "Where the image is.")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "Where to put it.")
  String destination;

  @Option(names = "--jobs", defaultValue = "4", description = "Blobs moved at once (default ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    ImageLocation from = ImageLocation.parse(source);
    ImageLocation to = ImageLocation.parse(destination);
    String tag = switch (to.kind()) {
      case REGISTRY -> to.image().tag().orElse(null);
      case OCI_LAYOUT -> to.reference() != null ? to.reference() : "latest";
      case DOCKER_ARCHIVE -> throw new IllegalArgumentException("docker-archive: can only be a source");
    };
    PrintWriter err = spec.commandLine().getErr();
    Progress progress = new Progress(err, quiet);
    long start = System.nanoTime();
    JsonDocument copied;
    try (ImageSource src = from.openSource(registries::client); ImageTarget dst = to.openTarget(registries::client)) {
      if (!quiet) {
        err.printf("copying %s to %s%n", src.describe() + refSuffix(from), dst.describe() + (tag == null ? "" : ":" + tag));
        err.flush();
      }
      copied = ImageCopier.create(jobs, progress).copy(src, from.reference(), dst, tag);
    }
    if (to.kind() == ImageLocation.Kind.REGISTRY && to.image().digest().isPresent()
        && !to.image().digest().get().equals(copied.digest())) {
      throw new IllegalStateException("the copy is " + copied.digest() + ", not the digest " + to.image().digest().get()
          + " the destination names");
    }
    if (!quiet) {
      double seconds = (System.nanoTime() - start) / 1e9;
      err.printf(Locale.ROOT, "done: %s, %d blobs (%d written, %d mounted, %d already there), %s uploaded, %.1f s%n",
          copied.digest(), progress.total(), progress.count(BlobOutcome.WRITTEN), progress.count(BlobOutcome.MOUNTED),
          progress.count(BlobOutcome.EXISTED), Sizes.human(registries.bytesUploaded()), seconds);
      err.flush();
    }
    spec.commandLine().getOut().println(copied.digest());
    return 0;
  }

  private static String refSuffix(ImageLocation location) {
    String ref = location.reference();
    if (ref == null) {
      return "";
    }
    return ref.startsWith("sha256:") || ref.startsWith("sha512:") ? "@" + ref : ":" + ref;
  }

  /** One stderr line per blob and manifest as they finish. */
  private static final class Progress implements ImageCopier.Listener {
    private final PrintWriter err;
    private final boolean quiet;
    private final Map<BlobOutcome, AtomicInteger> counts = new ConcurrentHashMap<>();

    Progress(PrintWriter err, boolean quiet) {
      this.err = err;
      this.quiet = quiet;
    }

    @Override
    public void blobCopied(Descriptor blob, BlobOutcome outcome) {
      counts.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
      print(String.format(Locale.ROOT, "  blob %s %10s  %s", shortDigest(blob), Sizes.human(blob.size()),
          outcome.name().toLowerCase(Locale.ROOT)));
    }

    @Override
    public void blobSkipped(Descriptor blob, String reason) {
      print("  blob " + shortDigest(blob) + " skipped: " + reason);
    }

    @Override
    public void manifestWritten(JsonDocument document, String tag) {
      print("  " + (document instanceof dev.imagepatch.oci.Index ? "index " : "manifest ")
          + document.digest() + (tag == null ? "" : " tagged " + tag));
    }

    private synchronized void print(String line) {
      if (!quiet) {
        err.println(line);
        err.flush();
      }
    }

    int count(BlobOutcome outcome) {
      AtomicInteger c = counts.get(outcome);
      return c == null ? 0 : c.get();
    }

    int total() {
      return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static String shortDigest(Descriptor d) {
      return d.digest().algorithm().id() + ":" + d.digest().hex().substring(0, 12);
    }
  }
}
