package dev.imagepatch.cli;

import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.copy.ImageLocation;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RemoteRepository;
import dev.imagepatch.signer.CosignKeys;
import dev.imagepatch.signer.SignatureStore;
import dev.imagepatch.signer.Signer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Map;

/** What the signing commands share: keys with cosign's password handling, and the image's repository. */
final class Signing {
  private Signing() {}

  /** An image, the repository its signatures go to, and the digest they name. */
  record Target(SignatureStore.Repository repo, Digest digest, String dockerReference, String display) {}

  /** The password as cosign takes it: {@code $COSIGN_PASSWORD}, else one line of standard input. */
  static char[] password() throws IOException {
    String env = System.getenv("COSIGN_PASSWORD");
    if (env != null) {
      return env.toCharArray();
    }
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    return line == null ? new char[0] : line.toCharArray();
  }

  static Signer signer(Path keyFile) throws IOException {
    PrivateKey key = CosignKeys.readPrivate(Files.readString(keyFile), password(), keyFile.toString());
    return Signer.withKey(key, publicOf(key));
  }

  static PublicKey publicKey(Path file) throws IOException {
    return CosignKeys.readPublic(Files.readString(file), file.toString());
  }

  /** The public key of a P-256 private key (Q = d·G), which PKCS#8 does not always carry. */
  static PublicKey publicOf(PrivateKey key) throws IOException {
    try {
      ECPrivateKey ec = (ECPrivateKey) key;
      org.bouncycastle.jce.spec.ECNamedCurveParameterSpec spec =
          org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256r1");
      org.bouncycastle.math.ec.ECPoint q = spec.getG().multiply(ec.getS()).normalize();
      ECPoint point = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
      return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, ec.getParams()));
    } catch (java.security.GeneralSecurityException | ClassCastException e) {
      throw new IOException("cannot derive the public key: " + e.getMessage(), e);
    }
  }

  /** Resolves an image location to its repository and digest. */
  static Target target(String image, RegistryOptions registries) throws IOException {
    ImageLocation location = ImageLocation.parse(image);
    switch (location.kind()) {
      case REGISTRY -> {
        ImageReference ref = location.image();
        RemoteRepository repo = registries.client(ref.registry()).repository(ref.repository());
        Digest digest = ref.digest().isPresent() ? ref.digest().get() : repo.fetchManifest(ref.reference()).digest();
        // cosign names Docker Hub images index.docker.io/..., as go-containerregistry does.
        String name = (ref.registry().equals(ImageReference.DOCKER_HUB) ? "index.docker.io" : ref.registry()) + "/"
            + ref.repository();
        return new Target(SignatureStore.of(repo), digest, name, ref.name() + "@" + digest);
      }
      case OCI_LAYOUT -> {
        OciLayout layout = OciLayout.open(location.path());
        Digest digest = layout.fetchManifest(location.reference()).digest();
        return new Target(SignatureStore.of(layout), digest, location.path().getFileName().toString(),
            "oci:" + location.path() + "@" + digest);
      }
      default -> throw new IllegalArgumentException("signatures go to a registry or an OCI layout, not " + image);
    }
  }

  static Map<String, String> annotations(Map<String, String> given) {
    return given == null ? Map.of() : given;
  }
}
