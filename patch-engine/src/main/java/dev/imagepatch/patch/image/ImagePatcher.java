package dev.imagepatch.patch.image;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.ImageSurgery;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.Layers;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.internal.CountingInputStream;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.oci.internal.Sizes;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.effects.LdConfig;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.OsRelease;
import dev.imagepatch.patch.spi.PackageBackend;
import dev.imagepatch.patch.spi.PackageSession;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import dev.imagepatch.report.OsFamily;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.UpdatePlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One image manifest patched, whatever the package family: the plan, re-patch detection, the
 * image read as a merged filesystem, the family chosen from the image, the layer written, the
 * config and manifest edited, the push, and every fix verified against the database read back.
 */
final class ImagePatcher {
  private ImagePatcher() {}

  /** Patches the report's fixes (every newer package without one); pushes under {@code tag}, else by digest. */
  static PatchResult patch(NativeBackend.Run run, Manifest manifest, ImageConfig config, Optional<Report> report,
      String tag, PatchListener out) throws IOException, PatchException {
    PatchRequest req = run.req();
    ImageSource src = req.source();
    Architecture arch = config.platform().cpu();

    UpdatePlan plan = null;
    if (report.isPresent()) {
      try {
        plan = UpdatePlan.of(report.get(), req.ignoreErrors());
      } catch (UpdatePlan.PlanException e) {
        throw new PatchException(report.get().source() + ": " + e.getMessage()
            + " (ignore-errors skips such entries)");
      }
    }

    if (report.isPresent()) {
      refuseUnpatchedFamily(run.families(), report.get());
    }
    refuseNonLayers(src, manifest);
    boolean repatch = Repatch.isOurPatch(manifest, config);
    ImageSurgery.Image image = new ImageSurgery.Image(manifest, config);
    ImageSurgery.Image base = repatch ? ImageSurgery.dropTopLayer(image) : image;
    List<Descriptor> baseLayers = base.manifest().layers();
    AtomicLong bytesRead = new AtomicLong();
    out.step(String.format(Locale.ROOT, "reading %d layers (%s) of %s", baseLayers.size(),
        Sizes.human(baseLayers.stream().mapToLong(Descriptor::size).sum()), src.describe()));
    Path job = run.newDirectory();
    ImageNeeds needs = OsRelease.NEEDS;
    // The image is read once, before its family is known: every family's needs and its effects'.
    for (PackageBackend f : run.families()) {
      needs = needs.and(f.needs());
      for (PostInstallEffect e : f.effects()) {
        needs = needs.and(e.needs());
      }
    }
    MergedFilesystem fs = MergedFilesystem.read(streams(src, baseLayers, bytesRead), needs.keep(), needs.hash(),
        needs.spool(), Files.createDirectories(job.resolve("spool")), LdConfig.SONAMES, run.budget());
    PackageBackend family = family(run.families(), fs, report.orElse(null));
    VersionOrder order = family.packageManager().versionOrder();
    PackageSession session = family.open(fs, new BackendContext(arch, req.repositories(family.packageManager()),
        run.cache(), run.http(), req.now(), req.ignoreErrors(), out));

    List<Request> requests = new ArrayList<>();
    if (plan != null) {
      plan.updates().forEach(u -> requests.add(new Request(u.name(), u.targetVersion(), u.vulnerabilities())));
    } else {
      requests.addAll(session.updateAll());
    }
    // What --ignore-errors left out is told with the result, never silently dropped.
    List<String> skipped = plan == null ? List.of() : plan.skipped().stream()
        .map(sk -> "report entry " + sk.name() + " skipped (ignore-errors): " + sk.reason()).toList();
    List<PatchResult.NoFix> noFix = plan == null ? List.of() : plan.noFix().stream()
        .map(n -> new PatchResult.NoFix(n.name(), n.installedVersion(), n.vulnerabilities())).toList();
    Map<String, Request> byName = new LinkedHashMap<>();
    requests.forEach(r -> byName.put(r.name(), r));
    if (repatch) {
      Descriptor top = manifest.layers().get(manifest.layers().size() - 1);
      MergedFilesystem earlierLayer = MergedFilesystem.read(streams(src, List.of(top), bytesRead), needs.keep(),
          p -> false);
      List<Installed> withEarlier = session.installedWith(earlierLayer);
      if (Repatch.holdsAll(requests, withEarlier, order)) {
        out.step("already up to date: the patch layer holds every fix asked for");
        Verifier v = Verifier.check(plan, withEarlier, order);
        return new PatchResult(manifest.digest(), Optional.empty(), Optional.empty(), List.of(), v.fixed(),
            v.stillVulnerable(), noFix, skipped, List.of(), List.of(), bytesRead.get(), 0).patchedWith(family.packageManager());
      }
      Repatch.keepEarlier(session.installed(), withEarlier, byName, order);
    }
    List<PackageChange> changes = session.resolve(List.copyOf(byName.values()));
    if (changes.isEmpty()) {
      out.step("nothing to change: every fixable vulnerability is already fixed");
      Verifier v = Verifier.check(plan, session.installed(), order);
      return new PatchResult(manifest.digest(), Optional.empty(), Optional.empty(), changes, v.fixed(), List.of(),
          noFix, skipped, List.of(), List.of(), bytesRead.get(), 0).patchedWith(family.packageManager());
    }

    long epoch = req.sourceDateEpoch().orElseGet(() -> created(config));
    // Packages' files keep their own times, as package managers leave them (byte-code records them),
    // unless a source date epoch is asked for, which clamps every time in the layer.
    long clamp = req.sourceDateEpoch().orElse(Long.MAX_VALUE);
    PatchLayer layer = new PatchLayer(fs, arch, Files.createDirectories(job.resolve("staging")), epoch, clamp,
        run.budget());
    try {
      session.install(layer);
      layer.run(family.effects(), changes);
      session.writeDatabase(layer);
    } catch (IllegalArgumentException e) {
      // What the family could not make sense of in the image (a malformed dpkg diversion, ...).
      throw new PatchException(src.describe() + ": " + e.getMessage());
    }
    Path blob = job.resolve("layer");
    LayerBuilder.Written written = layer.builder().write(blob, req.compression() == PatchRequest.Compression.ZSTD
        ? LayerBuilder.Compression.ZSTD : LayerBuilder.Compression.GZIP, clamp);
    out.step(String.format(Locale.ROOT, "wrote the patch layer: %d entries, %s", written.entries(),
        Sizes.human(written.size())));

    Descriptor layerDescriptor = Descriptor.of(layerMediaType(manifest, req.compression()), written.digest(),
        written.size());
    ObjectNode history = Json.MAPPER.createObjectNode();
    history.put("created", Instant.ofEpochSecond(epoch).toString());
    history.put("created_by", "imagepatch: " + String.join(", ", changes.stream()
        .map(c -> c.name() + " " + (c.from() == null ? "(new)" : c.from()) + " -> " + (c.to() == null ? "(removed)" : c.to())).toList()));
    history.put("comment", Repatch.HISTORY_MARK + (repatch ? Repatch.basedOn(config) : manifest.digest().toString()));
    ImageSurgery.Image patched = ImageSurgery.appendLayer(base, layerDescriptor, written.diffId(), history, Map.of());
    List<String> entries = new ArrayList<>(layer.builder().entries().keySet());

    List<ScriptNotRun> notRun = layer.scriptsNotRun();
    if (req.strict() && !notRun.isEmpty()) {
      throw new PatchException("--strict: the upgrade would run maintainer scripts or triggers whose effects imagepatch"
          + " does not reproduce; nothing was pushed:\n  " + String.join("\n  ", notRun.stream()
          .map(ScriptNotRun::toString).toList()));
    }
    if (req.dryRun()) {
      return new PatchResult(manifest.digest(), Optional.empty(), Optional.of(layerDescriptor), changes, List.of(),
          List.of(), noFix, concat(skipped, layer.notes()), notRun, entries, bytesRead.get(), 0).patchedWith(family.packageManager());
    }
    ImageTarget target = req.target().orElseThrow();
    long uploaded = Publisher.push(src, target, patched, blob, layerDescriptor, tag, out);

    // Read the result back and check every fix against its own database.
    Verifier v = Verifier.check(plan, session.installedWith(readBack(target, patched, blob, layerDescriptor,
        needs)), order);
    return new PatchResult(manifest.digest(), Optional.of(patched.manifest().descriptor()), Optional.of(layerDescriptor),
        changes, v.fixed(), v.stillVulnerable(), noFix, concat(skipped, layer.notes()), notRun, entries, bytesRead.get(),
        uploaded)
        .patchedWith(family.packageManager());
  }

