package dev.imagepatch.patch.testing;

import dev.imagepatch.testing.Judges;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real rpm tools as judges of an rpm image's files (an image's single layer, or a patch
 * layer): what {@code rpm -qa} reads from its database, and what {@code dnf --installroot upgrade}
 * leaves of it.
 */
public final class RpmJudges {
  private RpmJudges() {}

  /**
   * What the real {@code rpm -qa} says the database at {@code var/lib/rpm} of {@code files} holds
   * (SQLite, or Berkeley DB read with {@code _db_backend bdb_ro}): {@code name-[epoch:]version-release.arch},
   * sorted, {@code gpg-pubkey}s left out.
   */
  public static List<String> rpmQueryAll(Map<String, byte[]> files) throws IOException {
    Judges.require("rpm");
    Path root = Files.createTempDirectory("judge-rpmdb-");
    try {
      Path dir = Files.createDirectories(root.resolve("var/lib/rpm"));
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        String name = f.getKey().startsWith("var/lib/rpm/") ? f.getKey().substring("var/lib/rpm/".length()) : null;
        if (name != null && !name.contains("/") && !name.startsWith(".wh.")) {
          Files.write(dir.resolve(name), f.getValue());
        }
      }
      if (Files.exists(dir.resolve("rpmdb.sqlite"))) {
        return queryAll(root, "sqlite");
      }
      if (Files.exists(dir.resolve("Packages"))) {
        return queryAll(root, "bdb_ro");
      }
      throw new IOException("no rpm database under var/lib/rpm among " + files.keySet());
    } finally {
      FixtureRpmImages.delete(root);
    }
  }

  /**
   * The judge of resolution: the real {@code dnf --installroot R upgrade [names]} (database only,
   * no scripts) on an image whose files are {@code files}; returns what {@code rpm -qa} then lists
   * ({@code name-[epoch:]version-release.arch}, sorted). dnf reads the image's own
   * {@code /etc/yum.repos.d}, its {@code $basearch} is this machine's (see {@link #dnfUpgradeFor}
   * for another architecture's image), and it checks no signatures ({@code --nogpgcheck}: its {@code gpgkey=file://}
   * paths would be read from this machine, and signatures are not what it judges here).
   */
  public static List<String> dnfUpgrade(Map<String, byte[]> files, String releasever, String... names)
      throws IOException {
    return dnfUpgrade(files, releasever, null, names);
  }

  /** The same for an image of {@code arch} (rpm's name; dnf's {@code --forcearch}), null: this machine's. */
  public static List<String> dnfUpgradeFor(String arch, Map<String, byte[]> files, String releasever, String... names)
      throws IOException {
    return dnfUpgrade(files, releasever, arch, names);
  }

  private static List<String> dnfUpgrade(Map<String, byte[]> files, String releasever, String arch, String[] names)
      throws IOException {
    Judges.require("dnf");
    Judges.require("rpm");
    Path work = Files.createTempDirectory("judge-dnf-");
    try {
      Path root = Files.createDirectories(work.resolve("root"));
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path file = root.resolve(f.getKey());
        Files.createDirectories(file.getParent());
        Files.write(file, f.getValue());
      }
      // Debian's rpm keeps its database under $HOME; the image's is where EL9 keeps it.
      Path home = Files.createDirectories(work.resolve("home"));
      Files.writeString(home.resolve(".rpmmacros"), "%_dbpath /var/lib/rpm\n%_db_backend sqlite\n");
      List<String> cmd = new ArrayList<>(List.of("dnf", "--installroot", root.toString(), "--releasever", releasever,
          "-y", "-q", "--nogpgcheck", "--setopt=tsflags=justdb,noscripts,notriggers", "--setopt=install_weak_deps=0",
          "--setopt=cachedir=" + work.resolve("cache"), "upgrade"));
      if (arch != null) {
        cmd.addAll(1, List.of("--forcearch", arch));
      }
      cmd.addAll(List.of(names));
      ProcessBuilder b = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
      b.environment().put("HOME", home.toString());
      Process p = b.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
      return queryAll(root, "sqlite");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      FixtureRpmImages.delete(work);
    }
  }

  private static List<String> queryAll(Path root, String backend) throws IOException {
    List<String> cmd = List.of("rpm", "--root", root.toString(), "--dbpath", "/var/lib/rpm", "--define",
        "_db_backend " + backend, "-qa", "--qf", "%{NAME}-%{EVR}.%{ARCH}\\n");
    String out = new String(FixtureRpmRepository.run(cmd, null), StandardCharsets.UTF_8);
    return out.lines().filter(l -> !l.isBlank() && !l.startsWith("gpg-pubkey-")).sorted().toList();
  }
}
