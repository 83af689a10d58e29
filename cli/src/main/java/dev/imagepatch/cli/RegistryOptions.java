package dev.imagepatch.cli;

import dev.imagepatch.oci.registry.DockerConfigCredentials;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RegistryLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Registry settings shared by every command that talks to registries. */
final class RegistryOptions {
  @Option(names = "--insecure-registry", paramLabel = "HOST",
      description = "Talk plain HTTP to this registry (repeatable). Loopback registries use HTTP already.")
  List<String> insecure = new ArrayList<>();

  private final Map<String, RegistryClient> clients = new HashMap<>();
  private DockerConfigCredentials credentials;
  private RegistryLimits limits;

  /**
   * Shares {@code shared} among the clients made from now on: requests at a time per registry host,
   * and the pauses a host asks for with Retry-After (a fleet run's {@code --per-registry}).
   */
  synchronized void limits(RegistryLimits shared) {
    this.limits = shared;
  }

  /** One client per registry host, with credentials from Docker's config.json. */
  synchronized RegistryClient client(String registry) {
    return clients.computeIfAbsent(registry, host -> {
      RegistryClient.Builder b = RegistryClient.builder(host).credentials(credentials());
      if (limits != null) {
        b.limits(limits);
      }
      if (insecure.contains(host)) {
        b.plainHttp(true);
      }
      return b.build();
    });
  }

  private DockerConfigCredentials credentials() {
    if (credentials == null) {
      try {
        credentials = DockerConfigCredentials.fromEnvironment();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return credentials;
  }

  /** Blob bytes uploaded by every client so far. */
  synchronized long bytesUploaded() {
    return clients.values().stream().mapToLong(c -> c.stats().bytesUploaded()).sum();
  }
}