  /** Before any layer is read: a report for a package manager no family patches is refused. */
  private static void refuseUnpatchedFamily(List<PackageBackend> families, Report report) throws PatchException {
    OsFamily os = report.osFamily().orElseThrow(() -> new PatchException(report.source()
        + ": the report names no operating system"));
    PackageManager wanted = os.packageManager().orElse(null);
    if (families.stream().noneMatch(f -> f.packageManager() == wanted)) {
      throw new PatchException(report.source() + ": the report is for " + os.id() + ", which the "
          + String.join(" or the ", families.stream().map(PackageBackend::describe).toList()) + " does not patch");
    }
  }

  /**
   * The family that recognizes the image; with a report, it must be the report's family and the
   * image must be the report's distribution.
   */
  private static PackageBackend family(List<PackageBackend> families, MergedFilesystem fs, Report report)
      throws PatchException {
    List<PackageBackend> found = families.stream().filter(f -> f.recognizes(fs)).toList();
    OsRelease release = OsRelease.of(fs);
    OsFamily os = report == null ? null : report.osFamily().orElseThrow(() -> new PatchException(report.source()
        + ": the report names no operating system"));
    PackageManager wanted = os == null ? null : os.packageManager().orElse(null);
    if (os != null && !found.isEmpty() && found.stream().noneMatch(f -> f.packageManager() == wanted)) {
      throw new PatchException(report.source() + ": the report is for " + os.id() + ", which the "
          + found.get(0).describe() + " does not patch");
    }
    // Scanners name some distributions otherwise than their os-release ID (redhat for rhel, amazon for amzn).
    if (os != null && !release.isEmpty() && !release.is(os.id()) && !sameLineage(os.id(), release.id())
        && OsFamily.fromName(release.id()).filter(os::equals).isEmpty()) {
      throw new PatchException(report.source() + ": the report is for " + os.id() + ", but the image is "
          + release.id() + " (" + release.prettyName() + ")");
    }
    if (found.isEmpty()) {
      throw new PatchException("no package backend recognizes the image" + (release.isEmpty() ? ""
          : " (" + release.prettyName() + ")") + "; looked for: " + String.join("; ", families.stream()
          .map(f -> f.looksFor() + " (" + f.packageManager().id() + ")").toList()));
    }
    return found.stream().filter(f -> os == null || f.packageManager() == wanted).findFirst().orElseThrow();
  }

