package dev.imagepatch.patch.image;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.patch.spi.Installed;
import dev.imagepatch.patch.spi.Request;
import dev.imagepatch.pkg.VersionOrder;
import java.util.List;
import java.util.Map;

/**
 * Re-patching: an image imagepatch made names its base in the top layer's history comment, so a
 * second patch replaces that layer instead of stacking another, keeps what it installed, and is
 * not made at all when it already holds everything asked for.
 */
final class Repatch {
  /**
   * The history comment of a patch layer; it names the base image. Config and manifest otherwise
   * stay as they were, so this is where a second patch learns to replace the first.
   */
  static final String HISTORY_MARK = "imagepatch patch layer of ";

  private Repatch() {}

  /** The image was made by imagepatch when the history entry of its top layer is a patch layer's. */
  static boolean isOurPatch(Manifest manifest, ImageConfig config) throws java.io.IOException {
    return !basedOn(config).isEmpty() && manifest.layers().size() == config.diffIds().size();
  }

  /** The base image a patch layer names, or "" when the top layer is no patch layer. */
  static String basedOn(ImageConfig config) {
    List<ObjectNode> history = config.history();
    for (int i = history.size() - 1; i >= 0; i--) {
      if (!history.get(i).path("empty_layer").asBoolean(false)) {
        String comment = history.get(i).path("comment").asText("");
        return comment.startsWith(HISTORY_MARK) ? comment.substring(HISTORY_MARK.length()) : "";
      }
    }
    return "";
  }

  /** Whether the earlier patch installed every request at or above its version: nothing new to fix. */
  static boolean holdsAll(List<Request> requests, List<Installed> withEarlierPatch, VersionOrder order) {
    for (Request r : requests) {
      boolean held = withEarlierPatch.stream().anyMatch(p -> p.name().equals(r.name())
          && order.compare(p.version(), r.minimumVersion()) >= 0);
      if (!held) {
        return false;
      }
    }
    return true;
  }

  /** Packages the earlier patch upgraded stay at least at those versions when it is replaced. */
  static void keepEarlier(List<Installed> base, List<Installed> withEarlierPatch, Map<String, Request> requests,
      VersionOrder order) {
    for (Installed p : withEarlierPatch) {
      // The base's package of that name: of the same architecture, else any (an upgrade may move to "all").
      Installed was = base.stream().filter(b -> b.name().equals(p.name()) && b.architecture().equals(p.architecture()))
          .findFirst().orElseGet(() -> base.stream().filter(b -> b.name().equals(p.name())).findFirst().orElse(null));
      if (was != null && order.compare(p.version(), was.version()) > 0) {
        Request have = requests.get(p.name());
        if (have == null || order.compare(p.version(), have.minimumVersion()) > 0) {
          requests.put(p.name(), new Request(p.name(), p.version(),
              have == null ? List.of("kept from the earlier patch") : have.vulnerabilities()));
        }
      }
    }
  }
}
