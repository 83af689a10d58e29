package dev.imagepatch.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.fleet.FleetResult.ImageResult;
import dev.imagepatch.fleet.FleetResult.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fleet run's outputs: Copa's summary table, JSON, the seed's patched-digests list (for
 * {@code kubectl create configmap --from-file}) and a Prometheus text-format metrics file.
 */
public final class FleetOutputs {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private FleetOutputs() {}

  /** Copa's columns: NAME, STATUS, SOURCE IMAGE, PATCHED TAG, DETAILS; then one line with the counts and the exit code. */
  public static String table(FleetResult result) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "STATUS", "SOURCE IMAGE", "PATCHED TAG", "DETAILS"});
    for (ImageResult i : result.images()) {
      rows.add(new String[] {i.name(), status(i.status()), i.source().toString(),
          i.patched().flatMap(p -> p.tag()).orElse("-"), i.details()});
    }
    int[] w = new int[4];
    rows.forEach(r -> {
      for (int c = 0; c < 4; c++) {
        w[c] = Math.max(w[c], r[c].length());
      }
    });
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      for (int c = 0; c < 4; c++) {
        out.append(r[c]).append(" ".repeat(w[c] - r[c].length() + 2));
      }
      out.append(r[4]).append('\n');
    }
    out.append(counts(result)).append('\n');
    return out.toString();
  }

  /** "60 images: 20 patched, ... in 12.3s; exit code 1 (2 failed: a, b)". */
  public static String counts(FleetResult result) {
    StringBuilder s = new StringBuilder(result.images().size() + " images:");
    String sep = " ";
    for (Status st : Status.values()) {
      s.append(sep).append(result.withStatus(st).size()).append(' ').append(status(st).toLowerCase(Locale.ROOT));
      sep = ", ";
    }
    s.append(String.format(Locale.ROOT, " in %.1fs; exit code %d", result.duration().toMillis() / 1000.0,
        result.exitCode()));
    List<String> failed = result.images().stream().filter(i -> i.status() == Status.FAILED || !i.stillOpen().isEmpty())
        .map(i -> i.source().toString()).toList();
    if (!failed.isEmpty()) {
      s.append("; failed: ").append(String.join(", ", failed));
    }
    List<String> noFix = result.images().stream().filter(i -> !i.noFix().isEmpty())
        .map(i -> i.source() + " (" + String.join(" ", i.noFix()) + ")").toList();
    if (!noFix.isEmpty()) {
      s.append("; without a fix: ").append(String.join(", ", noFix));
    }
    return s.toString();
  }

  private static String status(Status s) {
    return switch (s) {
      case PATCHED -> "Patched";
      case UP_TO_DATE -> "UpToDate";
      case SKIPPED -> "Skipped";
      case NO_FIX -> "NoFix";
      case FAILED -> "Failed";
    };
  }

  /** Every image's outcome, the counts and the exit code, as JSON. */
  public static String json(FleetResult result) {
    ObjectNode root = JSON.createObjectNode();
    root.put("date", result.date().format(TagTemplate.DATE)).put("durationSeconds", result.duration().toMillis() / 1000.0)
        .put("exitCode", result.exitCode());
    ObjectNode counts = root.putObject("counts");
    for (Status st : Status.values()) {
      counts.put(st.name(), result.withStatus(st).size());
    }
    ArrayNode images = root.putArray("images");
    for (ImageResult i : result.images()) {
      ObjectNode o = images.addObject().put("name", i.name()).put("status", i.status().name())
          .put("source", i.source().toString());
      i.sourceDigest().ifPresent(d -> o.put("sourceDigest", d.toString()));
      i.patched().ifPresent(p -> o.put("patched", p.toString()).put("patchedTag", p.tag().orElse(null)));
      i.patchedDigest().ifPresent(d -> o.put("patchedDigest", d.toString()));
      o.put("details", i.details());
      ObjectNode fixed = o.putObject("fixedBySeverity");
      i.fixedBySeverity().forEach(fixed::put);
      ArrayNode nf = o.putArray("noFix");
      i.noFix().forEach(nf::add);
      ArrayNode open = o.putArray("stillOpen");
      i.stillOpen().forEach(open::add);
      o.put("bytesPushed", i.bytesPushed()).put("durationSeconds", i.duration().toMillis() / 1000.0);
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The seed's list, one line per image patched or skipped with a patched tag:
   * {@code REPO@sha256:… # patched from IMAGE on YYYYMMDD} (a skipped image keeps its patched digest, so the
   * list stays whole across runs).
   */
  public static String digests(FleetResult result) {
    StringBuilder out = new StringBuilder();
    String date = result.date().format(TagTemplate.DATE);
    for (ImageResult i : result.images()) {
      if ((i.status() == Status.PATCHED || i.status() == Status.SKIPPED) && i.patchedDigest().isPresent()
          && i.patched().isPresent()) {
        out.append(i.patched().get().name()).append('@').append(i.patchedDigest().get())
            .append(" # patched from ").append(i.source()).append(" on ").append(date).append('\n');
      }
    }
    return out.toString();
  }

  /** Prometheus text format: images by status, fixed vulnerabilities by severity, bytes pushed, duration, exit code. */
  public static String metrics(FleetResult result) {
    StringBuilder m = new StringBuilder();
    m.append("# HELP imagepatch_fleet_images Images of the fleet run, by outcome.\n");
    m.append("# TYPE imagepatch_fleet_images gauge\n");
    for (Status st : Status.values()) {
      m.append("imagepatch_fleet_images{status=\"").append(st.name().toLowerCase(Locale.ROOT)).append("\"} ")
          .append(result.withStatus(st).size()).append('\n');
    }
    Map<String, Integer> fixed = new TreeMap<>();
    result.images().forEach(i -> i.fixedBySeverity().forEach((k, v) -> fixed.merge(k, v, Integer::sum)));
    for (String sev : List.of("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")) {
      fixed.putIfAbsent(sev, 0);
    }
    m.append("# HELP imagepatch_fleet_fixed_vulnerabilities Vulnerabilities the patched images' own databases show fixed, by severity.\n");
    m.append("# TYPE imagepatch_fleet_fixed_vulnerabilities gauge\n");
    fixed.forEach((sev, n) -> m.append("imagepatch_fleet_fixed_vulnerabilities{severity=\"")
        .append(sev.toLowerCase(Locale.ROOT)).append("\"} ").append(n).append('\n'));
    m.append("# HELP imagepatch_fleet_no_fix_vulnerabilities Vulnerabilities at or above the threshold without a fix.\n");
    m.append("# TYPE imagepatch_fleet_no_fix_vulnerabilities gauge\n");
    m.append("imagepatch_fleet_no_fix_vulnerabilities ").append(result.images().stream().mapToInt(i -> i.noFix().size()).sum())
        .append('\n');
    m.append("# HELP imagepatch_fleet_pushed_bytes Blob bytes the run pushed.\n");
    m.append("# TYPE imagepatch_fleet_pushed_bytes gauge\n");
    m.append("imagepatch_fleet_pushed_bytes ").append(result.bytesPushed()).append('\n');
    m.append("# HELP imagepatch_fleet_duration_seconds Wall time of the run.\n");
    m.append("# TYPE imagepatch_fleet_duration_seconds gauge\n");
    m.append(String.format(Locale.ROOT, "imagepatch_fleet_duration_seconds %.3f%n", result.duration().toMillis() / 1000.0));
    m.append("# HELP imagepatch_fleet_exit_code The run's exit code (0 ok, 1 a failure, 3 a vulnerability without a fix).\n");
    m.append("# TYPE imagepatch_fleet_exit_code gauge\n");
    m.append("imagepatch_fleet_exit_code ").append(result.exitCode()).append('\n');
    return m.toString();
  }
}
