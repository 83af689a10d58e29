package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.util.Optional;

/** Supplies the credential for a registry host, if there is one; empty means anonymous. */
@FunctionalInterface
public interface CredentialProvider {
  Optional<Credential> credentialFor(String registry) throws IOException;

  static CredentialProvider anonymous() {
    return registry -> Optional.empty();
  }

  /** The same credential for every registry, e.g. from an embedding tool's own settings. */
  static CredentialProvider of(Credential credential) {
    return registry -> Optional.of(credential);
  }

  /** This provider, then {@code next} when this one has nothing. */
  default CredentialProvider orElse(CredentialProvider next) {
    return registry -> {
      Optional<Credential> c = credentialFor(registry);
      return c.isPresent() ? c : next.credentialFor(registry);
    };
  }
}
