package dev.imagepatch.patch.testing;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A gzip layer applied over a directory as a container runtime applies it (OCI whiteouts, files,
 * directories, symlinks, hard links, modes and times), so a judge like {@code rpm -V} can run over
 * the image's tree with the patch layer on top.
 */
public final class LayerUnpack {
  private LayerUnpack() {}

  public static void apply(OciLayout layout, Descriptor layer, Path root) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(layout.openBlob(layer)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = e.getName().replaceFirst("^\\./", "").replaceFirst("/$", "");
        Path p = root.resolve(name).normalize();
        if (!p.startsWith(root)) {
          throw new IOException(name + ": outside the root");
        }
        String base = p.getFileName().toString();
        if (base.equals(".wh..wh..opq")) {
          FixtureRpmImages.delete(p.getParent());
          Files.createDirectories(p.getParent());
          continue;
        }
        if (base.startsWith(".wh.")) {
          FixtureRpmImages.delete(p.resolveSibling(base.substring(4)));
          continue;
        }
        if (e.isDirectory()) {
          if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            FixtureRpmImages.delete(p);
            Files.createDirectories(p);
          }
        } else {
          Files.createDirectories(p.getParent());
          FixtureRpmImages.delete(p);
          if (e.isSymbolicLink()) {
            Files.createSymbolicLink(p, Path.of(e.getLinkName()));
            continue;
          } else if (e.isLink()) {
            Files.createLink(p, root.resolve(e.getLinkName().replaceFirst("^/", "")));
            continue;
          } else {
            Files.copy(tar, p);
          }
        }
        Files.setPosixFilePermissions(p, permissions(e.getMode()));
        Files.setLastModifiedTime(p, FileTime.fromMillis(e.getModTime().getTime()));
      }
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        out.add(order[i]);
      }
    }
    return out;
  }
}
