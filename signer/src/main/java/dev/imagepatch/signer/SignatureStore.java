package dev.imagepatch.signer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.oci.registry.RegistryException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Signatures and attestations stored as cosign 2.x stores them by default, readable by
 * {@code cosign verify} and Kyverno {@code verifyImages}: in the image's repository, under the
 * tag {@code sha256-<hex>.sig} (or {@code .att}), an OCI manifest with one layer per signature.
 * Signing again appends a layer and keeps the earlier ones. Works on a registry repository and on
 * an OCI layout alike.
 */
public final class SignatureStore {
  public static final String SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
  public static final String DSSE = "application/vnd.dsse.envelope.v1+json";
  public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
  public static final String PREDICATE_TYPE_ANNOTATION = "predicateType";
  public static final String IN_TOTO = "application/vnd.in-toto+json";
  public static final String STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
  private static final long PAYLOAD_LIMIT = 128L << 20;

  /** A repository both readable and writable: a {@code RemoteRepository} or an {@code OciLayout}. */
  public interface Repository extends ImageSource, ImageTarget {}

  /** Adapts any source that is also a target. */
  public static <R extends ImageSource & ImageTarget> Repository of(R repository) {
    return new Repository() {
      @Override
      public JsonDocument fetchManifest(String reference) throws IOException {
        return repository.fetchManifest(reference);
      }

      @Override
      public InputStream openBlob(Descriptor descriptor) throws IOException {
        return repository.openBlob(descriptor);
      }

      @Override
      public boolean hasBlob(Descriptor descriptor) throws IOException {
        return repository.hasBlob(descriptor);
      }

      @Override
      public BlobOutcome putBlob(Descriptor descriptor, BlobContent content) throws IOException {
        return repository.putBlob(descriptor, content);
      }

      @Override
      public void putManifest(JsonDocument document, String tag) throws IOException {
        repository.putManifest(document, tag);
      }

      @Override
      public String describe() {
        return repository.describe();
      }

      @Override
      public void close() throws IOException {
        repository.close();
      }
    };
  }

  private SignatureStore() {}

  /** cosign's tag for what is attached to {@code digest}: {@code sha256-<hex>.sig}, {@code .att}. */
  public static String tag(Digest digest, String suffix) {
    return digest.algorithm().id() + "-" + digest.hex() + "." + suffix;
  }

  /**
   * Signs {@code digest} as {@code cosign sign --key} does and stores the signature. Returns the
   * signed payload. {@code dockerReference} is the repository name cosign writes into it.
   */
  public static byte[] sign(Repository repo, Digest digest, String dockerReference, Map<String, String> annotations,
      Signer signer) throws IOException {
    byte[] payload = Payloads.simpleSigning(dockerReference, digest, Payloads.annotations(annotations));
    byte[] signature = signer.sign(payload);
    Descriptor layer = Descriptor.of(SIMPLE_SIGNING, Digest.sha256(payload), payload.length)
        .withAnnotation(SIGNATURE_ANNOTATION, Base64.getEncoder().encodeToString(signature));
    append(repo, tag(digest, "sig"), layer, payload);
    return payload;
  }

  /**
   * Attests {@code digest}: an in-toto statement of {@code predicateType} about it, in a DSSE
   * envelope signed as {@code cosign attest --key} signs it, stored under {@code .att}.
   */
  public static byte[] attest(Repository repo, Digest digest, String dockerReference, String predicateType,
      JsonNode predicate, Signer signer) throws IOException {
    ObjectNode statement = Json.MAPPER.createObjectNode();
    statement.put("_type", STATEMENT_V01);
    statement.put("predicateType", predicateType);
    ArrayNode subject = statement.putArray("subject");
    ObjectNode s = subject.addObject();
    s.put("name", dockerReference);
    s.putObject("digest").put(digest.algorithm().id(), digest.hex());
    statement.set("predicate", predicate);
    byte[] body = Json.write(statement);
    byte[] sig = signer.sign(Payloads.pae(IN_TOTO, body));
    ObjectNode envelope = Json.MAPPER.createObjectNode();
    envelope.put("payloadType", IN_TOTO);
    envelope.put("payload", Base64.getEncoder().encodeToString(body));
    envelope.putArray("signatures").addObject().put("keyid", "").put("sig", Base64.getEncoder().encodeToString(sig));
    byte[] bytes = Json.write(envelope);
    Descriptor layer = Descriptor.of(DSSE, Digest.sha256(bytes), bytes.length)
        .withAnnotation(PREDICATE_TYPE_ANNOTATION, predicateType).withAnnotation(SIGNATURE_ANNOTATION, "");
    append(repo, tag(digest, "att"), layer, bytes);
    return bytes;
  }

