package dev.imagepatch.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The manifests this repository ships: every YAML file under {@code examples/} and the root
 * {@code action.yml}, one {@link Doc} per YAML document, with the schema (from {@code ../shared/schemas})
 * that judges it.
 */
final class Manifests {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One YAML document of one file. */
  record Doc(Path file, int index, JsonNode node) {
    String apiVersion() {
      return node.path("apiVersion").asText("");
    }

    String kind() {
      return node.path("kind").asText("");
    }

    @Override
    public String toString() {
      return examplesDir().getParent().relativize(file) + "#" + index
          + (kind().isEmpty() ? "" : " (" + kind() + " " + node.at("/metadata/name").asText() + ")");
    }
  }

  /** Which JSON schema dialect a schema file is read with. */
  enum Dialect { DRAFT4, DRAFT7 }

  /** A schema file under the shared directory and its dialect. */
  record Schema(String relative, Dialect dialect) {}

  private static final String K8S = "schemas/kubernetes/v1.33.0/";
  private static final String CRDS = "schemas/crds/";

  /** apiVersion + "/" + kind to its schema; GitHub files are matched by where they are. */
  private static final Map<String, Schema> BY_KIND = Map.ofEntries(
      Map.entry("v1/Namespace", new Schema(K8S + "namespace-v1.json", Dialect.DRAFT4)),
      Map.entry("v1/ServiceAccount", new Schema(K8S + "serviceaccount-v1.json", Dialect.DRAFT4)),
      Map.entry("v1/ConfigMap", new Schema(K8S + "configmap-v1.json", Dialect.DRAFT4)),
      Map.entry("v1/Secret", new Schema(K8S + "secret-v1.json", Dialect.DRAFT4)),
      Map.entry("v1/Pod", new Schema(K8S + "pod-v1.json", Dialect.DRAFT4)),
      Map.entry("apps/v1/Deployment", new Schema(K8S + "deployment-apps-v1.json", Dialect.DRAFT4)),
      Map.entry("batch/v1/CronJob", new Schema(K8S + "cronjob-batch-v1.json", Dialect.DRAFT4)),
      Map.entry("batch/v1/Job", new Schema(K8S + "job-batch-v1.json", Dialect.DRAFT4)),
      Map.entry("rbac.authorization.k8s.io/v1/Role", new Schema(K8S + "role-rbac-v1.json", Dialect.DRAFT4)),
      Map.entry("rbac.authorization.k8s.io/v1/RoleBinding",
          new Schema(K8S + "rolebinding-rbac-v1.json", Dialect.DRAFT4)),
      Map.entry("rbac.authorization.k8s.io/v1/ClusterRole",
          new Schema(K8S + "clusterrole-rbac-v1.json", Dialect.DRAFT4)),
      Map.entry("rbac.authorization.k8s.io/v1/ClusterRoleBinding",
          new Schema(K8S + "clusterrolebinding-rbac-v1.json", Dialect.DRAFT4)),
      Map.entry("kyverno.io/v1/ClusterPolicy", new Schema(CRDS + "kyverno.io/clusterpolicy_v1.json", Dialect.DRAFT4)),
      Map.entry("kyverno.io/v1/Policy", new Schema(CRDS + "kyverno.io/policy_v1.json", Dialect.DRAFT4)),
      Map.entry("image.toolkit.fluxcd.io/v1/ImageRepository",
          new Schema(CRDS + "image.toolkit.fluxcd.io/imagerepository_v1.json", Dialect.DRAFT4)),
      Map.entry("image.toolkit.fluxcd.io/v1/ImagePolicy",
          new Schema(CRDS + "image.toolkit.fluxcd.io/imagepolicy_v1.json", Dialect.DRAFT4)),
      Map.entry("image.toolkit.fluxcd.io/v1/ImageUpdateAutomation",
          new Schema(CRDS + "image.toolkit.fluxcd.io/imageupdateautomation_v1.json", Dialect.DRAFT4)),
      Map.entry("tekton.dev/v1/Task", new Schema(CRDS + "tekton.dev/task_v1.json", Dialect.DRAFT4)),
      Map.entry("tekton.dev/v1/Pipeline", new Schema(CRDS + "tekton.dev/pipeline_v1.json", Dialect.DRAFT4)),
      Map.entry("tekton.dev/v1/PipelineRun", new Schema(CRDS + "tekton.dev/pipelinerun_v1.json", Dialect.DRAFT4)),
      Map.entry("tekton.dev/v1/TaskRun", new Schema(CRDS + "tekton.dev/taskrun_v1.json", Dialect.DRAFT4)));

  static final Schema WORKFLOW = new Schema("schemas/github/github-workflow.json", Dialect.DRAFT7);
  static final Schema ACTION = new Schema("schemas/github/github-action.json", Dialect.DRAFT7);

  private Manifests() {}

  /** The examples module's directory (surefire runs in it; {@code basedir} says so either way). */
  static Path examplesDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().normalize();
  }

  /** Every manifest file: YAML under examples/ (not target/ or src/) and the repository's action.yml. */
  static List<Path> files() {
    Path dir = examplesDir();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.filter(Files::isRegularFile)
          .filter(p -> !p.startsWith(dir.resolve("target")) && !p.startsWith(dir.resolve("src")))
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.add(dir.getParent().resolve("action.yml"));
    return files;
  }

  /** The YAML documents of a file, as JSON trees. */
  static List<Doc> read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Doc> docs = new ArrayList<>();
    int i = 0;
    for (Object o : new Load(LoadSettings.builder().setLabel(file.toString()).build()).loadAllFromString(text)) {
      if (o != null) {
        docs.add(new Doc(file, i, JSON.valueToTree(o)));
      }
      i++;
    }
    return docs;
  }

  /** Every document of every manifest file. */
  static List<Doc> all() {
    return files().stream().flatMap(f -> read(f).stream()).toList();
  }

  /** The schema that judges a document, if one is known. */
  static Optional<Schema> schemaFor(Doc doc) {
    Path examples = examplesDir();
    if (doc.file().equals(examples.getParent().resolve("action.yml"))) {
      return Optional.of(ACTION);
    }
    if (doc.file().startsWith(examples.resolve("github"))) {
      return Optional.of(WORKFLOW);
    }
    return Optional.ofNullable(BY_KIND.get(doc.apiVersion() + "/" + doc.kind()));
  }
}
