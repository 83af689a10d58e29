package dev.imagepatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.copy.ImageLocation;
import dev.imagepatch.oci.internal.Sizes;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code imagepatch patch}: one new layer with the fixed packages, pushed or written to an OCI layout. */
@Command(name = "patch", mixinStandardHelpOptions = true,
    description = {"Patch the OS packages a scanner report names, without rebuilding the image: one new layer with"
        + " the fixed packages and the package database as the package manager would leave it.",
        "Exit code 0 when patched or already up to date, 1 when patching failed, 2 for a wrong command line."})
final class PatchCommand implements Callable<Integer> {
  enum Summary { table, json }

  enum Compression { gzip, zstd }

  @Option(names = {"-i", "--image"}, required = true, paramLabel = "IMAGE",
      description = "The image: REGISTRY/REPO:TAG (or @DIGEST), oci:DIR[:TAG] or docker-archive:FILE[:REPO:TAG].")
  String image;

  @Option(names = {"-r", "--report"}, paramLabel = "FILE", description = "A Trivy or Grype JSON report of the image.")
  Path report;

  @Option(names = {"-t", "--tag"}, paramLabel = "TAG",
      description = "The patched image's tag, or a full reference (default: the image's tag with the suffix).")
  String tag;

  @Option(names = "--tag-suffix", defaultValue = "patched", paramLabel = "S",
      description = "Suffix of the default tag, <tag>-<S> (default ${DEFAULT-VALUE}).")
  String tagSuffix;

  @Option(names = "--push", description = "Push the patched image to the registry.")
  boolean push;

  @Option(names = "--oci-dir", paramLabel = "DIR", description = "Write the patched image to this OCI layout.")
  Path ociDir;

  @Option(names = "--dry-run", description = "Print the plan and the new layer's files; push nothing.")
  boolean dryRun;

  @Option(names = "--summary", defaultValue = "table", description = "table or json (default ${DEFAULT-VALUE}).")
  Summary summary;

  @Option(names = "--ignore-errors", description = "Skip and list report entries that cannot be read or compared.")
  boolean ignoreErrors;

  @Option(names = "--allow-overwrite", description = "Allow the patched tag to be the image's own tag.")
  boolean allowOverwrite;

  @Option(names = "--mirror", paramLabel = "FROM=TO",
      description = "Fetch packages from TO where the image's sources say FROM (repeatable).")
  Map<String, String> mirrors = Map.of();

  @Option(names = "--keyring", paramLabel = "FILE",
      description = "Trust these keyrings instead of the image's own (repeatable).")
  List<Path> keyrings = new ArrayList<>();

  @Option(names = "--extra-source", paramLabel = "LINE",
      description = "One more APT source, as a sources.list line (repeatable).")
  List<String> extraSources = new ArrayList<>();

  @Option(names = "--cache", paramLabel = "DIR", description = "Package cache (default ~/.cache/imagepatch).")
  Path cache;

  @Option(names = "--compression", defaultValue = "gzip", description = "gzip or zstd (default ${DEFAULT-VALUE}).")
  Compression compression;

  @Option(names = "--ignore-valid-until",
      description = "INSECURE: accept repository metadata past its Valid-Until (frozen snapshots).")
  boolean ignoreValidUntil;

  @Mixin
  RegistryOptions registries;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (report == null) {
      throw new IllegalArgumentException("a report is required (-r FILE): the native backend patches what a scanner"
          + " found");
    }
    if (!dryRun && !push && ociDir == null) {
      throw new IllegalArgumentException("say where the patched image goes: --push, --oci-dir DIR, or --dry-run");
    }
    ImageLocation from = ImageLocation.parse(image);
    String sourceTag = from.kind() == ImageLocation.Kind.REGISTRY ? from.image().tag().orElse(null) : from.reference();
    PrintWriter err = spec.commandLine().getErr();
    Report parsed = Reports.read(report);

    ImageReference pushTo = null;
    String outTag;
    if (tag != null && tag.contains("/")) {
      pushTo = ImageReference.parse(tag);
      outTag = pushTo.tag().orElseThrow(() -> new IllegalArgumentException("--tag " + tag + " names no tag"));
    } else {
      String base = sourceTag == null || sourceTag.startsWith("sha256:") || sourceTag.startsWith("@") ? null : sourceTag;
      outTag = tag != null ? tag : base == null ? null : base + "-" + tagSuffix;
      if (outTag == null) {
        throw new IllegalArgumentException("the image has no tag to derive the patched tag from; give --tag");
      }
    }
    if (push && pushTo == null) {
      if (from.kind() != ImageLocation.Kind.REGISTRY) {
        throw new IllegalArgumentException("--push needs a registry image, or --tag with a full reference");
      }
      pushTo = from.image().withTag(outTag);
    }
    if (pushTo != null && from.kind() == ImageLocation.Kind.REGISTRY && !allowOverwrite
        && pushTo.name().equals(from.image().name()) && outTag.equals(sourceTag)) {
      throw new IllegalArgumentException("the patched tag " + pushTo + " is the image's own tag; pick another with"
          + " --tag, or say --allow-overwrite");
    }