  /** Appends one layer to the manifest under {@code tag}, creating it when there is none. */
  private static void append(Repository repo, String tag, Descriptor layer, byte[] content) throws IOException {
    List<Descriptor> layers = new ArrayList<>(existing(repo, tag).map(Manifest::layers).orElse(List.of()));
    if (layers.stream().anyMatch(l -> l.equals(layer))) {
      return; // the same signature is there already, as cosign's dupe detector decides
    }
    layers.add(layer);
    repo.putBlob(layer, () -> new ByteArrayInputStream(content));
    // The config cosign (go-containerregistry's empty image) writes: diff_ids equal the layer digests.
    ObjectNode config = Json.MAPPER.createObjectNode();
    config.put("architecture", "");
    config.put("created", "0001-01-01T00:00:00Z");
    ArrayNode history = config.putArray("history");
    config.put("os", "");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    for (Descriptor l : layers) {
      history.addObject().put("created", "0001-01-01T00:00:00Z");
      ids.add(l.digest().toString());
    }
    config.putObject("config");
    byte[] configBytes = Json.write(config);
    Descriptor cd = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
    repo.putBlob(cd, () -> new ByteArrayInputStream(configBytes));
    repo.putManifest(Manifest.create(MediaTypes.OCI_MANIFEST, cd, layers), tag);
  }