  /**
   * Chainguard's images are built from Wolfi's packages, and scanners name either for the other's
   * images (an image's os-release may say {@code wolfi} where Grype says {@code chainguard}).
   */
  private static boolean sameLineage(String reportOs, String imageOs) {
    java.util.Set<String> wolfi = java.util.Set.of("wolfi", "chainguard");
    return wolfi.contains(reportOs) && wolfi.contains(imageOs);
  }

  /** The pushed patch layer alone, read back from the target (or from the local blob for a target not readable). */
  private static MergedFilesystem readBack(ImageTarget target, ImageSurgery.Image patched, Path localBlob,
      Descriptor layer, ImageNeeds needs) throws IOException, PatchException {
    MergedFilesystem.LayerStream stream = target instanceof ImageSource readable
        ? () -> Layers.uncompressed(readable.openBlob(layer), layer.mediaType())
        : () -> Layers.uncompressed(Files.newInputStream(localBlob), layer.mediaType());
    if (target instanceof ImageSource readable) {
      JsonDocument back = readable.fetchManifest(patched.manifest().digest().toString());
      if (!back.digest().equals(patched.manifest().digest())) {
        throw new PatchException("the pushed manifest reads back as " + back.digest());
      }
    }
    return MergedFilesystem.read(List.of(MergedFilesystem.LayerStream.named("(" + layer.digest() + ") of "
        + target.describe() + ", read back", stream)), needs.keep(), p -> false);
  }

  private static List<MergedFilesystem.LayerStream> streams(ImageSource src, List<Descriptor> layers,
      AtomicLong bytesRead) {
    List<MergedFilesystem.LayerStream> out = new ArrayList<>();
    for (Descriptor d : layers) {
      out.add(MergedFilesystem.LayerStream.named("(" + d.digest() + ") of " + src.describe(),
          () -> Layers.uncompressed(new CountingInputStream(src.openBlob(d), bytesRead), d.mediaType())));
    }
    return out;
  }

  /**
   * Before any layer is read: each layer descriptor must name a layer. A config (or any other blob)
   * typed as a layer would otherwise be unpacked as a tar, or fail deep in a decompressor.
   */
  private static void refuseNonLayers(ImageSource src, Manifest manifest) throws PatchException {
    List<Descriptor> layers = manifest.layers();
    for (int i = 0; i < layers.size(); i++) {
      Descriptor d = layers.get(i);
      String which = "layer " + (i + 1) + " of " + layers.size() + " (" + d.digest() + ") of " + src.describe();
      if (MediaTypes.layerCompression(d.mediaType()).isEmpty()) {
        throw new PatchException(which + ": media type " + d.mediaType() + " is not a layer's");
      }
      if (d.digest().equals(manifest.config().digest())) {
        throw new PatchException(which + ": the manifest names its config blob as a layer");
      }
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static String layerMediaType(Manifest manifest, PatchRequest.Compression c) throws PatchException {
    boolean docker = MediaTypes.isDocker(manifest.mediaType());
    if (c == PatchRequest.Compression.ZSTD) {
      if (docker) {
        throw new PatchException("zstd layers need an OCI manifest; this image's manifest is Docker schema 2");
      }
      return MediaTypes.OCI_LAYER_TAR_ZSTD;
    }
    return docker ? MediaTypes.DOCKER_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR_GZIP;
  }

  /** The base image's creation time, the default source epoch of the new layer's times. */
  private static long created(ImageConfig config) {
    String created = config.json().path("created").asText("");
    try {
      return created.isEmpty() ? 0 : OffsetDateTime.parse(created).toEpochSecond();
    } catch (DateTimeParseException e) {
      return 0;
    }
  }
}
