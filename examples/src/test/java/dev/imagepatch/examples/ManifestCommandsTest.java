package dev.imagepatch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imagepatch.cli.Main;
import dev.imagepatch.examples.Manifests.Doc;
import dev.imagepatch.testing.Judges;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What the manifests run: every imagepatch command line they hold uses options the CLI has (its
 * own picocli spec judges), or options of issue 17's fleet slices that the manifest marks as future
 * work in a comment; and every shell script they embed parses ({@code bash -n}, {@code sh -n}).
 */
class ManifestCommandsTest {
  /**
   * The fleet's options of issue 17's next slice that the CLI does not have yet (the first slice's,
   * --config and its companions, are in the CLI and judged by its spec).
   */
  static final Set<String> FLEET_OPTIONS = Set.of("--shard", "--collect");

  record Invocation(Doc doc, String where, List<String> args) {}

  static boolean isImagepatch(JsonNode container) {
    String image = container.path("image").asText();
    return image.startsWith("registry.example/imagepatch/imagepatch:") || image.equals("$(params.imagepatch-image)");
  }

  static List<Invocation> invocations() {
    List<Invocation> out = new ArrayList<>();
    for (Doc doc : Manifests.all()) {
      for (RestrictedPodSecurityTest.Pod pod : RestrictedPodSecurityTest.pods(doc)) {
        for (JsonNode c : pod.containers()) {
          if (isImagepatch(c)) {
            List<String> args = new ArrayList<>();
            c.path("args").forEach(a -> args.add(a.asText()));
            out.add(new Invocation(doc, doc + " container " + c.path("name").asText(), args));
          }
        }
      }
    }
    // The action builds its command line in bash: `args=(patch ...)` and `args+=(...)`.
    Doc action = Manifests.read(Manifests.examplesDir().getParent().resolve("action.yml")).get(0);
    List<String> args = new ArrayList<>();
    Matcher m = Pattern.compile("args\\+?=\\(([^)]*)\\)").matcher(action.node().at("/runs/steps/0/run").asText());
    while (m.find()) {
      for (String token : m.group(1).trim().split("\\s+")) {
        args.add(token.replace("\"", ""));
      }
    }
    out.add(new Invocation(action, "action.yml", args));
    return out;
  }

  @Test
  void everyImagepatchCommandLineUsesOptionsTheCliHasOrMarksAsFutureWork() throws IOException {
    CommandLine cli = new CommandLine(new Main());
    List<Invocation> invocations = invocations();
    assertTrue(invocations.size() >= 6, invocations.stream().map(Invocation::where).toList().toString());
    Map<String, Set<String>> unknown = new TreeMap<>();
    for (Invocation inv : invocations) {
      String sub = inv.args().get(0);
      CommandLine command = cli.getSubcommands().get(sub);
      assertTrue(command != null, inv.where() + ": no subcommand " + sub);
      Set<String> known = command.getCommandSpec().optionsMap().keySet();
      String text = Files.readString(inv.doc().file(), StandardCharsets.UTF_8);
      for (String arg : inv.args()) {
        if (!arg.startsWith("-") || known.contains(arg)) {
          continue;
        }
        if (FLEET_OPTIONS.contains(arg) && text.contains("FUTURE WORK") && text.contains("`" + arg)) {
          continue;
        }
        unknown.computeIfAbsent(inv.where(), k -> new TreeSet<>()).add(arg);
      }
    }
    assertEquals(Map.of(), unknown, "options the CLI does not have (and the file does not mark as future work)");
  }

  /** The embedded scripts parse: the action's bash, the collect sidecar's and the Tekton step's sh. */
  @Test
  void everyEmbeddedScriptParses() throws Exception {
    Path bash = Judges.require("bash");
    Path sh = Judges.require("sh");
    List<String[]> scripts = new ArrayList<>();
    Doc action = Manifests.read(Manifests.examplesDir().getParent().resolve("action.yml")).get(0);
    scripts.add(new String[] {bash.toString(), "action.yml", action.node().at("/runs/steps/0/run").asText()});
    for (Doc doc : Manifests.all()) {
      for (RestrictedPodSecurityTest.Pod pod : RestrictedPodSecurityTest.pods(doc)) {
        for (JsonNode c : pod.containers()) {
          if (c.has("script")) {
            scripts.add(new String[] {sh.toString(), doc + " " + c.path("name").asText(), c.path("script").asText()});
          } else if (c.path("command").toString().contains("\"-c\"")) {
            scripts.add(new String[] {sh.toString(), doc + " " + c.path("name").asText(), c.path("args").get(0).asText()});
          }
        }
      }
      doc.node().path("jobs").forEach(job -> job.path("steps").forEach(step -> {
        if (step.has("run")) {
          scripts.add(new String[] {bash.toString(), doc + " " + step.path("name").asText(), step.path("run").asText()});
        }
      }));
    }
    assertTrue(scripts.size() >= 6, "scripts found: " + scripts.size());
    for (String[] s : scripts) {
      Process p = new ProcessBuilder(s[0], "-n").redirectErrorStream(true).start();
      p.getOutputStream().write(s[2].getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), s[1]);
      assertEquals(0, p.exitValue(), s[1] + " does not parse (" + s[0] + " -n): " + output);
    }
  }
}
