package dev.imagepatch.patch.spi;

import java.util.List;

/**
 * A package to bring at least to {@code minimumVersion}, and the vulnerabilities that asks for
 * it (empty for update-all; {@code kept from the earlier patch} for a re-patch).
 */
public record Request(String name, String minimumVersion, List<String> vulnerabilities) {
  public Request {
    vulnerabilities = List.copyOf(vulnerabilities);
  }
}
