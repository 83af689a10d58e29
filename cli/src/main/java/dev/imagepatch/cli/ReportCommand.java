package dev.imagepatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import dev.imagepatch.report.UpdatePlan;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code imagepatch report FILE|DIR}: what a patch would do, before doing it. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = {"Show the update plan of a scanner report (Trivy or Grype JSON): what would be patched,"
        + " to which version, and what cannot be and why.",
        "A directory is read as one report per platform, keyed by the architecture each names."})
final class ReportCommand implements Callable<Integer> {
  enum Format { table, json }

  @Parameters(paramLabel = "FILE|DIR", description = "A report, or a directory of reports (one per platform).")
  Path input;

  @Option(names = "--format", defaultValue = "table", description = "table or json (default ${DEFAULT-VALUE}).")
  Format format;

  @Option(names = "--ignore-errors", description = "Skip and list entries that cannot be read or compared"
      + " instead of failing.")
  boolean ignoreErrors;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Map<String, Report> reports = Reports.readAll(input);
    Map<String, UpdatePlan> plans = new LinkedHashMap<>();
    for (Map.Entry<String, Report> e : reports.entrySet()) {
      try {
        plans.put(e.getKey(), UpdatePlan.of(e.getValue(), ignoreErrors));
      } catch (UpdatePlan.PlanException ex) {
        throw new IllegalStateException(e.getValue().source() + ": " + ex.getMessage()
            + " (--ignore-errors skips such entries)", ex);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.json) {
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode root = json.createObjectNode();
      ObjectNode platforms = root.putObject("platforms");
      plans.forEach((platform, plan) -> platforms.set(platform.isEmpty() ? "default" : platform, toJson(json, plan)));
      out.println(json.writeValueAsString(root));
    } else {
      boolean first = true;
      for (UpdatePlan plan : plans.values()) {
        if (!first) {
          out.println();
        }
        first = false;
        printTable(out, plan);
      }
    }
    out.flush();
    return 0;
  }

  private static ObjectNode toJson(ObjectMapper json, UpdatePlan plan) {
    Report r = plan.report();
    ObjectNode node = json.createObjectNode();
    node.put("source", r.source());
    node.put("scanner", r.scanner());
    r.artifactName().ifPresent(a -> node.put("artifact", a));
    r.osFamily().ifPresent(f -> node.put("os", f.id()));
    r.osVersion().ifPresent(v -> node.put("osVersion", v));
    plan.packageManager().ifPresent(m -> node.put("packageManager", m.id()));
    r.architecture().ifPresent(a -> node.put("architecture", a));
    node.set("updates", json.valueToTree(plan.updates()));
    node.set("noFix", json.valueToTree(plan.noFix()));
    node.set("alreadyFixed", json.valueToTree(plan.alreadyFixed()));
    node.set("skipped", json.valueToTree(plan.skipped()));
    ObjectNode language = node.putObject("notPatchableAsOsPackages");
    language.put("findings", plan.languageFindingCount());
    language.set("byType", json.valueToTree(plan.languageFindings()));
    return node;
  }

  private static void printTable(PrintWriter out, UpdatePlan plan) {
    Report r = plan.report();
    out.printf("%s: %s%s%s, %s report%n", r.source(),
        r.osFamily().map(f -> f.id() + r.osVersion().map(v -> " " + v).orElse("")).orElse("no OS"),
        plan.packageManager().map(m -> " (" + m.id() + ")").orElse(""),
        r.architecture().map(a -> ", " + a).orElse(""), r.scanner());
    out.printf("Packages to update (%d):%n", plan.updates().size());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PACKAGE", "INSTALLED", "TARGET", "FIXES"});
    plan.updates().forEach(u -> rows.add(new String[] {u.name(), u.installedVersion(), u.targetVersion(),
        String.join(", ", u.vulnerabilities())}));
    printRows(out, rows);
    if (!plan.noFix().isEmpty()) {
      out.printf("No fix available (%d):%n", plan.noFix().size());
      List<String[]> nofix = new ArrayList<>();
      nofix.add(new String[] {"PACKAGE", "INSTALLED", "VULNERABILITIES"});
      plan.noFix().forEach(n -> nofix.add(new String[] {n.name(), n.installedVersion(), String.join(", ", n.vulnerabilities())}));
      printRows(out, nofix);
    }
    if (!plan.alreadyFixed().isEmpty()) {
      out.printf("Already fixed by the installed version (%d): %s%n", plan.alreadyFixed().size(),
          String.join(", ", plan.alreadyFixed()));
    }
    if (plan.languageFindingCount() > 0) {
      StringBuilder types = new StringBuilder();
      plan.languageFindings().forEach((t, n) -> types.append(types.length() == 0 ? "" : ", ").append(t).append(": ").append(n));
      out.printf("Not patchable as OS packages: %d %s in language packages (%s)%n", plan.languageFindingCount(),
          plan.languageFindingCount() == 1 ? "finding" : "findings", types);
    }
    if (!plan.skipped().isEmpty()) {
      out.printf("Skipped (--ignore-errors) (%d):%n", plan.skipped().size());
      plan.skipped().forEach(s -> out.printf("  %s%n", s.reason()));
    }
  }

  private static void printRows(PrintWriter out, List<String[]> rows) {
    if (rows.size() == 1) {
      out.println("  (none)");
      return;
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length - 1; i++) {
        width[i] = Math.max(width[i], row[i] == null ? 1 : row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.length; i++) {
        String cell = row[i] == null ? "-" : row[i];
        line.append(i < row.length - 1 ? String.format(Locale.ROOT, "%-" + width[i] + "s  ", cell) : cell);
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
