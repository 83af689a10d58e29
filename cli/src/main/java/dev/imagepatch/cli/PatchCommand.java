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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code imagepatch patch}: one new layer with the fixed packages, pushed or written to an OCI layout. */
@Command(name = "patch", mixinStandardHelpOptions = true,
    description = {"Patch the OS packages a scanner report names, without rebuilding the image: one new layer with"
        + " the fixed packages and the package database as the package manager would leave it.",
        "Exit code 0 when patched or already up to date, 1 when patching failed, 2 for a wrong command line.",
        "With --config FILE (a Copa PatchConfig or a plain image list), a whole fleet: exit code 0 when every image"
            + " is patched, up to date or skipped, 1 when any image failed, 3 when a vulnerability at or above"
            + " --severity has no fix and is no exception."})
final class PatchCommand extends RegistryCommand {
  enum Summary { table, json }

  enum Compression { gzip, zstd }

  @Option(names = {"-i", "--image"}, paramLabel = "IMAGE",
      description = "The image: REGISTRY/REPO:TAG (or @DIGEST), oci:DIR[:TAG] or docker-archive:FILE[:REPO:TAG].")
  String image;

  @Option(names = {"-r", "--report"}, paramLabel = "FILE|DIR",
      description = "A Trivy or Grype JSON report, or a directory of them (one per platform). Without one, every"
          + " package with a newer version in the image's repositories is upgraded.")
  Path report;

  @Option(names = "--platform", split = ",", paramLabel = "OS/ARCH[/VARIANT]",
      description = "Patch only these platforms of a multi-platform image (repeatable or comma-separated).")
  List<String> platforms = new ArrayList<>();

  @Option(names = "--per-platform-tags",
      description = "Also tag each patched platform <tag>-<arch> (Copa's convention).")
  boolean perPlatformTags;

  @Option(names = "--concurrency", defaultValue = "2", description = "Platforms patched at once (default ${DEFAULT-VALUE}).")
  int concurrency;

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

  @Option(names = "--strict", description = "Fail, pushing nothing, when the upgrade would run a maintainer script or"
      + " trigger whose effects imagepatch does not reproduce.")
  boolean strict;

  @Option(names = "--verbose", description = "List every maintainer script or trigger not run, instead of"
      + " their count.")
  boolean verbose;

  @Option(names = "--allow-overwrite", description = "Allow the patched tag to be the image's own tag.")
  boolean allowOverwrite;

  @Option(names = "--cache", paramLabel = "DIR", description = "Package cache (default ~/.cache/imagepatch).")
  Path cache;

  @Option(names = "--compression", defaultValue = "gzip", description = "gzip or zstd (default ${DEFAULT-VALUE}).")
  Compression compression;

  @Option(names = {"-f", "--format"}, paramLabel = "openvex",
      description = "The format of the document written with -o: openvex (Copa's flag).")
  String format;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the OpenVEX document of the patch here.")
  Path output;

  @Option(names = "--sign-key", paramLabel = "KEY",
      description = "Sign the patched image (and each patched platform) with this cosign key after the push.")
  Path signKey;

  @Option(names = "--attest", description = "With --sign-key: also attest the OpenVEX document (predicate type openvex).")
  boolean attest;

  @Option(names = "--timeout", defaultValue = "5m", paramLabel = "DURATION", converter = GoDuration.class,
      description = "Wall-clock limit for the whole patch, all platforms together, as Copa's: 30s, 10m, 1h30m"
          + " (default ${DEFAULT-VALUE}). A patch stopped by it writes no tag.")
  Duration timeout;

  @Mixin
  RepositoryFlags repositories;

  @Mixin
  FleetFlags fleet;

