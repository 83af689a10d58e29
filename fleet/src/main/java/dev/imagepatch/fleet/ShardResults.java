package dev.imagepatch.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.fleet.FleetResult.ImageResult;
import dev.imagepatch.fleet.FleetResult.Status;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.registry.RegistryClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A shard's results kept in the registry, so the shards and the collect step share no volume: an
 * OCI artifact (image manifest with artifactType {@value #ARTIFACT_TYPE}, one JSON layer of the
 * shard's image results) tagged {@code fleet-<12 hex of sha256(config)>-<I>-of-<N>}.
 */
public final class ShardResults {
  public static final String ARTIFACT_TYPE = "application/vnd.imagepatch.fleet.result.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] EMPTY = "{}".getBytes(StandardCharsets.UTF_8);

  private final RegistryClient client;
  private final String repository;
  private final String configDigest;

  /**
   * @param results where the artifacts live, e.g. {@code registry.example/ops/imagepatch-results}
   * @param configBytes the config file's bytes: a changed config starts a new set of results
   */
  public ShardResults(RegistryClient client, String repository, byte[] configBytes) {
    this.client = client;
    this.repository = repository;
    this.configDigest = Digest.sha256(configBytes).hex().substring(0, 12);
  }

  /** The tag of shard {@code s}'s artifact. */
  public String tag(ShardAssignment s) {
    return "fleet-" + configDigest + "-" + s.index() + "-of-" + s.count();
  }

  /** Replaces shard {@code s}'s artifact with {@code images} (called after each image finishes). */
  public synchronized void store(ShardAssignment s, List<ImageResult> images, LocalDate date, boolean complete)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("shard", s.toString());
    root.put("complete", complete);
    root.put("date", date.toString());
    ArrayNode arr = root.putArray("images");
    for (ImageResult i : images) {
      arr.add(toJson(i));
    }
    byte[] body = JSON.writeValueAsBytes(root);
    Descriptor config = Descriptor.of(MediaTypes.OCI_EMPTY, Digest.sha256(EMPTY), EMPTY.length);
    Descriptor layer = Descriptor.of(ARTIFACT_TYPE, Digest.sha256(body), body.length);
    push(config, EMPTY);
    push(layer, body);
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, config, List.of(layer))
        .edit(tree -> tree.put("artifactType", ARTIFACT_TYPE));
    client.putManifest(repository, tag(s), m);
  }

  /** What a shard recorded: its finished images, and whether it finished them all. */
  public record Recorded(List<ImageResult> images, boolean complete) {}

  /** Shard {@code s}'s recorded results; empty when it has recorded none. */
  public Optional<Recorded> load(ShardAssignment s) throws IOException {
    String tag = tag(s);
    if (client.headManifest(repository, tag).isEmpty()) {
      return Optional.empty();
    }
    JsonDocument doc = client.getManifest(repository, tag);
    if (!(doc instanceof Manifest m) || !m.artifactType().map(ARTIFACT_TYPE::equals).orElse(false)) {
      throw new IOException(repository + ":" + tag + " is not an imagepatch fleet result (" + ARTIFACT_TYPE + ")");
    }
    JsonNode layer = m.json().path("layers").path(0);
    Descriptor d = Descriptor.fromJson(layer, repository + ":" + tag + " layers[0]");
    JsonNode root;
    try (InputStream in = client.openBlob(repository, d)) {
      root = JSON.readTree(in);
    }
    List<ImageResult> out = new ArrayList<>();
    for (JsonNode n : root.path("images")) {
      out.add(fromJson(n));
    }
    return Optional.of(new Recorded(out, root.path("complete").asBoolean(false)));
  }

  /**
   * Every shard's results merged into one; a shard with no artifact is a failed entry naming it, so
   * the collected exit code cannot say "all patched" when a shard never reported.
   */
  public FleetResult collect(int count, LocalDate date) throws IOException {
    long start = System.nanoTime();
    List<ImageResult> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ShardAssignment s = new ShardAssignment(i, count);
      Optional<Recorded> r = load(s);
      if (r.isPresent()) {
        all.addAll(r.get().images());
      }
      if (r.isEmpty() || !r.get().complete()) {
        all.add(new ImageResult("shard " + s, ImageReference.parse(client.registry() + "/" + repository + ":" + tag(s)),
            Status.FAILED, Optional.empty(), Optional.empty(), Optional.empty(),
            "shard " + s + (r.isEmpty() ? " recorded no results (" + repository + ":" + tag(s) + " is missing)"
                : " did not finish (" + r.get().images().size() + " images recorded): run it again"),
            Map.of(), List.of(), List.of(), 0, Duration.ZERO));
      }
    }
    return new FleetResult(all, date, Duration.ofNanos(System.nanoTime() - start));
  }

  private void push(Descriptor d, byte[] bytes) throws IOException {
    if (client.headBlob(repository, d.digest()).isEmpty()) {
      client.pushBlob(repository, d, () -> new ByteArrayInputStream(bytes));
    }
  }

  private static ObjectNode toJson(ImageResult i) {
    ObjectNode n = JSON.createObjectNode();
    n.put("name", i.name());
    n.put("source", i.source().toString());
    n.put("status", i.status().name());
    i.sourceDigest().ifPresent(d -> n.put("sourceDigest", d.toString()));
    i.patched().ifPresent(p -> n.put("patched", p.toString()));
    i.patchedDigest().ifPresent(d -> n.put("patchedDigest", d.toString()));
    n.put("details", i.details());
    ObjectNode f = n.putObject("fixedBySeverity");
    i.fixedBySeverity().forEach(f::put);
    i.noFix().forEach(n.putArray("noFix")::add);
    i.stillOpen().forEach(n.putArray("stillOpen")::add);
    n.put("bytesPushed", i.bytesPushed());
    n.put("durationMillis", i.duration().toMillis());
    return n;
  }

  private static ImageResult fromJson(JsonNode n) {
    Map<String, Integer> fixed = new LinkedHashMap<>();
    n.path("fixedBySeverity").fields().forEachRemaining(e -> fixed.put(e.getKey(), e.getValue().asInt()));
    return new ImageResult(n.path("name").asText(), ImageReference.parse(n.path("source").asText()),
        Status.valueOf(n.path("status").asText()), text(n, "sourceDigest").map(Digest::parse),
        text(n, "patched").map(ImageReference::parse), text(n, "patchedDigest").map(Digest::parse),
        n.path("details").asText(), fixed, strings(n.path("noFix")), strings(n.path("stillOpen")),
        n.path("bytesPushed").asLong(), Duration.ofMillis(n.path("durationMillis").asLong()));
  }

  private static Optional<String> text(JsonNode n, String field) {
    return n.hasNonNull(field) ? Optional.of(n.get(field).asText()) : Optional.empty();
  }

  private static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>();
    arr.forEach(x -> out.add(x.asText()));
    return out;
  }
}
