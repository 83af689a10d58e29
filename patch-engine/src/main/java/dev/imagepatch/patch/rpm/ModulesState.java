package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The image's module state as dnf keeps it in {@code /etc/dnf/modules.d/<module>.module}
 * ({@code [name] name= stream= profiles= state=enabled|disabled}): the streams it enabled and the
 * modules it disabled. A module with no file follows its default stream, which the repositories'
 * modules.yaml gives.
 */
record ModulesState(Map<String, String> enabled, Set<String> disabled) {
  static final String DIR = "etc/dnf/modules.d";

  static ModulesState of(MergedFilesystem image) throws PatchException {
    Map<String, String> enabled = new LinkedHashMap<>();
    Set<String> disabled = new LinkedHashSet<>();
    for (Map.Entry<String, byte[]> f : image.contentsUnder(DIR).entrySet()) {
      if (!f.getKey().endsWith(".module")) {
        continue;
      }
      String source = "/" + DIR + "/" + f.getKey();
      try {
        for (YumRepoFile.Section s : YumRepoFile.parse(new String(f.getValue(), StandardCharsets.UTF_8), source)) {
          String name = s.get("name") != null && !s.get("name").isBlank() ? s.get("name").strip() : s.id();
          String state = s.get("state") == null ? "" : s.get("state").strip().toLowerCase(java.util.Locale.ROOT);
          String stream = s.get("stream") == null ? "" : s.get("stream").strip();
          switch (state) {
            case "enabled", "installed" -> {
              if (!stream.isEmpty()) {
                enabled.put(name, stream);
              }
            }
            case "disabled" -> disabled.add(name);
            default -> { }
          }
        }
      } catch (IllegalArgumentException e) {
        throw new PatchException(e.getMessage());
      }
    }
    return new ModulesState(enabled, disabled);
  }
}
