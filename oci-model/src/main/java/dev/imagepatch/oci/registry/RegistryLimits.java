package dev.imagepatch.oci.registry;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What the clients of one run share per registry host: at most {@link #perRegistry()} requests
 * in flight to a host, and the pause a host asked for with {@code Retry-After} (on a 429 or 503),
 * which later requests to that host, and only that host, wait out. Give one instance to every
 * {@link RegistryClient} of a run ({@link RegistryClient.Builder#limits}); a client given none has
 * its own, unlimited. Thread-safe.
 *
 * <p>A request holds its place from sending until its answer's headers arrive: a blob body read
 * afterwards does not, so a copy that reads from a registry while writing to it cannot deadlock.
 */
public final class RegistryLimits {
  private final int perRegistry;
  private final ConcurrentMap<String, HostGate> hosts = new ConcurrentHashMap<>();

  private RegistryLimits(int perRegistry) {
    this.perRegistry = perRegistry;
  }

  /** At most {@code perRegistry} requests at a time to each registry host, and shared pauses. */
  public static RegistryLimits of(int perRegistry) {
    if (perRegistry < 1) {
      throw new IllegalArgumentException("the per-registry limit must be at least 1: " + perRegistry);
    }
    return new RegistryLimits(perRegistry);
  }

  /** Shared pauses only: no limit on requests at a time. */
  public static RegistryLimits unlimited() {
    return new RegistryLimits(0);
  }

  /** The most requests in flight to one registry host; 0 when unlimited. */
  public int perRegistry() {
    return perRegistry;
  }

  /** The gate of {@code host} (host and optional port, as in a URI's authority). */
  HostGate gate(String host) {
    return hosts.computeIfAbsent(host.toLowerCase(Locale.ROOT), h -> new HostGate(h, perRegistry));
  }

  @Override
  public String toString() {
    return perRegistry == 0 ? "no per-registry limit" : perRegistry + " requests at a time per registry";
  }
}