  @Override
  public Integer call() throws Exception {
    if (fleet.config != null) {
      return fleet.run(this);
    }
    if (image == null) {
      throw new IllegalArgumentException("say what to patch: -i IMAGE, or --config FILE for a fleet");
    }
    if (!dryRun && !push && ociDir == null) {
      throw new IllegalArgumentException("say where the patched image goes: --push, --oci-dir DIR, or --dry-run");
    }
    if (output != null && !"openvex".equals(format == null ? "openvex" : format)) {
      throw new IllegalArgumentException("--format " + format + " is not supported; openvex is");
    }
    if (attest && signKey == null) {
      throw new IllegalArgumentException("--attest needs --sign-key");
    }
    if ((signKey != null || output != null) && dryRun) {
      throw new IllegalArgumentException("a dry run pushes nothing to sign or to state fixed (--sign-key, -o)");
    }
    ImageLocation from = ImageLocation.parse(image);
    String sourceTag = from.kind() == ImageLocation.Kind.REGISTRY ? from.image().tag().orElse(null) : from.reference();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Report> parsed = report == null ? Map.of() : Reports.readAll(report);

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
          ? from.image().reference() : from.reference())
          .reports(parsed).perPlatformTags(perPlatformTags).concurrency(concurrency)
          .ignoreErrors(ignoreErrors).dryRun(dryRun).strict(strict).repositories(repositories.toOptions())
          .timeout(timeout)
          .compression(compression == Compression.zstd ? PatchRequest.Compression.ZSTD : PatchRequest.Compression.GZIP)
          .listener(message -> {
            err.println(message);
            err.flush();
          });
      if (target != null) {
        b.target(target, outTag);
      }
      platforms.forEach(p -> b.platform(dev.imagepatch.oci.Platform.parse(p)));
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
      if (!dryRun) {
        // A dry run pushed nothing: nothing to sign, and no fix to state.
        afterPush(result, parsed, push ? pushTo : dev.imagepatch.oci.ImageReference.parse("localhost/"
            + ociDir.getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-") + ":" + outTag),
            err);
      }
      boolean open = !result.stillVulnerable().isEmpty()
          || result.platforms().stream().anyMatch(p -> !p.stillVulnerable().isEmpty());
      return open ? 1 : 0;
    }
  }

  /** Signatures and attestations of one image a fleet run pushed. */
  void afterPushFleet(PatchResult r, ImageReference product, PrintWriter err) throws Exception {
    afterPush(r, Map.of(), product, err);
  }

  /** The OpenVEX document (-o), then signatures and attestations (--sign-key, --attest) of what was pushed. */
  private void afterPush(PatchResult r, Map<String, Report> reports, ImageReference product, PrintWriter err)
      throws Exception {
    String distro = reports.values().stream().findFirst().flatMap(rep -> rep.osFamily().map(f -> f.id()
        + rep.osVersion().map(v -> "-" + v.split("\\.")[0]).orElse(""))).orElse(null);
    String author = System.getenv().getOrDefault("IMAGEPATCH_VEX_AUTHOR", "imagepatch");
    com.fasterxml.jackson.databind.node.ObjectNode vex =
        dev.imagepatch.patch.OpenVex.of(r, product, distro, author, java.time.Instant.now());
    if (output != null) {
      if (vex == null) {
        err.println("no vulnerability was fixed, so no OpenVEX document is written");
      } else {
        java.nio.file.Files.write(output, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValueAsBytes(vex));
        err.println("wrote the OpenVEX document " + output);
      }
    }
    if (signKey == null || r.patched().isEmpty()) {
      err.flush();
      return;
    }
    dev.imagepatch.signer.Signer signer = Signing.signer(signKey);
    dev.imagepatch.signer.SignatureStore.Repository repo = push
        ? dev.imagepatch.signer.SignatureStore.of(registries.client(product.registry()).repository(product.repository()))
        : dev.imagepatch.signer.SignatureStore.of(OciLayout.open(ociDir));
    String name = product.name();
    List<dev.imagepatch.oci.Digest> digests = new ArrayList<>();
    digests.add(r.patched().get());
    r.platforms().forEach(p -> p.patched().ifPresent(digests::add));
    for (dev.imagepatch.oci.Digest d : digests) {
      dev.imagepatch.signer.SignatureStore.sign(repo, d, name, Map.of(), signer);
      err.println("signed " + name + "@" + d);
      if (attest && vex != null) {
        dev.imagepatch.signer.SignatureStore.attest(repo, d, name, dev.imagepatch.patch.OpenVex.PREDICATE_TYPE, vex,
            signer);
        err.println("attested " + name + "@" + d + " (OpenVEX)");
      }
    }
    err.flush();
  }

  void print(PrintWriter out, PatchResult r, String where) throws Exception {
    if (summary == Summary.table && !r.platforms().isEmpty()) {
      out.printf("%s %s -> %s%s%n", r.upToDate() ? "Up to date:" : dryRun ? "Would patch" : "Patched index", image,
          where, r.patched().map(d -> " (" + d + ")").orElse(""));
      for (PatchResult p : r.platforms()) {
        out.printf("%n[%s] %s%n", p.platform().orElse("?"), p.upToDate() ? "up to date"
            : p.changes().size() + " packages changed" + p.patched().map(d -> ", " + d).orElse(""));
        printImage(out, p, "  ");
      }
      if (!r.passedThrough().isEmpty()) {
        out.printf("%nLeft as they were (%d):%n", r.passedThrough().size());
        r.passedThrough().forEach(p -> out.println("  " + p));
      }
      printScriptsNotRun(out, r, "");
      out.flush();
      return;
    }
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
      node.set("scriptsNotRun", json.valueToTree(r.notRun()));
      if (!r.platforms().isEmpty()) {
        com.fasterxml.jackson.databind.node.ArrayNode platformsNode = node.putArray("platforms");
        for (PatchResult p : r.platforms()) {
          ObjectNode pn = platformsNode.addObject();
          pn.put("platform", p.platform().orElse(""));
          pn.put("source", p.source().toString());
          p.patched().ifPresent(d -> pn.put("patched", d.toString()));
          pn.set("changes", json.valueToTree(p.changes()));
          pn.set("fixed", json.valueToTree(p.fixed()));
          pn.set("stillVulnerable", json.valueToTree(p.stillVulnerable()));
          pn.set("noFix", json.valueToTree(p.noFix()));
          pn.set("notes", json.valueToTree(p.notes()));
        }
        node.set("passedThrough", json.valueToTree(r.passedThrough()));
      }
      if (dryRun) {
        node.set("layerEntries", json.valueToTree(r.layerEntries()));
      }
      out.println(json.writeValueAsString(node));
      out.flush();
      return;
    }
    if (r.upToDate()) {
      out.printf("%s is already up to date: every fixable vulnerability is already fixed (%d).%n", image, r.fixed().size());
    } else {
      out.printf("%s %s -> %s%s%n", dryRun ? "Would patch" : "Patched", image, where,
          r.patched().map(d -> " (" + d + ")").orElse(""));
    }
    printImage(out, r, "");
    printScriptsNotRun(out, r, "");
    out.flush();
  }

  /**
   * The maintainer scripts and triggers not run: one line with their count, or, with --verbose,
   * one line each ("Note: script not run: package (script)").
   */
  private void printScriptsNotRun(PrintWriter out, PatchResult r, String indent) {
    scriptsNotRun(r, verbose).forEach(line -> out.println(indent + line));
  }

  /** The lines that tell the scripts not run: none, one with their count, or (verbose) one note each. */
  static List<String> scriptsNotRun(PatchResult r, boolean verbose) {
    List<String> scripts = new ArrayList<>();
    r.notRun().forEach(x -> scripts.add(x.toString()));
    // An index's platforms each say which platform a script belongs to.
    r.platforms().forEach(p -> p.notRun().forEach(x -> scripts.add(p.platform().map(k -> k + ": ").orElse("") + x)));
    if (scripts.isEmpty()) {
      return List.of();
    }
    if (verbose) {
      return scripts.stream().map(n -> "Note: " + n).toList();
    }
    int n = scripts.size();
    return List.of(n + " maintainer script" + (n == 1 ? "" : "s") + " not run (their effects are not needed or not"
        + " reproduced); --verbose lists " + (n == 1 ? "it" : "them"));
  }

  private void printImage(PrintWriter out, PatchResult r, String indent) {
    if (!r.changes().isEmpty()) {
      out.printf("%s  %-32s %-28s %-28s %s%n", indent, "PACKAGE", "FROM", "TO", "WHY");
      for (PatchResult.PackageChange c : r.changes()) {
        out.printf("%s  %-32s %-28s %-28s %s%n", indent, c.name(), c.from() == null ? "(new)" : c.from(), c.to() == null ? "(removed)" : c.to(),
            c.reason());
      }
    }
    if (!r.fixed().isEmpty()) {
      out.printf(indent + "Fixed (%d): %s%n", r.fixed().size(), String.join(", ",
          r.fixed().stream().map(f -> f.vulnerability() + " (" + f.packageName() + ")").distinct().toList()));
    }
    if (!r.stillVulnerable().isEmpty()) {
      out.printf(indent + "Still vulnerable (%d):%n", r.stillVulnerable().size());
      r.stillVulnerable().forEach(s -> out.printf(indent + "  %s %s: %s%n", s.vulnerability(), s.packageName(),
          s.reason()));
    }
    if (!r.noFix().isEmpty()) {
      out.printf(indent + "No fix available (%d packages): %s%n", r.noFix().size(), String.join("; ",
          r.noFix().stream().map(n -> n.packageName() + " " + String.join(",", n.vulnerabilities())).toList()));
    }
    r.notes().forEach(n -> out.println(indent + "Note: " + n));
    if (dryRun) {
      out.printf(indent + "Layer entries (%d):%n", r.layerEntries().size());
      r.layerEntries().forEach(e -> out.println(indent + "  " + e));
    }
    if (!dryRun && !r.upToDate()) {
      out.printf(Locale.ROOT, indent + "Read %s of layers, wrote %s.%n", Sizes.human(r.bytesRead()),
          Sizes.human(r.bytesWritten()));
    }
  }
}
