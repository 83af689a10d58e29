package dev.imagepatch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.imagepatch.examples.Manifests.Doc;
import dev.imagepatch.fleet.FleetConfig;
import dev.imagepatch.fleet.TagStrategy;
import dev.imagepatch.testing.SharedData;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Every manifest in {@code examples/} (and the root {@code action.yml}) against the JSON schema of
 * its kind, read in place from {@code ../shared/schemas}: Kubernetes 1.33 (strict: an unknown field
 * is an error), the Kyverno, Flux and Tekton CRDs, and SchemaStore's GitHub workflow and action
 * schemas. Offline: no schema refers outside its own file.
 */
class ManifestSchemaTest {
  private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

  static JsonSchema schema(Manifests.Schema s) {
    return SCHEMAS.computeIfAbsent(s.relative(), r -> {
      try {
        ObjectNode node = (ObjectNode) Manifests.JSON.readTree(SharedData.path(r).toFile());
        // The Kubernetes files name the unversioned "http://json-schema.org/schema#", which the
        // validator cannot resolve offline; their keywords are draft-04 (schemas/README.md).
        node.remove("$schema");
        SpecVersion.VersionFlag flag = s.dialect() == Manifests.Dialect.DRAFT7
            ? SpecVersion.VersionFlag.V7 : SpecVersion.VersionFlag.V4;
        return JsonSchemaFactory.getInstance(flag).getSchema(node, SchemaValidatorsConfig.builder().build());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  static Set<ValidationMessage> validate(Manifests.Schema s, JsonNode doc) {
    return schema(s).validate(doc);
  }

  @TestFactory
  Stream<DynamicTest> everyManifestValidatesAgainstTheSchemaOfItsKind() {
    return Manifests.all().stream().map(doc -> DynamicTest.dynamicTest(doc.toString(), () -> {
      Manifests.Schema s = Manifests.schemaFor(doc).orElseThrow(() -> new AssertionError(
          doc + ": no schema for " + doc.apiVersion() + " " + doc.kind() + " (every manifest must be judged)"));
      Set<ValidationMessage> errors = validate(s, doc.node());
      assertTrue(errors.isEmpty(), doc + " against " + s.relative() + ": " + errors);
    }));
  }

  @Test
  void everyKindTheIssueNamesIsShippedAndJudged() {
    Set<String> judged = new TreeSet<>();
    for (Doc doc : Manifests.all()) {
      Manifests.schemaFor(doc).ifPresent(s -> judged.add(s.relative().replaceFirst(".*/", "")));
    }
    for (String expected : List.of("namespace-v1.json", "serviceaccount-v1.json", "role-rbac-v1.json",
        "rolebinding-rbac-v1.json", "configmap-v1.json", "cronjob-batch-v1.json", "clusterpolicy_v1.json",
        "imagerepository_v1.json", "imagepolicy_v1.json", "task_v1.json", "pipeline_v1.json", "pipelinerun_v1.json",
        "github-workflow.json", "github-action.json")) {
      assertTrue(judged.contains(expected), "no manifest judged by " + expected + ": " + judged);
    }
  }

  /** The validator is not vacuous: each schema refuses a manifest broken in a way a user could break it. */
  @Test
  void theSchemasRefuseBrokenManifests() throws Exception {
    Doc shards = find("shards-cronjob.yaml", 0);
    ObjectNode typo = shards.node().deepCopy();
    ((ObjectNode) typo.at("/spec/jobTemplate/spec")).put("completion", 4);
    assertFalse(validate(Manifests.schemaFor(shards).orElseThrow(), typo).isEmpty(), "unknown Job field");
    ObjectNode wrongType = shards.node().deepCopy();
    ((ObjectNode) wrongType.at("/spec/jobTemplate/spec")).put("backoffLimitPerIndex", "two");
    assertFalse(validate(Manifests.schemaFor(shards).orElseThrow(), wrongType).isEmpty(), "a string for an integer");

    Doc task = find("imagepatch-patch-task.yaml", 0);
    ObjectNode badStep = task.node().deepCopy();
    ((ObjectNode) badStep.at("/spec/steps/0")).put("privileged", true);
    assertFalse(validate(Manifests.schemaFor(task).orElseThrow(), badStep).isEmpty(), "unknown Tekton step field");

    Doc policy = find("flux-image-policy.yaml", 1);
    ObjectNode badPolicy = policy.node().deepCopy();
    ((ObjectNode) badPolicy.at("/spec/policy")).putObject("newest");
    assertFalse(validate(Manifests.schemaFor(policy).orElseThrow(), badPolicy).isEmpty(), "unknown Flux policy");

    Doc workflow = find("patch-workflow.yml", 0);
    ObjectNode noRunner = workflow.node().deepCopy();
    ((ObjectNode) noRunner.at("/jobs/patch")).remove("runs-on");
    assertFalse(validate(Manifests.WORKFLOW, noRunner).isEmpty(), "a job without runs-on");

    Doc action = Manifests.read(Manifests.examplesDir().getParent().resolve("action.yml")).get(0);
    ObjectNode noRuns = action.node().deepCopy();
    noRuns.remove("runs");
    assertFalse(validate(Manifests.ACTION, noRuns).isEmpty(), "an action without runs");
  }

  /** The action takes copa-action's inputs and gives its output, so only `uses:` changes. */
  @Test
  void theActionIsADropInForCopaAction() {
    JsonNode action = Manifests.read(Manifests.examplesDir().getParent().resolve("action.yml")).get(0).node();
    for (String input : List.of("image", "image-report", "patched-tag", "timeout", "output",
        "format", "buildkit-version", "copa-version")) {
      assertTrue(action.at("/inputs").has(input), "copa-action input " + input);
    }
    assertTrue(action.at("/outputs").has("patched-image"));
    assertEquals("composite", action.at("/runs/using").asText());
    String run = action.at("/runs/steps/0/run").asText();
    assertFalse(run.contains("buildkit") || run.contains("buildx"), "no BuildKit");

    JsonNode workflow = find("patch-workflow.yml", 0).node();
    List<String> uses = new ArrayList<>();
    workflow.path("jobs").forEach(job -> job.path("steps").forEach(step -> {
      if (step.has("uses")) {
        uses.add(step.get("uses").asText());
      }
      if (step.path("uses").asText().contains("/imagepatch@")) {
        for (Iterator<String> it = step.path("with").fieldNames(); it.hasNext(); ) {
          String given = it.next();
          assertTrue(action.at("/inputs").has(given), "the workflow gives an input the action lacks: " + given);
        }
        action.path("inputs").fields().forEachRemaining(e -> {
          if (e.getValue().path("required").asBoolean()) {
            assertTrue(step.path("with").has(e.getKey()), "required input " + e.getKey());
          }
        });
      }
    }));
    assertTrue(uses.stream().anyMatch(u -> u.contains("/imagepatch@")), "the workflow uses the action: " + uses);
    assertTrue(uses.stream().noneMatch(u -> u.contains("setup-buildx-action")), "no setup-buildx-action: " + uses);
  }

  /** The fleet ConfigMap's PatchConfig is Copa's shape, and its targets give the dated tags Flux follows. */
  @Test
  void theFleetConfigMapHoldsACopaPatchConfigWithDatedTags() {
    JsonNode data = find("fleet-configmap.yaml", 0).node().path("data");
    JsonNode config = Manifests.JSON.valueToTree(new Load(LoadSettings.builder().build())
        .loadFromString(data.path("patchconfig.yaml").asText()));
    assertEquals("copa.sh/v1alpha1", config.path("apiVersion").asText());
    assertEquals("PatchConfig", config.path("kind").asText());
    assertTrue(config.path("images").size() >= 3);
    Set<String> strategies = new TreeSet<>();
    config.path("images").forEach(image -> {
      assertFalse(image.path("image").asText().isEmpty());
      strategies.add(image.at("/tags/strategy").asText());
      assertEquals("{{ .SourceTag }}-patched-{{ .Date }}", image.at("/target/tag").asText());
    });
    assertEquals(Set.of("list", "pattern", "latest"), strategies);
    List<String> listed = data.path("images.txt").asText().lines()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertTrue(listed.stream().allMatch(l -> l.matches("registry\\.example/[a-z0-9/-]+:[\\w.-]+")), listed.toString());
  }

  /** The fleet's own parser (FleetConfig, what `patch --config` reads) takes both files of the ConfigMap. */
  @Test
  void theFleetParserReadsTheConfigMapsFleet() {
    JsonNode data = find("fleet-configmap.yaml", 0).node().path("data");
    java.time.LocalDate day = java.time.LocalDate.of(2026, 12, 1);
    FleetConfig config = FleetConfig.parse(data.path("patchconfig.yaml").asText(), "patchconfig.yaml");
    List<FleetConfig.ImageSpec> images = config.images();
    assertEquals(List.of("api", "python-base", "nginx-base"), images.stream().map(FleetConfig.ImageSpec::name).toList());
    assertEquals(TagStrategy.Kind.LIST, images.get(0).tags().kind());
    assertEquals(List.of("1.4.2", "1.3.9"), images.get(0).tags().list());
    assertEquals(TagStrategy.Kind.PATTERN, images.get(1).tags().kind());
    assertEquals(3, images.get(1).tags().maxTags());
    assertEquals(Set.of("3.12.0"), images.get(1).tags().exclude());
    assertEquals(2, images.get(1).platforms().size());
    assertEquals(TagStrategy.Kind.LATEST, images.get(2).tags().kind());
    dev.imagepatch.oci.ImageReference target = images.get(2)
        .target(dev.imagepatch.oci.ImageReference.parse("registry.example/shared/nginx-base:1.25.3"));
    assertEquals("registry.example", target.registry());
    assertEquals("patched/nginx-base", target.repository());
    images.forEach(i -> assertEquals("1.4.2-patched-20261201", i.targetTag().render("1.4.2", day)));

    FleetConfig list = FleetConfig.parse(data.path("images.txt").asText(), "images.txt");
    assertEquals(5, list.images().size());
    list.images().forEach(i -> assertEquals("2.1.0-patched-20261201", i.targetTag().render("2.1.0", day)));
  }

  /**
   * The Flux ImagePolicy's pattern (Go syntax: {@code (?P<name>)}) takes the dated tags, and
   * alphabetical order of the extracted stamps is the order they were made in.
   */
  @Test
  void theFluxPolicyPicksTheNewestDatedTag() {
    JsonNode spec = find("flux-image-policy.yaml", 1).node().path("spec");
    Pattern pattern = Pattern.compile(spec.at("/filterTags/pattern").asText().replace("(?P<", "(?<"));
    String group = spec.at("/filterTags/extract").asText().substring(1);
    List<String> tags = List.of("1.4.2-patched-20261130", "1.4.2-patched-20261201-1", "1.4.2-patched-20261201",
        "1.4.2-patched", "1.4.2", "1.4.2-patched-20261201-2", "1.3.9-patched-20261202", "1.4.2-patched-2026120");
    List<String> stamps = tags.stream().map(pattern::matcher).filter(java.util.regex.Matcher::matches)
        .map(m -> m.group(group)).sorted().collect(Collectors.toList());
    assertEquals(List.of("20261130", "20261201", "20261201-1", "20261201-2"), stamps);
  }

  /** The Kyverno digest-list rule's clean-up of the seed's lines (Go RE2 and Java agree on this plain regex). */
  @Test
  void theKyvernoRuleReadsTheSeedsDigestLines() {
    JsonNode rule = find("kyverno-require-patched-digest.yaml", 0).node().at("/spec/rules/0");
    String value = rule.at("/validate/foreach/0/deny/conditions/any/0/value").asText();
    java.util.regex.Matcher m = Pattern.compile("regex_replace_all\\('([^']*)'").matcher(value);
    assertTrue(m.find(), value);
    // YAML's "\n" is a real newline here: RE2 and Kyverno's split see the character itself.
    String regex = m.group(1);
    assertTrue(value.contains("split(@, '\n')"), value);
    String list = "registry.example/myapp/api@sha256:" + "a".repeat(64)
        + " # patched from registry.example/myapp/api:1.4.2 on 20261201\n"
        + "registry.example/myapp/worker@sha256:" + "b".repeat(64)
        + " # patched from registry.example/myapp/worker:2.1.0 on 20261201\n";
    List<String> refs = List.of(list.replaceAll(regex, "").split("\n"));
    assertEquals(List.of("registry.example/myapp/api@sha256:" + "a".repeat(64),
        "registry.example/myapp/worker@sha256:" + "b".repeat(64)), refs);
  }

  static Doc find(String fileName, int index) {
    return Manifests.all().stream()
        .filter(d -> d.file().getFileName().toString().equals(fileName) && d.index() == index)
        .findFirst().orElseThrow(() -> new AssertionError("no document " + index + " in " + fileName));
  }
}
