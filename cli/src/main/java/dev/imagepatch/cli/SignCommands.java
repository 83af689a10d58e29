package dev.imagepatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imagepatch.oci.internal.Json;
import dev.imagepatch.signer.CosignKeys;
import dev.imagepatch.signer.SignatureStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Key generation, signing, attesting and their verification, compatible with cosign 2.x and Kyverno. */
final class SignCommands {
  private SignCommands() {}

  /** The predicate types cosign's --type aliases name. */
  static String predicateType(String type) {
    return switch (type) {
      case "openvex" -> "https://openvex.dev/ns";
      case "custom" -> "https://cosign.sigstore.dev/attestation/v1";
      case "slsaprovenance", "slsaprovenance02" -> "https://slsa.dev/provenance/v0.2";
      case "slsaprovenance1" -> "https://slsa.dev/provenance/v1";
      case "spdx", "spdxjson" -> "https://spdx.dev/Document";
      case "cyclonedx" -> "https://cyclonedx.org/bom";
      case "vuln" -> "https://cosign.sigstore.dev/attestation/vuln/v1";
      default -> type;
    };
  }

  @Command(name = "generate-key-pair", mixinStandardHelpOptions = true,
      description = {"Write an ECDSA P-256 key pair as cosign does: <prefix>.key (encrypted with $COSIGN_PASSWORD,"
          + " or a password read from stdin) and <prefix>.pub."})
  static final class GenerateKeyPair implements Callable<Integer> {
    @Option(names = "--output-key-prefix", defaultValue = "cosign", description = "File name prefix (default ${DEFAULT-VALUE}).")
    String prefix;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      Path key = Path.of(prefix + ".key");
      Path pub = Path.of(prefix + ".pub");
      if (Files.exists(key) || Files.exists(pub)) {
        throw new IllegalArgumentException(key + " or " + pub + " exists already; not overwriting it");
      }
      KeyPair pair = CosignKeys.generate();
      Files.writeString(key, CosignKeys.encrypt(pair.getPrivate(), Signing.password()));
      Files.writeString(pub, CosignKeys.publicPem(pair.getPublic()));
      spec.commandLine().getOut().println("Private key written to " + key + "\nPublic key written to " + pub);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** IMAGE, and the signature target it names, for the four commands on an image's signatures. */
  abstract static class OnImage extends RegistryCommand {
    @Parameters(paramLabel = "IMAGE")
    String image;

    @Override
    public final Integer call() throws Exception {
      return call(Signing.target(image, registries));
    }

    abstract int call(Signing.Target t) throws Exception;
  }

  @Command(name = "sign", mixinStandardHelpOptions = true,
      description = "Sign an image's manifest digest as cosign 2.x does (tag sha256-<hex>.sig, simple signing).")
  static final class Sign extends OnImage {
    @Option(names = "--key", required = true, description = "cosign private key (password: $COSIGN_PASSWORD or stdin).")
    Path key;

    @Option(names = {"-a", "--annotations"}, paramLabel = "KEY=VALUE", description = "Extra claims in the payload.")
    Map<String, String> annotations;

    @Override
    int call(Signing.Target t) throws Exception {
      SignatureStore.sign(t.repo(), t.digest(), t.dockerReference(), Signing.annotations(annotations),
          Signing.signer(key));
      return printed(List.of("Signed " + t.display() + " (" + SignatureStore.tag(t.digest(), "sig") + ")"));
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Check an image's cosign signatures with a public key; exit 0 when one verifies.")
  static final class Verify extends OnImage {
    @Option(names = "--key", required = true, description = "Public key (PEM).")
    Path key;

    @Option(names = {"-a", "--annotations"}, paramLabel = "KEY=VALUE", description = "Claims the payload must carry.")
    Map<String, String> annotations;

    @Override
    int call(Signing.Target t) throws Exception {
      SignatureStore.Verification v = SignatureStore.verify(t.repo(), t.digest(), Signing.publicKey(key),
          Signing.annotations(annotations));
      if (!v.verified()) {
        return failed("imagepatch: no valid signature for " + t.display() + ": " + v.reasons());
      }
      return printed(v.checks().stream().filter(SignatureStore.Check::verified)
          .map(c -> "Verified " + t.display() + ": signature " + c.layer()).toList());
    }
  }

  @Command(name = "attest", mixinStandardHelpOptions = true,
      description = "Attest an image: a predicate as a signed in-toto statement in a DSSE envelope (tag sha256-<hex>.att).")
  static final class Attest extends OnImage {
    @Option(names = "--key", required = true, description = "cosign private key.")
    Path key;

    @Option(names = "--predicate", required = true, description = "The predicate, a JSON file (e.g. an OpenVEX document).")
    Path predicate;

    @Option(names = "--type", defaultValue = "custom",
        description = "Predicate type: openvex, custom, slsaprovenance, spdx, cyclonedx, vuln, or a URI.")
    String type;

    @Override
    int call(Signing.Target t) throws Exception {
      JsonNode body = Json.readObject(Files.readAllBytes(predicate), predicate.toString());
      SignatureStore.attest(t.repo(), t.digest(), t.dockerReference(), predicateType(type), body, Signing.signer(key));
      return printed(List.of("Attested " + t.display() + " (" + predicateType(type) + ")"));
    }
  }

  @Command(name = "verify-attestation", mixinStandardHelpOptions = true,
      description = "Check an image's attestations with a public key; prints the verified statements.")
  static final class VerifyAttestation extends OnImage {
    @Option(names = "--key", required = true, description = "Public key (PEM).")
    Path key;

    @Option(names = "--type", description = "Only this predicate type (alias or URI).")
    String type;

    @Override
    int call(Signing.Target t) throws Exception {
      List<SignatureStore.Check> failures = new ArrayList<>();
      List<SignatureStore.Attestation> ok = SignatureStore.verifyAttestations(t.repo(), t.digest(),
          Signing.publicKey(key), type == null ? null : predicateType(type), failures);
      if (ok.isEmpty()) {
        return failed("imagepatch: no valid attestation for " + t.display() + ": "
            + (failures.isEmpty() ? "none found" : String.join("; ",
                failures.stream().map(f -> f.layer() + ": " + f.detail()).toList())));
      }
      return printed(ok.stream()
          .map(a -> new String(Json.write(a.statement()), java.nio.charset.StandardCharsets.UTF_8)).toList());
    }
  }
}