  private static Optional<Manifest> existing(Repository repo, String tag) throws IOException {
    try {
      JsonDocument doc = repo.fetchManifest(tag);
      if (doc instanceof Manifest m) {
        return Optional.of(m);
      }
      throw new InvalidDocumentException(repo.describe() + ":" + tag + " is not a manifest");
    } catch (RegistryException e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The outcome of checking one signature or attestation layer. */
  public record Check(Digest layer, boolean verified, String detail) {}

  /** All layers checked; verified when at least one passed. */
  public record Verification(Digest image, List<Check> checks) {
    public boolean verified() {
      return checks.stream().anyMatch(Check::verified);
    }

    /** Why nothing verified, one reason per layer (or that there was nothing). */
    public String reasons() {
      if (checks.isEmpty()) {
        return "no signatures for " + image;
      }
      return String.join("; ", checks.stream().map(c -> c.layer() + ": " + c.detail()).toList());
    }
  }

  /**
   * Checks the signatures of {@code digest} as {@code cosign verify --key} does: a signature over the
   * payload by {@code key}, a payload naming this digest, and every required annotation among its
   * optional claims. The reference in the payload is not checked, as cosign does not check it.
   */
  public static Verification verify(Repository repo, Digest digest, PublicKey key, Map<String, String> required)
      throws IOException {
    Optional<Manifest> sigs = existing(repo, tag(digest, "sig"));
    List<Check> checks = new ArrayList<>();
    if (sigs.isEmpty()) {
      return new Verification(digest, checks);
    }
    for (Descriptor layer : sigs.get().layers()) {
      checks.add(checkSignature(repo, layer, digest, key, required));
    }
    return new Verification(digest, checks);
  }

  private static Check checkSignature(Repository repo, Descriptor layer, Digest digest, PublicKey key,
      Map<String, String> required) throws IOException {
    if (!SIMPLE_SIGNING.equals(layer.mediaType())) {
      return new Check(layer.digest(), false, "not a simple-signing layer (" + layer.mediaType() + ")");
    }
    String b64 = layer.annotations().get(SIGNATURE_ANNOTATION);
    if (b64 == null || b64.isEmpty()) {
      return new Check(layer.digest(), false, "no " + SIGNATURE_ANNOTATION + " annotation");
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      return new Check(layer.digest(), false, "the signature annotation is not base64");
    }
    byte[] payload = blob(repo, layer);
    if (!Payloads.verify(key, payload, signature)) {
      return new Check(layer.digest(), false, "the signature does not verify with the given key (another key,"
          + " or payload or signature changed)");
    }
    JsonNode json;
    try {
      json = Json.readObject(payload, "payload " + layer.digest());
    } catch (InvalidDocumentException e) {
      return new Check(layer.digest(), false, e.getMessage());
    }
    String type = json.path("critical").path("type").asText("");
    if (!type.equals(Payloads.SIGNATURE_TYPE)) {
      return new Check(layer.digest(), false, "payload type is '" + type + "'");
    }
    String named = json.path("critical").path("image").path("docker-manifest-digest").asText("");
    if (!named.equals(digest.toString())) {
      return new Check(layer.digest(), false, "the payload signs " + named + ", not " + digest);
    }
    for (Map.Entry<String, String> want : required.entrySet()) {
      JsonNode have = json.path("optional").path(want.getKey());
      if (!have.isTextual() || !have.asText().equals(want.getValue())) {
        return new Check(layer.digest(), false, "annotation " + want.getKey() + "=" + want.getValue() + " missing");
      }
    }
    return new Check(layer.digest(), true, "verified");
  }

  /** A verified attestation: the layer it came from and its statement. */
  public record Attestation(Digest layer, String predicateType, JsonNode statement) {}

  /**
   * The attestations of {@code digest} signed by {@code key} (of {@code predicateType} when not
   * null), checked as cosign checks them: the DSSE signature over the PAE, an in-toto payload, and
   * a subject naming this digest. The checks that failed are in {@code failures}.
   */
  public static List<Attestation> verifyAttestations(Repository repo, Digest digest, PublicKey key,
      String predicateType, List<Check> failures) throws IOException {
    List<Attestation> out = new ArrayList<>();
    Optional<Manifest> atts = existing(repo, tag(digest, "att"));
    if (atts.isEmpty()) {
      return out;
    }
    for (Descriptor layer : atts.get().layers()) {
      EnvelopeCheck c = checkEnvelope(blob(repo, layer), key, digest, predicateType);
      if (c.problem() != null) {
        failures.add(new Check(layer.digest(), false, c.problem()));
      } else {
        out.add(new Attestation(layer.digest(), c.statement().path("predicateType").asText(), c.statement()));
      }
    }
    return out;
  }

  /** A DSSE envelope checked: its statement, or why it does not verify. */
  public record EnvelopeCheck(JsonNode statement, String problem) {}

  /**
   * Checks one DSSE envelope as cosign does: an in-toto payload, a signature by {@code key} over the
   * PAE, a subject naming {@code digest}, and (when not null) the {@code predicateType}.
   */
  public static EnvelopeCheck checkEnvelope(byte[] envelopeBytes, PublicKey key, Digest digest, String predicateType) {
    try {
      ObjectNode envelope = Json.readObject(envelopeBytes, "envelope");
      if (!IN_TOTO.equals(envelope.path("payloadType").asText())) {
        return new EnvelopeCheck(null, "payloadType is " + envelope.path("payloadType").asText());
      }
      byte[] body = Base64.getDecoder().decode(envelope.path("payload").asText());
      boolean signed = false;
      for (JsonNode s : envelope.path("signatures")) {
        signed |= Payloads.verify(key, Payloads.pae(IN_TOTO, body), Base64.getDecoder().decode(s.path("sig").asText()));
      }
      if (!signed) {
        return new EnvelopeCheck(null, "no signature of the envelope verifies with the given key");
      }
      JsonNode statement = Json.readObject(body, "statement");
      boolean names = false;
      for (JsonNode subject : statement.path("subject")) {
        names |= digest.hex().equals(subject.path("digest").path(digest.algorithm().id()).asText());
      }
      if (!names) {
        return new EnvelopeCheck(statement, "no subject of the statement names " + digest);
      }
      if (predicateType != null && !predicateType.equals(statement.path("predicateType").asText())) {
        return new EnvelopeCheck(statement, "predicateType is " + statement.path("predicateType").asText() + ", not "
            + predicateType);
      }
      return new EnvelopeCheck(statement, null);
    } catch (IllegalArgumentException | InvalidDocumentException e) {
      return new EnvelopeCheck(null, "unreadable envelope: " + e.getMessage());
    }
  }

  private static byte[] blob(Repository repo, Descriptor layer) throws IOException {
    if (layer.size() > PAYLOAD_LIMIT) {
      throw new IOException(layer.digest() + ": a " + layer.size() + "-byte payload is more than a signature holds");
    }
    try (InputStream in = repo.openBlob(layer)) {
      return in.readAllBytes();
    }
  }
}
