package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.deb.ControlFile;
import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The packages of one or more repository indexes, by name. Several suites merge into one index,
 * so the resolver sees every candidate at once, as apt does.
 */
public final class PackageIndex {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PackageIndex.class);
  private final Map<String, List<PackageRecord>> byName = new HashMap<>();
  private final Map<String, List<PackageRecord>> byProvides = new HashMap<>();

  /** Streams a Packages file into the index. */
  public void read(InputStream packages, String repository, String origin) throws IOException {
    try {
      ControlFile.read(packages, origin, p -> {
        PackageRecord record;
        try {
          record = PackageRecord.of(p, repository, origin);
        } catch (IOException e) {
          // As apt: a record it cannot use is passed over, not the whole index; nothing can resolve to it.
          LOG.warn("{}: record passed over: {}", origin, e.getMessage());
          return;
        }
        try {
          add(record);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  public void add(PackageRecord r) throws IOException {
    byName.computeIfAbsent(r.name(), k -> new ArrayList<>(2)).add(r);
    if (r.provides() != null) {
      for (Dependency d : r.provided()) {
        byProvides.computeIfAbsent(d.name(), k -> new ArrayList<>(2)).add(r);
      }
    }
  }

  /** Every record of a name, any architecture, any version. */
  public List<PackageRecord> named(String name) {
    return byName.getOrDefault(name, List.of());
  }

  /** Records that Provide {@code name}. */
  public List<PackageRecord> providers(String name) {
    return byProvides.getOrDefault(name, List.of());
  }

  /** The highest version of {@code name} for {@code architecture} (or "all"), if any. */
  public java.util.Optional<PackageRecord> best(String name, String architecture) {
    PackageRecord best = null;
    for (PackageRecord r : named(name)) {
      if (!r.architecture().equals(architecture) && !r.architecture().equals("all")) {
        continue;
      }
      if (best == null || DebianVersion.ORDER.compare(r.version(), best.version()) > 0) {
        best = r;
      }
    }
    return java.util.Optional.ofNullable(best);
  }

  public int size() {
    return byName.values().stream().mapToInt(Collection::size).sum();
  }
}
