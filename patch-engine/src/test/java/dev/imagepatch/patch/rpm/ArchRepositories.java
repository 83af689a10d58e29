package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.PackageManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Repositories laid out as the distributions' mirrors are, one directory per architecture
 * ({@code <repo>/x86_64/} with the i686 multilib packages, {@code <repo>/aarch64/}, noarch packages
 * in each), so that one
 * {@code .repo} line with dnf's {@code $basearch} serves an image of either; and packages whose one
 * file says which package, version and architecture they are, so a child patched from the wrong
 * architecture's repository shows.
 */
final class ArchRepositories {
  static final List<String> ARCHES = List.of("x86_64", "aarch64");
  static final String KEY_IN_IMAGE = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fixture";

  private ArchRepositories() {}

  /** {@code name} at {@code evr} ({@code [epoch:]version-release}) for {@code arch}, with /usr/share/name/name.txt. */
  static RpmSpec pkg(String name, String evr, String arch) {
    String epoch = evr.contains(":") ? evr.substring(0, evr.indexOf(':')) : null;
    String vr = evr.substring(evr.indexOf(':') + 1);
    RpmSpec p = RpmSpec.rpm(name, vr.substring(0, vr.lastIndexOf('-')), vr.substring(vr.lastIndexOf('-') + 1))
        .arch(arch).file(file(name), text(name, evr, arch));
    return epoch == null ? p : p.epoch(epoch);
  }

  static String file(String name) {
    return "/usr/share/" + name + "/" + name + ".txt";
  }

  static String text(String name, String evr, String arch) {
    return name + " " + evr + " " + arch + "\n";
  }

  /** rpm's name for an OCI architecture ({@code amd64} is {@code x86_64}). */
  static String rpmArch(String goArch) {
    return Architecture.of(goArch, "").nameFor(PackageManager.RPM).orElseThrow();
  }

  /** Publishes {@code repo}: each architecture's directory with its packages and the noarch ones. */
  static void publish(FixtureRpmRepository server, String repo, RpmSpec... packages) throws IOException {
    Map<String, List<RpmSpec>> byArch = new LinkedHashMap<>();
    for (RpmSpec p : packages) {
      for (String a : ARCHES) {
        // i686 packages are served with x86_64's, for multilib, as RHEL's repositories do.
        if (p.arch().equals(a) || p.arch().equals("noarch") || (p.arch().equals("i686") && a.equals("x86_64"))) {
          byArch.computeIfAbsent(a, k -> new ArrayList<>()).add(p);
        }
      }
    }
    for (Map.Entry<String, List<RpmSpec>> e : byArch.entrySet()) {
      server.publish(repo + "/" + e.getKey(), e.getValue().toArray(RpmSpec[]::new));
    }
  }

  /**
   * A {@code .repo} section per repository ({@code [fixture-<repo>]}), {@code baseurl} ending in
   * {@code $basearch}, packages and repomd.xml checked against {@code gpgkey}; a priority where given.
   */
  static String repoFile(FixtureRpmRepository server, String gpgkey, Map<String, Integer> priorities, String... repos) {
    StringBuilder s = new StringBuilder();
    for (String r : repos) {
      s.append("[fixture-").append(r).append("]\nname=Fixture ").append(r).append(" $releasever - $basearch\nbaseurl=")
          .append(server.url(r)).append("/$basearch/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=").append(gpgkey)
          .append('\n');
      if (priorities.containsKey(r)) {
        s.append("priority=").append(priorities.get(r)).append('\n');
      }
      s.append('\n');
    }
    return s.toString();
  }

  static String repoFile(FixtureRpmRepository server, String... repos) {
    return repoFile(server, KEY_IN_IMAGE, Map.of(), repos);
  }
}
