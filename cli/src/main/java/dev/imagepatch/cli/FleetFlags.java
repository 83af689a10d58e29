package dev.imagepatch.cli;

import dev.imagepatch.fleet.FleetConfig;
import dev.imagepatch.fleet.FleetOutputs;
import dev.imagepatch.fleet.FleetResult;
import dev.imagepatch.fleet.FleetRun;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code imagepatch patch --config FILE}: the fleet flags, and the run with the single-image
 * command's registry, repository, cache, timeout and signing flags.
 */
final class FleetFlags {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Patch a fleet: a Copa PatchConfig (apiVersion copa.sh/v1alpha1) or a plain list, one"
          + " REGISTRY/REPO:TAG a line. Needs --push.")
  Path config;

  @Option(names = "--reports", paramLabel = "DIR",
      description = "Fleet: a directory of Trivy or Grype reports, matched to images by ArtifactName (-r DIR works too).")
  Path reports;

  @Option(names = "--severity", split = ",", paramLabel = "SEVERITY",
      description = "Fleet: only findings of these severities count, e.g. CRITICAL,HIGH (default: all).")
  List<String> severity = new ArrayList<>();

  @Option(names = "--exceptions", paramLabel = "FILE",
      description = "Fleet: accepted vulnerability ids, one a line, # comments (the seed's .copa-exceptions.txt).")
  Path exceptions;

  @Option(names = "--digests-out", paramLabel = "FILE",
      description = "Fleet: write the patched digests, 'REPO@sha256:... # patched from IMAGE on YYYYMMDD' a line.")
  Path digestsOut;

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "Fleet: write Prometheus text-format metrics.")
  Path metricsOut;

  @Option(names = "--json", paramLabel = "FILE", description = "Fleet: write the results as JSON.")
  Path json;

  @Option(names = "--parallel", defaultValue = "4", paramLabel = "N",
      description = "Fleet: images patched at once (default ${DEFAULT-VALUE}).")
  int parallel;

  @Option(names = "--per-registry", defaultValue = "4", paramLabel = "N",
      description = "Fleet: images of one registry patched at once (default ${DEFAULT-VALUE}).")
  int perRegistry;

  int run(PatchCommand cmd) throws Exception {
    if (cmd.image != null || cmd.tag != null) {
      throw new IllegalArgumentException("--config cannot be combined with --image or --tag: the config names the"
          + " images and their tags");
    }
    if (!cmd.push) {
      throw new IllegalArgumentException("--config pushes every patched image: say --push (as copa patch --config)");
    }
    if (cmd.ociDir != null || cmd.dryRun || cmd.output != null || !cmd.platforms.isEmpty()) {
      throw new IllegalArgumentException("--config takes no --oci-dir, --dry-run, -o or --platform (platforms are"
          + " per image in the PatchConfig)");
    }
    if (cmd.attest && cmd.signKey == null) {
      throw new IllegalArgumentException("--attest needs --sign-key");
    }
    Path reportsDir = reports != null ? reports : cmd.report;
    if (reportsDir != null && !Files.isDirectory(reportsDir)) {
      throw new IllegalArgumentException("--reports " + reportsDir + " is not a directory");
    }
    FleetConfig fleet = FleetConfig.read(config);
    PrintWriter err = cmd.spec.commandLine().getErr();
    FleetRun.Builder b = FleetRun.builder(fleet, cmd.registries::client)
        .severities(new LinkedHashSet<>(severity)).parallel(parallel).perRegistry(perRegistry)
        .repositories(cmd.repositories.toOptions()).timeout(cmd.timeout)
        .listener(m -> {
          synchronized (err) {
            err.println(m);
            err.flush();
          }
        });
    if (reportsDir != null) {
      b.reports(reportsDir);
    }
    if (exceptions != null) {
      b.exceptionsFile(exceptions);
    }
    if (cmd.cache != null) {
      b.cacheDirectory(cmd.cache);
    }
    if (cmd.signKey != null) {
      // One signer for the run; signing and attesting as the single-image command does, per patched image.
      b.afterPatch((ref, digest, result) -> {
        synchronized (this) {
          cmd.afterPushFleet(result, ref, err);
        }
      });
    }
    FleetResult result = b.build().run();
    PrintWriter out = cmd.spec.commandLine().getOut();
    out.print(cmd.summary == PatchCommand.Summary.json ? FleetOutputs.json(result) : FleetOutputs.table(result));
    out.flush();
    write(json, FleetOutputs.json(result));
    write(digestsOut, FleetOutputs.digests(result));
    write(metricsOut, FleetOutputs.metrics(result));
    err.println(FleetOutputs.counts(result));
    err.flush();
    return result.exitCode();
  }

  private static void write(Path file, String content) throws java.io.IOException {
    if (file != null) {
      Files.writeString(file, content, StandardCharsets.UTF_8);
    }
  }
}
