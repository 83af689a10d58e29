package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.pkg.rpm.repo.RpmFile;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The file lists of a distroless image's packages, which its manifest does not carry: taken from
 * the repositories' {@code filelists} for the very NEVRAs installed (a repository that no longer
 * has a version, or has no filelists, leaves that package unknown, and its stray files stay).
 */
final class ListedFiles {
  private ListedFiles() {}

  static Map<InstalledRpm, List<String>> of(List<InstalledRpm> installed, List<OpenRepository> repos,
      PatchListener listener) {
    Map<String, InstalledRpm> byNevra = new HashMap<>();
    for (InstalledRpm i : installed) {
      if (i.header() == null) {
        byNevra.put(key(i.name(), i.epoch(), i.version(), i.release(), i.arch()), i);
      }
    }
    Map<InstalledRpm, List<String>> out = new HashMap<>();
    if (byNevra.isEmpty()) {
      return out;
    }
    for (OpenRepository r : repos) {
      if (r.repository().repomd().data("filelists").isEmpty()) {
        continue;
      }
      listener.step("reading the file lists of " + r.id() + " (the image has no rpm database)");
      try {
        r.repository().filelists(e -> {
          InstalledRpm i = byNevra.get(key(e.name(), e.epoch(), e.version(), e.release(), e.arch()));
          if (i != null && !out.containsKey(i)) {
            out.put(i, e.files().stream().map(RpmFile::path).toList());
          }
        });
      } catch (IOException e) {
        listener.step("repository " + r.id() + ": file lists unreadable (" + e.getMessage() + "); files the old"
            + " versions alone had are left");
      }
    }
    return out;
  }

  private static String key(String name, String epoch, String version, String release, String arch) {
    String e = epoch == null || epoch.isEmpty() ? "0" : epoch;
    return name + "-" + e + ":" + version + "-" + release + "." + arch;
  }
}
