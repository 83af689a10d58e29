package dev.imagepatch.patch.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.pkg.deb.DebArchive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each upgrade done twice over the same small image: once by {@code dpkg --root -i}, once by the
 * patch layer; the two trees must be equal entry by entry (type, mode, owner, link target,
 * content), the status file, the info files and the trigger registry included. The cases: the
 * real hostname .deb under a diversion and stat overrides made by dpkg's own tools, and packages
 * built by dpkg-deb for conffiles a new version drops or asks to remove and for triggers.
 */
class DpkgUnpackTest {
  @TempDir
  Path tmp;

  @Test
  void layerEqualsDpkgWithDiversionsAndStatOverrides() throws Exception {
    Path image = Files.createDirectories(tmp.resolve("image"));
    write(image, "var/lib/dpkg/status", DebianLayerTest.HOSTNAME_3_23);
    write(image, "var/lib/dpkg/info/hostname.list", "/.\n/bin\n/bin/hostname\n/bin/hostname-old\n");
    write(image, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    write(image, "etc/group", "root:x:0:\nstaff:x:50:\n");
    write(image, "bin/hostname", "the administrator's own hostname\n");
    write(image, "bin/hostname.distrib", "the old packaged hostname\n");
    write(image, "bin/hostname-old", "gone in the new version\n");
    Files.createDirectories(image.resolve("var/lib/dpkg/updates"));
    Files.createDirectories(image.resolve("usr/share/doc"));
    // The administrator's edits, written by dpkg's own tools so their files are in dpkg's format.
    Commands.runText("dpkg-divert", "--root=" + image, "--package", "local-tools", "--no-rename",
        "--divert", "/bin/hostname.distrib", "--add", "/bin/hostname");
    Commands.runText("dpkg-statoverride", "--root=" + image, "--add", "root", "staff", "0750",
        "/usr/share/doc/hostname/copyright");
    // dpkg looks overrides up by the package's path, before the diversion: the first applies, the second not.
    Commands.runText("dpkg-statoverride", "--root=" + image, "--add", "root", "staff", "4711", "/bin/hostname");
    Commands.runText("dpkg-statoverride", "--root=" + image, "--add", "root", "root", "0700", "/bin/hostname.distrib");

    Path deb = tmp.resolve("hostname_3.23+nmu1_amd64.deb");
    try (InputStream in = getClass().getResourceAsStream("/debian/" + deb.getFileName())) {
      Files.copy(in, deb);
    }
    Map<String, String> reference = sameAsDpkg(image, deb);
    // Not vacuous: the diversion and the override of the package's path took effect in the reference.
    assertEquals("file 4711 0:50 " + sha256(DebArchive.open(deb), "./bin/hostname"), reference.get("bin/hostname.distrib"));
    assertEquals("file 644 0:0 " + sha256(Files.readAllBytes(image.resolve("bin/hostname"))), reference.get("bin/hostname"));
    assertEquals("file 750 0:50", reference.get("usr/share/doc/hostname/copyright").substring(0, 13));
  }

  @Test
  void conffilesTheNewVersionDropsStayAsObsolete() throws Exception {
    Path image = emptyImage();
    // Version 1 installed by dpkg itself; its conffiles in an order that is not the file list's.
    Commands.runText("dpkg", "--root=" + image, "-i", build("1", "q.conf", "a.conf", "z.conf", "m.conf", "b.conf")
        .toString());
    Files.writeString(image.resolve("etc/q.conf"), "the administrator's\n");
    Files.delete(image.resolve("etc/z.conf"));
    Map<String, String> reference = sameAsDpkg(image, build("2", "m.conf", "n.conf"));

    String status = Files.readString(tmp.resolve("dpkg/var/lib/dpkg/status"));
    assertTrue(status.contains(" /etc/q.conf " + md5("q.conf 1\n") + " obsolete\n /etc/b.conf "), status);
    assertFalse(status.contains("z.conf"), "a deleted obsolete conffile is forgotten");
    assertEquals("file 644 0:0 " + sha256("the administrator's\n".getBytes(StandardCharsets.UTF_8)),
        reference.get("etc/q.conf"));
  }

  @Test
  void conffilesTheNewVersionAsksToRemoveGoOrAreKeptAside() throws Exception {
    Path image = emptyImage();
    Commands.runText("dpkg", "--root=" + image, "-i", build("1", "a.conf", "b.conf", "c.conf").toString());
    Files.writeString(image.resolve("etc/c.conf"), "the administrator's\n");
    Files.writeString(image.resolve("etc/x.conf"), "never the package's\n");
    Map<String, String> reference = sameAsDpkg(image, build("2", "a.conf", "remove-on-upgrade /etc/b.conf",
        "remove-on-upgrade /etc/c.conf", "remove-on-upgrade /etc/x.conf"));

    assertFalse(reference.containsKey("etc/b.conf"), "unchanged: removed");
    assertEquals("file 644 0:0 " + sha256("the administrator's\n".getBytes(StandardCharsets.UTF_8)),
        reference.get("etc/c.conf.dpkg-old"));
    assertTrue(reference.containsKey("etc/x.conf.dpkg-old"), "not recorded as shipped: kept aside");
    String status = Files.readString(tmp.resolve("dpkg/var/lib/dpkg/status"));
    assertTrue(status.contains(" /etc/x.conf newconffile remove-on-upgrade\n"), status);
  }

  @Test
  void triggersNobodyProcessedAreRecordedAsDpkgRecordsThem() throws Exception {
    Path image = emptyImage();
    Path watcher = pack("watcher", "1", Map.of("triggers", "interest /usr/share/watched\n"
        + "interest-noawait /usr/share/quiet\n", "postinst", "#!/bin/sh\nexit 0\n"), Map.of());
    // The trivial postinst runs outside the root: it does nothing.
    Commands.runText("dpkg", "--root=" + image, "--force-script-chrootless", "-i", watcher.toString(),
        pack("demo", "1", Map.of(), Map.of("usr/share/watched/f1", "1", "usr/share/quiet/q1", "1")).toString());
    // What dpkg leaves when the interested package's trigger has not run yet: its --no-triggers.
    sameAsDpkg(image, pack("demo", "2", Map.of(), Map.of("usr/share/watched/f2", "2", "usr/share/quiet/q2", "2")),
        "--no-triggers");

    String status = Files.readString(tmp.resolve("dpkg/var/lib/dpkg/status"));
    assertTrue(status.contains("Status: install ok triggers-awaited\n"), status);
    assertTrue(status.contains("Triggers-Awaited: watcher\n"), status);
    assertTrue(status.contains("Triggers-Pending: /usr/share/watched /usr/share/quiet\n"), status);
  }

  @Test
  void interestsOfAnUpgradedPackageAreRegisteredAgainAsDpkgDoes() throws Exception {
    Path image = emptyImage();
    String postinst = "#!/bin/sh\nexit 0\n";
    Commands.runText("dpkg", "--root=" + image, "--force-script-chrootless", "-i",
        pack("watcher", "1", Map.of("postinst", postinst, "triggers", "interest /usr/share/watched\n"
            + "interest-noawait /usr/share/quiet\ninterest-noawait named-one\ninterest-noawait gone\n"), Map.of())
            .toString(),
        pack("other", "1", Map.of("postinst", postinst, "triggers", "interest /usr/share/other\n"
            + "interest-noawait named-one\n"), Map.of()).toString());
    // Unchanged, added, dropped and await-changed interests; the postinst runs outside the root, doing nothing.
    sameAsDpkg(image, pack("watcher", "2", Map.of("postinst", postinst, "triggers", "interest /usr/share/watched\n"
        + "interest-noawait /usr/share/aaa\ninterest named-one\ninterest named-two\n"), Map.of()),
        "--force-script-chrootless");

    Path registry = tmp.resolve("dpkg/var/lib/dpkg/triggers");
    assertEquals("/usr/share/other other\n/usr/share/watched watcher\n/usr/share/aaa watcher/noawait\n",
        Files.readString(registry.resolve("File")));
    assertEquals("other/noawait\nwatcher\n", Files.readString(registry.resolve("named-one")));
    assertFalse(Files.exists(registry.resolve("gone")));
  }

  /** An image with an empty dpkg database, for dpkg itself to install the old versions into. */
  private Path emptyImage() throws IOException {
    Path image = Files.createDirectories(tmp.resolve("image"));
    for (String dir : List.of("info", "updates")) {
      Files.createDirectories(image.resolve("var/lib/dpkg").resolve(dir));
    }
    Files.writeString(image.resolve("var/lib/dpkg/status"), "");
    return image;
  }

  /**
   * A package "demo" built by dpkg-deb with the named conffiles in /etc, in that order; an entry
   * "remove-on-upgrade /etc/NAME" is written to the conffiles member as it is, with no file.
   */
  private Path build(String version, String... conffiles) throws Exception {
    StringBuilder list = new StringBuilder();
    Map<String, String> files = new TreeMap<>();
    for (String name : conffiles) {
      list.append(name.startsWith("remove-on-upgrade ") ? name : "/etc/" + name).append('\n');
      if (!name.startsWith("remove-on-upgrade ")) {
        files.put("etc/" + name, name + " " + version + "\n");
      }
    }
    files.put("usr/share/demo/data" + version, version);
    return pack("demo", version, Map.of("conffiles", list.toString()), files);
  }

  /** A package built by dpkg-deb: control members besides control (scripts executable), and files. */
  private Path pack(String name, String version, Map<String, String> members, Map<String, String> files)
      throws Exception {
    Path dir = tmp.resolve(name + version);
    Files.createDirectories(dir.resolve("DEBIAN"));
    Files.writeString(dir.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: " + version
        + "\nArchitecture: all\nMaintainer: imagepatch tests <tests@imagepatch.invalid>\nDescription: " + name + "\n");
    for (Map.Entry<String, String> m : members.entrySet()) {
      Path member = dir.resolve("DEBIAN").resolve(m.getKey());
      Files.writeString(member, m.getValue());
      if (m.getValue().startsWith("#!")) {
        Files.setPosixFilePermissions(member, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    for (Map.Entry<String, String> f : files.entrySet()) {
      write(dir, f.getKey(), f.getValue());
    }
    Path deb = tmp.resolve(name + "_" + version + "_all.deb");
    Commands.runText("dpkg-deb", "--root-owner-group", "-b", dir.toString(), deb.toString());
    return deb;
  }

  /**
   * Upgrades a copy of the image with {@code dpkg -i} (old conffiles kept, as apt's
   * {@code --force-confold} does), asserts the patch layer over the image gives the same tree, and
   * returns that tree.
   */
  private Map<String, String> sameAsDpkg(Path image, Path deb, String... options) throws Exception {
    Path dpkgRoot = tmp.resolve("dpkg");
    Commands.runText("cp", "-a", image.toString(), dpkgRoot.toString());
    // The packages here have no maintainer scripts, so dpkg needs no chroot; libc6 is not in these databases.
    List<String> command = new java.util.ArrayList<>(List.of("dpkg", "--root=" + dpkgRoot, "--force-depends",
        "--force-confold"));
    command.addAll(List.of(options));
    command.addAll(List.of("-i", deb.toString()));
    Commands.runText(command.toArray(String[]::new));
    MergedFilesystem ours = LayerRun.of(image, deb, tmp).merged();
    // The status file first, for a readable failure.
    assertEquals(Files.readString(dpkgRoot.resolve("var/lib/dpkg/status")),
        new String(ours.content("var/lib/dpkg/status").orElseThrow(), StandardCharsets.UTF_8));
    Map<String, String> reference = scan(dpkgRoot);
    assertEquals(reference, describe(ours));
    return reference;
  }

  private static String md5(String content) throws Exception {
    return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
        .digest(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** What dpkg leaves behind that is its own bookkeeping of one run, and what apt adds on top. */
  private static boolean runState(String path) {
    return path.equals("var/lib/dpkg/lock") || path.equals("var/lib/dpkg/lock-frontend")
        || path.equals("var/lib/dpkg/triggers") || path.equals("var/lib/dpkg/triggers/Lock")
        || path.equals("var/lib/dpkg/triggers/Unincorp")
        || path.equals("var/lib/dpkg/info/format")
        // status-old is what dpkg had before its last run: apt's split calls, asserted in DebianLayerTest.
        || path.equals("var/lib/dpkg/status-old") || path.startsWith("var/lib/apt");
  }

  private static Map<String, String> scan(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        String rel = root.relativize(p).toString();
        if (rel.isEmpty() || runState(rel)) {
          continue;
        }
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String owner = " " + Integer.toOctalString(mode & 07777) + " " + a.get("uid") + ":" + a.get("gid");
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link" + " -> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir" + owner);
        } else {
          out.put(rel, "file" + owner + " " + sha256(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  /** The image with the patch layer on top, described as {@link #scan} describes a directory. */
  private static Map<String, String> describe(MergedFilesystem merged) {
    Map<String, String> out = new TreeMap<>();
    for (FsEntry e : merged.entries().values()) {
      if (e.path().isEmpty() || runState(e.path())) {
        continue;
      }
      String owner = " " + Integer.toOctalString(e.mode() & 07777) + " " + e.uid() + ":" + e.gid();
      out.put(e.path(), switch (e.type()) {
        case SYMLINK -> "link -> " + e.linkTarget();
        case DIRECTORY -> "dir" + owner;
        case FILE -> "file" + owner + " " + sha256(merged.content(e.path()).orElseThrow());
        default -> e.type() + owner;
      });
    }
    return out;
  }

  private static String sha256(DebArchive deb, String member) throws IOException {
    String[] found = new String[1];
    deb.readData((entry, content) -> {
      if (entry.getName().equals(member)) {
        found[0] = sha256(content.readAllBytes());
      }
    });
    return found[0];
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void write(Path root, String path, String content) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }
}
