package dev.imagepatch.patch.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.DpkgDatabase;
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
 * The same upgrade done twice over one small image whose administrator diverted
 * {@code /bin/hostname} and overrode a file's owner and mode with dpkg's own tools: once by
 * {@code dpkg --root -i} with the real hostname .deb, once by the patch layer. The two trees must
 * be equal entry by entry (type, mode, owner, link target, content), the status file and the
 * package's info files included.
 */
class DpkgUnpackTest {
  @TempDir
  Path tmp;

  @Test
  void layerEqualsDpkgWithDiversionsAndStatOverrides() throws Exception {
    Path image = Files.createDirectories(tmp.resolve("image"));
    write(image, "var/lib/dpkg/status", """
        Package: hostname
        Essential: yes
        Status: install ok installed
        Priority: required
        Section: admin
        Installed-Size: 46
        Maintainer: Michael Meskes <meskes@debian.org>
        Architecture: amd64
        Version: 3.23
        Description: utility to set/show the host name or domain name
         Old.

        """);
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
    Path dpkgRoot = tmp.resolve("dpkg");
    Commands.runText("cp", "-a", image.toString(), dpkgRoot.toString());
    // hostname has no maintainer scripts, so dpkg needs no chroot; libc6 is not in this database.
    Commands.runText("dpkg", "--root=" + dpkgRoot, "--force-depends", "--force-not-root", "-i", deb.toString());

    Map<String, String> reference = scan(dpkgRoot);
    Map<String, String> ours = patched(image, deb);
    assertEquals(reference, ours);
    // Not vacuous: the diversion and the override of the package's path took effect in the reference.
    assertEquals("file 4711 0:50 " + sha256(DebArchive.open(deb), "./bin/hostname"), reference.get("bin/hostname.distrib"));
    assertEquals("file 644 0:0 " + sha256(Files.readAllBytes(image.resolve("bin/hostname"))), reference.get("bin/hostname"));
    assertEquals("file 750 0:50", reference.get("usr/share/doc/hostname/copyright").substring(0, 13));
  }

  /** What dpkg leaves behind that is its own bookkeeping of one run, and what apt adds on top. */
  private static boolean runState(String path) {
    return path.equals("var/lib/dpkg/lock") || path.equals("var/lib/dpkg/lock-frontend")
        || path.startsWith("var/lib/dpkg/triggers") || path.equals("var/lib/dpkg/info/format")
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
  private Map<String, String> patched(Path image, Path deb) throws Exception {
    Path base = tmp.resolve("base.tar");
    DirectoryLayer.of(image).write(base, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), DebianBackend.KEEP,
        DebianBackend.HASH, PythonByteCode::isByteCode, Files.createDirectories(tmp.resolve("spool")),
        DebianBackend.SONAMES);
    DpkgDatabase db = DpkgDatabase.ofStatus(new String(fs.content("var/lib/dpkg/status").orElseThrow(),
        StandardCharsets.UTF_8), "status");
    DebianLayer layer = new DebianLayer(fs, db, "amd64", Files.createDirectories(tmp.resolve("staging")),
        1_700_000_000L, Long.MAX_VALUE);
    layer.addAll(List.of(new DebianLayer.Change(db.find("hostname", "amd64").orElseThrow(), DebArchive.open(deb))));
    Path tar = tmp.resolve("layer.tar");
    layer.builder().write(tar, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem merged = MergedFilesystem.read(
        List.of(() -> Files.newInputStream(base), () -> Files.newInputStream(tar)), p -> true, p -> false);
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
