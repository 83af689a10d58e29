package dev.imagepatch.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A layer of everything under a directory (a root filesystem such as debootstrap makes), with
 * owners, modes, symlinks and hard links as the directory has them. Device nodes and sockets are
 * left out: a container runtime provides {@code /dev}. Used to build base images for tests and the
 * demo.
 */
public final class DirectoryLayer {
  private DirectoryLayer() {}

  /** Adds every entry under {@code root} to a new builder; returns it and how many entries were skipped. */
  public static LayerBuilder of(Path root) throws IOException {
    LayerBuilder b = new LayerBuilder();
    Map<Object, String> inodes = new HashMap<>();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.sorted().toList();
    }
    for (Path p : paths) {
      if (p.equals(root)) {
        continue;
      }
      String name = root.relativize(p).toString().replace('\\', '/');
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,ino,dev,nlink",
          LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      long uid = ((Number) a.get("uid")).longValue();
      long gid = ((Number) a.get("gid")).longValue();
      long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
      int perms = mode & 07777;
      switch (mode & 0170000) {
        case 0040000 -> b.directory(name, perms, uid, gid, mtime);
        case 0120000 -> b.symlink(name, Files.readSymbolicLink(p).toString(), uid, gid, mtime);
        case 0100000 -> {
          Object key = List.of(a.get("dev"), a.get("ino"));
          String first = ((Integer) a.get("nlink")) > 1 ? inodes.putIfAbsent(key, name) : null;
          if (first != null) {
            b.hardlink(name, first, perms, uid, gid, mtime);
          } else {
            b.file(name, perms, uid, gid, mtime, Files.size(p), () -> Files.newInputStream(p));
          }
        }
        default -> { } // devices, FIFOs and sockets stay out of images
      }
    }
    return b;
  }
}
