package dev.imagepatch.patch.image;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.report.Report;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An index patched platform by platform, whatever the package family: which entries are patched,
 * which pass through and why, what becomes of build attestations, and the new index written last.
 */
final class IndexPatcher {
  private IndexPatcher() {}

  /**
   * Patches each Linux platform of an index that a report (or update-all) selects, concurrently,
   * then writes the index with the patched children in place: same media type, annotations and
   * order; each entry keeps its platform and annotations. Children are pushed by digest; the index
   * last, under the tag, so a failure moves no tag.
   */
  static PatchResult patch(NativeBackend.Run run, Index index) throws IOException, PatchException {
    PatchRequest req = run.req();
    ImageSource src = req.source();
    req.indexLimits().check(index, 1, src.describe());
    List<String> passed = new ArrayList<>();
    Set<Digest> submitted = new java.util.HashSet<>();
    Map<Descriptor, java.util.concurrent.Future<PatchResult>> jobs = new LinkedHashMap<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(req.concurrency());
    try {
      for (Descriptor entry : index.manifests()) {
        Optional<Platform> platform = entry.platform();
        String why = null;
        if (isAttestation(entry)) {
          continue;
        } else if (!MediaTypes.isManifest(entry.mediaType())) {
          why = "not an image manifest";
        } else if (platform.isEmpty()) {
          why = "no platform";
        } else if (!platform.get().os().equals("linux")) {
          why = "not Linux";
        } else if (!req.platforms().isEmpty() && req.platforms().stream().noneMatch(p -> p.matches(platform.get()))) {
          why = "not selected";
        } else if (!req.reports().isEmpty() && req.reportFor(platform.get()).isEmpty()) {
          why = "no report names it";
        }
        if (why != null) {
          passed.add(entry.digest() + " " + platform.map(Platform::toString).orElse("") + ": " + why);
          continue;
        }
        // An index may name one child many times: patched once, every entry naming it replaced.
        if (!submitted.add(entry.digest())) {
          continue;
        }
        String key = platform.get().cpu().key();
        Optional<Report> report = req.reportFor(platform.get());
        String childTag = req.perPlatformTags() && req.tag().isPresent() ? req.tag().get() + "-" + key.replace('/', '-')
            : null;
        PatchListener prefixed = message -> req.listener().step("[" + key + "] " + message);
        jobs.put(entry, pool.submit(() -> {
          Manifest child = (Manifest) src.fetchManifest(entry.digest().toString());
          return ImagePatcher.patch(run, child, NativeBackend.readConfig(src, child), report, childTag, prefixed)
              .forPlatform(key);
        }));
      }
      Map<Digest, PatchResult> patched = new LinkedHashMap<>();
      List<PatchResult> results = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (Map.Entry<Descriptor, java.util.concurrent.Future<PatchResult>> job : jobs.entrySet()) {
        String label = job.getKey().platform().map(Platform::toString).orElse("?");
        try {
          PatchResult r = job.getValue().get();
          results.add(r);
          if (r.patched().isPresent() || req.dryRun()) {
            patched.put(job.getKey().digest(), r);
          }
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable cause = e.getCause();
          failures.add(label + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted");
        }
      }
      if (!failures.isEmpty()) {
        if (!req.ignoreErrors()) {
          throw new PatchException("patching failed for " + failures.size() + " platform(s); the index was not pushed: "
              + String.join("; ", failures) + " (ignore-errors leaves failed platforms unpatched)");
        }
        failures.forEach(f -> passed.add(f + " (failed, left unpatched)"));
      }
      List<Descriptor> entries = new ArrayList<>();
      Set<Digest> replaced = new java.util.HashSet<>();
      for (Descriptor entry : index.manifests()) {
        PatchResult r = patched.get(entry.digest());
        if (r != null && r.patched().isPresent()) {
          entries.add(entry.withContent(r.manifest().get().digest(), r.manifest().get().size()));
          replaced.add(entry.digest());
        } else if (isAttestation(entry) && replaced.contains(attests(entry))) {
          passed.add(entry.digest() + ": attestation of " + attests(entry) + " dropped, it describes the unpatched image");
        } else {
          entries.add(entry);
        }
      }
      // Attestations may come before the child they describe: drop those too.
      entries.removeIf(e -> isAttestation(e) && replaced.contains(attests(e)));
      for (Descriptor entry : index.manifests()) {
        if (isAttestation(entry) && replaced.contains(attests(entry))
            && passed.stream().noneMatch(p -> p.startsWith(entry.digest().toString()))) {
          passed.add(entry.digest() + ": attestation of " + attests(entry) + " dropped, it describes the unpatched"
              + " image");
        }
      }
      Index newIndex = index.withManifests(entries);
      boolean changed = !replaced.isEmpty();
      if (changed && !req.dryRun()) {
        // What passes through must be in the target too (another repository, an OCI layout): copied, or
        // found there already, before the index that names it.
        ImageCopier copier = ImageCopier.create(4, new ImageCopier.Listener() {}).withLimits(req.indexLimits());
        Set<Digest> copied = new java.util.HashSet<>();
        for (Descriptor entry : entries) {
          if (!replaced.contains(entry.digest()) && copied.add(entry.digest()) && patched.values().stream()
              .noneMatch(r -> r.manifest().map(d -> d.digest().equals(entry.digest())).orElse(false))) {
            copier.copy(src, entry.digest().toString(), req.target().get(), null);
          }
        }
        req.target().orElseThrow().putManifest(newIndex, req.tag().orElse(null));
        req.listener().step("pushed index " + newIndex.digest() + req.tag().map(t -> " as " + t).orElse("") + " to "
            + req.target().get().describe());
      }
      return new PatchResult(index.digest(), changed && !req.dryRun() ? Optional.of(newIndex.descriptor())
          : Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
          results.stream().mapToLong(PatchResult::bytesRead).sum(),
          results.stream().mapToLong(PatchResult::bytesWritten).sum(), Optional.empty(), results, passed,
          Optional.empty());
    } finally {
      // Platforms still running (a timeout, a failure) are interrupted and waited for, so that the work
      // directory is deleted after its last writer stopped, not under it.
      pool.shutdownNow();
      // A timed-out caller arrives here interrupted; the wait must still happen, so the flag is
      // cleared for it and set again after.
      boolean interrupted = Thread.interrupted();
      try {
        pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Docker's build attestations: {@code unknown/unknown} entries marked as attestation manifests. */
  static boolean isAttestation(Descriptor d) {
    return "attestation-manifest".equals(d.annotations().get("vnd.docker.reference.type"));
  }

  private static Digest attests(Descriptor attestation) {
    String d = attestation.annotations().get("vnd.docker.reference.digest");
    return d != null && Digest.isDigest(d) ? Digest.parse(d) : null;
  }
}
