package dev.imagepatch.cli;

import dev.imagepatch.fleet.FleetConfig;
import dev.imagepatch.fleet.FleetOutputs;
import dev.imagepatch.fleet.FleetResult;
import dev.imagepatch.fleet.FleetRun;
import dev.imagepatch.fleet.ShardAssignment;
import dev.imagepatch.fleet.ShardResults;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.registry.RegistryLimits;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

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
      description = "Fleet: images of one registry patched at once, and requests in flight to one registry host"
          + " (default ${DEFAULT-VALUE}); a host's Retry-After pauses that host only.")
  int perRegistry;

  @Option(names = "--shard", paramLabel = "I/N",
      description = "Fleet: patch only shard I of N (rendezvous hashing of each REGISTRY/REPO:TAG: adding an image"
          + " moves no other). '--shard /N' takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); N is"
          + " always given, as Kubernetes sets no completions count in the pod. With --collect: N.")
  String shard;

  @Option(names = "--results", paramLabel = "REPO",
      description = "Fleet: record each shard's results in this repository (an OCI artifact tagged"
          + " fleet-<config digest>-<I>-of-<N>), e.g. registry.example/ops/imagepatch-results.")
  String results;

  @Option(names = "--collect",
      description = "Fleet: patch nothing; merge the --results of the --shard N shards into one summary, JSON,"
          + " digests list, metrics and exit code (a missing or unfinished shard is a failure naming it).")
  boolean collect;

  private ShardAssignment shard(PatchCommand cmd) {
    String text = shard.trim();
    try {
      if (text.startsWith("/") || (collect && !text.contains("/"))) {
        String count = text.startsWith("/") ? text.substring(1) : text;
        if (collect) {
          return new ShardAssignment(0, Integer.parseInt(count.trim()));
        }
        String index = System.getenv("JOB_COMPLETION_INDEX");
        if (index == null || index.isBlank()) {
          throw new ParameterException(cmd.spec.commandLine(),
              "--shard " + text + ": JOB_COMPLETION_INDEX is not set; say --shard I/N");
        }
        text = index.trim() + text;
      }
      return ShardAssignment.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cmd.spec.commandLine(), e.getMessage());
    }
  }

  private ShardResults results(PatchCommand cmd, byte[] configBytes) {
    ImageReference repo = ImageReference.parse(results);
    return new ShardResults(cmd.registries.client(repo.registry()), repo.repository(), configBytes);
  }

  int run(PatchCommand cmd) throws Exception {
    ShardAssignment assignment = shard == null ? null : shard(cmd);
    if (collect) {
      if (results == null || assignment == null) {
        throw new ParameterException(cmd.spec.commandLine(), "--collect needs --results REPO and --shard N");
      }
      FleetResult merged = results(cmd, Files.readAllBytes(config)).collect(assignment.count(),
          java.time.LocalDate.now(java.time.Clock.systemUTC()));
      return outputs(cmd, merged);
    }
    if (cmd.image != null || cmd.tag != null) {
      throw new ParameterException(cmd.spec.commandLine(),
          "--config cannot be combined with --image or --tag: the config names the"
          + " images and their tags");
    }
    if (!cmd.push) {
      throw new ParameterException(cmd.spec.commandLine(),
          "--config pushes every patched image: say --push (as copa patch --config)");
    }
    if (cmd.ociDir != null || cmd.dryRun || cmd.output != null || !cmd.platforms.isEmpty()) {
      throw new ParameterException(cmd.spec.commandLine(),
          "--config takes no --oci-dir, --dry-run, -o or --platform (platforms are"
          + " per image in the PatchConfig)");
    }
    if (cmd.attest && cmd.signKey == null) {
      throw new ParameterException(cmd.spec.commandLine(),
          "--attest needs --sign-key");
    }
    Path reportsDir = reports != null ? reports : cmd.report;
    if (reportsDir != null && !Files.isDirectory(reportsDir)) {
      throw new ParameterException(cmd.spec.commandLine(),
          "--reports " + reportsDir + " is not a directory");
    }
    FleetConfig fleet = FleetConfig.read(config);
    // One registry's 429s and Retry-After pause that registry only, for every image of the run.
    cmd.registries.limits(RegistryLimits.of(perRegistry));
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
      b.afterPatch((ref, digest, result) -> cmd.afterPushFleet(result, ref, err));
    }
    if (assignment != null) {
      b.shard(assignment.index(), assignment.count());
    }
    if (results != null) {
      b.results(results(cmd, Files.readAllBytes(config)));
    }
    return outputs(cmd, b.build().run());
  }

  private int outputs(PatchCommand cmd, FleetResult result) throws java.io.IOException {
    PrintWriter err = cmd.spec.commandLine().getErr();
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
