package dev.imagepatch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.examples.Manifests.Doc;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every pod the examples run meets the {@code restricted} Pod Security Standard (the checks of
 * Kubernetes' "restricted" profile, latest), and more: a read-only root filesystem, no BuildKit,
 * and no Kubernetes API token except in the pod that writes the patched-digests ConfigMap. Pods are
 * the templates of CronJobs, Jobs, Deployments and Pods, and Tekton Tasks' steps (a Task's pod is its
 * steps and sidecars).
 */
class RestrictedPodSecurityTest {
  /** The volume types the restricted profile allows. */
  static final Set<String> ALLOWED_VOLUMES =
      Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret");

  /** A pod spec found in a manifest: where, the pod-level fields and its containers. */
  record Pod(String where, JsonNode spec, List<JsonNode> containers) {}

  static List<Pod> pods(Doc doc) {
    JsonNode spec = switch (doc.kind()) {
      case "CronJob" -> doc.node().at("/spec/jobTemplate/spec/template/spec");
      case "Job", "Deployment" -> doc.node().at("/spec/template/spec");
      case "Pod" -> doc.node().path("spec");
      default -> null;
    };
    List<Pod> pods = new ArrayList<>();
    if (spec != null) {
      List<JsonNode> containers = new ArrayList<>();
      for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
        spec.path(list).forEach(containers::add);
      }
      pods.add(new Pod(doc.toString(), spec, containers));
    } else if (doc.kind().equals("Task") && doc.apiVersion().startsWith("tekton.dev/")) {
      // Tekton merges stepTemplate into each step; the pod-level fields come from the TaskRun's
      // podTemplate, so every container must carry its own settings.
      JsonNode template = doc.node().at("/spec/stepTemplate");
      List<JsonNode> containers = new ArrayList<>();
      doc.node().at("/spec/steps").forEach(step -> {
        ObjectNode merged = step.deepCopy();
        if (!merged.has("securityContext") && template.has("securityContext")) {
          merged.set("securityContext", template.get("securityContext"));
        }
        containers.add(merged);
      });
      doc.node().at("/spec/sidecars").forEach(containers::add);
      ObjectNode podSpec = Manifests.JSON.createObjectNode();
      podSpec.set("volumes", doc.node().at("/spec/volumes"));
      podSpec.set("sidecars", doc.node().at("/spec/sidecars"));
      pods.add(new Pod(doc.toString(), podSpec, containers));
    }
    return pods;
  }

  /** What keeps a pod out of the restricted profile, or out of what the examples promise; empty when none. */
  static List<String> violations(Pod pod) {
    List<String> v = new ArrayList<>();
    JsonNode spec = pod.spec();
    JsonNode podSc = spec.path("securityContext");
    for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
      if (spec.path(host).asBoolean(false)) {
        v.add(host);
      }
    }
    if (podSc.path("runAsUser").isNumber() && podSc.path("runAsUser").asLong() == 0) {
      v.add("pod runAsUser 0");
    }
    spec.path("volumes").forEach(volume -> volume.fieldNames().forEachRemaining(f -> {
      if (!f.equals("name") && !ALLOWED_VOLUMES.contains(f)) {
        v.add("volume " + volume.path("name").asText() + " of type " + f);
      }
    }));
    if (spec.path("sidecars").size() > 0) {
      v.add("Tekton sidecars (the seed's BuildKit): " + spec.path("sidecars"));
    }
    boolean podNonRoot = podSc.path("runAsNonRoot").asBoolean(false);
    String podSeccomp = podSc.at("/seccompProfile/type").asText("");
    if (pod.containers().isEmpty()) {
      v.add("no containers");
    }
    for (JsonNode c : pod.containers()) {
      String name = "container " + c.path("name").asText();
      JsonNode sc = c.path("securityContext");
      if (sc.path("privileged").asBoolean(false)) {
        v.add(name + ": privileged");
      }
      if (!sc.has("allowPrivilegeEscalation") || sc.path("allowPrivilegeEscalation").asBoolean(true)) {
        v.add(name + ": allowPrivilegeEscalation is not false");
      }
      boolean nonRoot = sc.has("runAsNonRoot") ? sc.path("runAsNonRoot").asBoolean(false) : podNonRoot;
      if (!nonRoot) {
        v.add(name + ": runAsNonRoot is not true");
      }
      if (sc.path("runAsUser").isNumber() && sc.path("runAsUser").asLong() == 0) {
        v.add(name + ": runAsUser 0");
      }
      String seccomp = sc.has("seccompProfile") ? sc.at("/seccompProfile/type").asText("") : podSeccomp;
      if (!seccomp.equals("RuntimeDefault") && !seccomp.equals("Localhost")) {
        v.add(name + ": seccompProfile is " + (seccomp.isEmpty() ? "unset" : seccomp));
      }
      Set<String> dropped = new TreeSet<>();
      sc.at("/capabilities/drop").forEach(d -> dropped.add(d.asText()));
      if (!dropped.contains("ALL")) {
        v.add(name + ": capabilities not all dropped");
      }
      sc.at("/capabilities/add").forEach(a -> {
        if (!a.asText().equals("NET_BIND_SERVICE")) {
          v.add(name + ": adds capability " + a.asText());
        }
      });
      c.path("ports").forEach(p -> {
        if (p.has("hostPort") && p.path("hostPort").asInt() != 0) {
          v.add(name + ": hostPort");
        }
      });
      // Beyond the profile: what these examples promise.
      if (!sc.path("readOnlyRootFilesystem").asBoolean(false)) {
        v.add(name + ": root filesystem not read-only");
      }
      String image = c.path("image").asText();
      if (image.contains("buildkit") || c.path("name").asText().contains("buildkit")) {
        v.add(name + ": BuildKit (" + image + ")");
      }
      if (!image.startsWith("registry.example/") && !image.startsWith("$(params.")) {
        v.add(name + ": image " + image + " is not a registry.example placeholder");
      }
    }
    return v;
  }

  static List<Pod> allPods() {
    return Manifests.all().stream().flatMap(d -> pods(d).stream()).toList();
  }

  @Test
  void everyPodMeetsTheRestrictedProfile() {
    List<Pod> pods = allPods();
    assertTrue(pods.size() >= 5, "the one-image CronJob, the shards, the collect step and the Tekton Tasks: "
        + pods.stream().map(Pod::where).toList());
    List<String> all = new ArrayList<>();
    for (Pod pod : pods) {
      violations(pod).forEach(v -> all.add(pod.where() + ": " + v));
    }
    assertEquals(List.of(), all);
  }

  /** A Tekton run gives its pods the pod-level half (Tekton's own init containers have no other). */
  @Test
  void tektonRunsGiveTheirPodsThePodLevelSettings() {
    List<Doc> runs = Manifests.all().stream()
        .filter(d -> d.kind().equals("PipelineRun") || d.kind().equals("TaskRun")).toList();
    assertTrue(!runs.isEmpty(), "a PipelineRun example");
    for (Doc run : runs) {
      JsonNode sc = run.node().at(run.kind().equals("PipelineRun")
          ? "/spec/taskRunTemplate/podTemplate/securityContext" : "/spec/podTemplate/securityContext");
      assertTrue(sc.path("runAsNonRoot").asBoolean(false), run + ": runAsNonRoot");
      assertEquals("RuntimeDefault", sc.at("/seccompProfile/type").asText(), run + ": seccomp");
    }
  }

  /** Only the pod that writes the digests ConfigMap mounts a token, and its identity is the one the Role binds. */
  @Test
  void onlyTheDigestsWriterHasAKubernetesApiToken() {
    Set<String> boundAccounts = new TreeSet<>();
    Set<String> withToken = new TreeSet<>();
    List<String> noOptOut = new ArrayList<>();
    for (Doc doc : Manifests.all()) {
      if (doc.kind().equals("RoleBinding")) {
        doc.node().path("subjects").forEach(s -> boundAccounts.add(s.path("name").asText()));
      }
      if (doc.kind().equals("Role")) {
        doc.node().path("rules").forEach(rule -> {
          assertEquals("[\"imagepatch-patched-digests\"]", rule.path("resourceNames").toString(), doc + ": " + rule);
          rule.path("verbs").forEach(verb -> assertTrue(Set.of("get", "patch").contains(verb.asText()), doc + ": " + verb));
        });
      }
      if (doc.kind().equals("ServiceAccount")) {
        assertFalse(doc.node().path("automountServiceAccountToken").asBoolean(true),
            doc + ": a ServiceAccount mounts no token by default; the pod that needs one says so");
      }
      for (Pod pod : pods(doc)) {
        if (!doc.kind().equals("Task")) {
          JsonNode automount = pod.spec().path("automountServiceAccountToken");
          if (automount.isMissingNode()) {
            noOptOut.add(pod.where());
          } else if (automount.asBoolean()) {
            withToken.add(pod.spec().path("serviceAccountName").asText());
            String containers = pod.containers().toString();
            assertTrue(containers.contains("--digests-out") && containers.contains("imagepatch-patched-digests"),
                pod.where() + " has a token but does not write the digests ConfigMap");
          }
        }
      }
    }
    assertEquals(List.of(), noOptOut, "pods that do not say whether they mount a token");
    assertEquals(Set.of("imagepatch-collect"), withToken);
    assertEquals(withToken, boundAccounts);
  }

  /** The checks are not vacuous: the seed's BuildKit pod settings are each caught. */
  @Test
  void theSeedsSettingsAreRefused() {
    Doc shards = ManifestSchemaTest.find("shards-cronjob.yaml", 0);
    Pod good = pods(shards).get(0);
    assertEquals(List.of(), violations(good));

    ObjectNode spec = good.spec().deepCopy();
    ((ObjectNode) spec.path("securityContext")).put("runAsNonRoot", false);
    ObjectNode c = ((ObjectNode) spec.path("containers").get(0));
    ((ObjectNode) c.path("securityContext")).remove("runAsNonRoot");
    ((ObjectNode) c.path("securityContext")).put("readOnlyRootFilesystem", false);
    ((ObjectNode) c.path("securityContext")).putObject("seccompProfile").put("type", "Unconfined");
    ((ObjectNode) c.path("securityContext")).remove("allowPrivilegeEscalation");
    ((ObjectNode) c.path("securityContext")).remove("capabilities");
    spec.withArray("volumes").addObject().put("name", "docker-socket").putObject("hostPath").put("path", "/run");
    ObjectNode buildkit = spec.withArray("containers").addObject();
    buildkit.put("name", "buildkitd").put("image", "registry.example/moby/buildkit:rootless");
    List<JsonNode> containers = new ArrayList<>();
    spec.path("containers").forEach(containers::add);
    List<String> v = violations(new Pod("mutated", spec, containers));
    for (String expected : List.of("runAsNonRoot is not true", "root filesystem not read-only", "seccompProfile is Unconfined",
        "allowPrivilegeEscalation is not false", "capabilities not all dropped", "volume docker-socket of type hostPath",
        "container buildkitd: BuildKit")) {
      assertTrue(v.stream().anyMatch(s -> s.contains(expected)), expected + " not caught: " + v);
    }
  }
}