    try (ImageSource src = from.openSource(registries::client)) {
      ImageTarget target = null;
      if (!dryRun) {
        target = push ? ImageLocation.parse(pushTo.toString()).openTarget(registries::client) : OciLayout.openOrCreate(ociDir);
      }
      PatchRequest.Builder b = PatchRequest.builder(src, from.kind() == ImageLocation.Kind.REGISTRY
          ? from.image().reference() : from.reference(), parsed)
          .ignoreErrors(ignoreErrors).dryRun(dryRun).ignoreValidUntil(ignoreValidUntil)
          .compression(compression == Compression.zstd ? PatchRequest.Compression.ZSTD : PatchRequest.Compression.GZIP)
          .listener(message -> {
            err.println(message);
            err.flush();
          });
      if (target != null) {
        b.target(target, outTag);
      }
      mirrors.forEach(b::mirror);
      keyrings.forEach(b::keyring);
      extraSources.forEach(b::extraSource);
      if (cache != null) {
        b.cacheDirectory(cache);
      }
      String epoch = System.getenv("SOURCE_DATE_EPOCH");
      if (epoch != null && !epoch.isBlank()) {
        b.sourceDateEpoch(Long.parseLong(epoch.strip()));
      }
      PatchResult result;
      try {
        result = Patcher.create().patch(b.build());
      } catch (PatchException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
      String where = dryRun ? "(dry run)" : push ? pushTo.toString() : "oci:" + ociDir + ":" + outTag;
      print(spec.commandLine().getOut(), result, where);
      return result.stillVulnerable().isEmpty() ? 0 : 1;
    }
  }

  private void print(PrintWriter out, PatchResult r, String where) throws Exception {
    if (summary == Summary.json) {
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode node = json.createObjectNode();
      node.put("image", image);
      node.put("source", r.source().toString());
      r.patched().ifPresent(d -> node.put("patched", d.toString()));
      node.put("target", where);
      node.put("upToDate", r.upToDate());
      node.set("changes", json.valueToTree(r.changes()));
      node.set("fixed", json.valueToTree(r.fixed()));
      node.set("stillVulnerable", json.valueToTree(r.stillVulnerable()));
      node.set("noFix", json.valueToTree(r.noFix()));
      node.set("notes", json.valueToTree(r.notes()));
      if (dryRun) {
        node.set("layerEntries", json.valueToTree(r.layerEntries()));
      }
      out.println(json.writeValueAsString(node));
      out.flush();
      return;
    }
    if (r.upToDate()) {
      out.printf("%s is up to date: every fixable vulnerability is already fixed (%d).%n", image, r.fixed().size());
    } else {
      out.printf("%s %s -> %s%s%n", dryRun ? "Would patch" : "Patched", image, where,
          r.patched().map(d -> " (" + d + ")").orElse(""));
      out.printf("  %-32s %-28s %-28s %s%n", "PACKAGE", "FROM", "TO", "WHY");
      for (PatchResult.PackageChange c : r.changes()) {
        out.printf("  %-32s %-28s %-28s %s%n", c.name(), c.from() == null ? "(new)" : c.from(), c.to(), c.reason());
      }
    }
    if (!r.fixed().isEmpty()) {
      out.printf("Fixed (%d): %s%n", r.fixed().size(), String.join(", ",
          r.fixed().stream().map(f -> f.vulnerability() + " (" + f.packageName() + ")").distinct().toList()));
    }
    if (!r.stillVulnerable().isEmpty()) {
      out.printf("Still vulnerable (%d):%n", r.stillVulnerable().size());
      r.stillVulnerable().forEach(s -> out.printf("  %s %s: %s%n", s.vulnerability(), s.packageName(), s.reason()));
    }
    if (!r.noFix().isEmpty()) {
      out.printf("No fix available (%d packages): %s%n", r.noFix().size(), String.join("; ",
          r.noFix().stream().map(n -> n.packageName() + " " + String.join(",", n.vulnerabilities())).toList()));
    }
    r.notes().forEach(n -> out.println("Note: " + n));
    if (dryRun) {
      out.printf("Layer entries (%d):%n", r.layerEntries().size());
      r.layerEntries().forEach(e -> out.println("  " + e));
    }
    if (!dryRun && !r.upToDate()) {
      out.printf(Locale.ROOT, "Read %s of layers, wrote %s.%n", Sizes.human(r.bytesRead()),
          Sizes.human(r.bytesWritten()));
    }
    out.flush();
  }
}
