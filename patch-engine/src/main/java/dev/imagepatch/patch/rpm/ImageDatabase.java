package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.pkg.rpmdb.ContainerManifest;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where an image keeps its rpm database and in which format: {@code usr/lib/sysimage/rpm} or
 * {@code var/lib/rpm} (through the image's symlinks, so the real directory is the one written),
 * holding {@code rpmdb.sqlite}, {@code Packages} (Berkeley DB) or {@code Packages.db} (NDB); and the
 * Azure Linux distroless manifests. The database's files are read from the image's kept contents
 * into a private directory to be opened with {@link RpmDatabase}.
 *
 * @param dir the database's real directory; null for a manifest-only image
 */
record ImageDatabase(String dir, RpmDatabase.Format format, boolean manifest1, boolean manifest2) {
  static final List<String> DIRS = List.of("usr/lib/sysimage/rpm", "var/lib/rpm");
  /** The SQLite database's companions: read with it, never shipped in a layer. */
  static final List<String> SQLITE_SIDE_FILES = List.of("-wal", "-shm");

  /** Whether the backend keeps the content of an image path: a database file, a manifest. */
  static boolean reads(String path) {
    for (String dir : DIRS) {
      if (path.startsWith(dir + "/")) {
        String name = path.substring(dir.length() + 1);
        return name.equals("rpmdb.sqlite") || name.equals("rpmdb.sqlite-wal") || name.equals("Packages")
            || name.equals("Packages.db");
      }
    }
    return path.equals(ContainerManifest.MANIFEST_1) || path.equals(ContainerManifest.MANIFEST_2);
  }

  /** The image's database, if it has one (or a manifest); refuses a directory with two formats. */
  static Optional<ImageDatabase> find(MergedFilesystem image) throws PatchException {
    boolean m1 = image.entry(ContainerManifest.MANIFEST_1).filter(e -> e.type() == FsEntry.Type.FILE).isPresent();
    boolean m2 = image.entry(ContainerManifest.MANIFEST_2).filter(e -> e.type() == FsEntry.Type.FILE).isPresent();
    for (String dir : DIRS) {
      List<RpmDatabase.Format> found = new ArrayList<>();
      String real = null;
      for (RpmDatabase.Format f : RpmDatabase.Format.values()) {
        Optional<String> p = image.resolve(dir + "/" + f.fileName());
        if (p.isPresent() && image.entry(p.get()).filter(e -> e.type() == FsEntry.Type.FILE).isPresent()) {
          found.add(f);
          real = FsEntry.parent(p.get());
        }
      }
      if (found.size() > 1) {
        throw new PatchException("/" + dir + " holds the files of more than one rpm database format " + found
            + "; which one rpm uses depends on the image's _db_backend, and imagepatch does not guess");
      }
      if (found.size() == 1) {
        return Optional.of(new ImageDatabase(real, found.get(0), m1, m2));
      }
    }
    return m1 || m2 ? Optional.of(new ImageDatabase(null, null, m1, m2)) : Optional.empty();
  }

  /** Whether a database holds what is installed (else only the manifests do). */
  boolean hasDatabase() {
    return dir != null;
  }

  String mainFile() {
    return dir + "/" + format.fileName();
  }

  /**
   * The installed packages, read from {@code image}'s kept database files (the patch layer's, for a
   * re-patch) in a private directory that is gone when this returns.
   */
  List<RpmDatabase.Installed> read(MergedFilesystem image, String what) throws PatchException {
    Path tmp = null;
    try {
      tmp = copyOut(image);
      try (RpmDatabase db = RpmDatabase.open(tmp, format)) {
        return db.packages();
      }
    } catch (IOException e) {
      throw new PatchException(what + ": " + e.getMessage());
    } finally {
      delete(tmp);
    }
  }

  /** The database's files copied into a new private directory (the caller deletes it). */
  Path copyOut(MergedFilesystem image) throws IOException {
    Path tmp = Files.createTempDirectory("imagepatch-rpmdb-");
    byte[] main = image.content(mainFile()).orElseThrow(() -> new IOException("/" + mainFile()
        + ": not readable in the image"));
    Files.write(tmp.resolve(format.fileName()), main);
    if (format == RpmDatabase.Format.SQLITE) {
      // A WAL not yet checkpointed holds committed transactions: rpm reads them, and so do we.
      Optional<byte[]> wal = image.content(mainFile() + "-wal");
      if (wal.isPresent()) {
        Files.write(tmp.resolve(format.fileName() + "-wal"), wal.get());
      }
    }
    return tmp;
  }

  static void delete(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // a temporary directory left behind is not worth failing for
    }
  }
}
