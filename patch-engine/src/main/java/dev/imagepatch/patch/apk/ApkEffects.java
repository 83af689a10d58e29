package dev.imagepatch.patch.apk;

import dev.imagepatch.patch.spi.PatchLayer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which of apk's scripts the effects reproduced, as {@code <package> <action>}: what the busybox
 * and ca-certificates scripts do is done in Java ({@link BusyboxApplets},
 * {@link AlpineCaCertificates}); everything else is a script not run.
 */
final class ApkEffects {
  private ApkEffects() {}

  /**
   * The scripts reproduced in {@code layer}, given the new versions' scripts by package. busybox's
   * post-install and post-upgrade count only while they do no more than relink: recent ones also
   * add the klogd user and group, which no effect does.
   */
  static Set<String> reproduced(PatchLayer layer, Map<String, Map<String, byte[]>> scripts) {
    Set<String> out = new HashSet<>();
    if (layer.wasApplied(new BusyboxApplets().name())) {
      out.add(BusyboxApplets.PACKAGE + " trigger");
      for (String action : new String[] {"post-install", "post-upgrade"}) {
        byte[] script = scripts.getOrDefault(BusyboxApplets.PACKAGE, Map.of()).get("." + action);
        String text = script == null ? "" : new String(script, StandardCharsets.UTF_8);
        if (!text.contains("addgroup") && !text.contains("adduser")) {
          out.add(BusyboxApplets.PACKAGE + " " + action);
        }
      }
    }
    if (layer.wasApplied(new AlpineCaCertificates().name())) {
      out.add("ca-certificates trigger");
      out.add("ca-certificates post-install");
      out.add("ca-certificates post-upgrade");
    }
    return out;
  }
}
