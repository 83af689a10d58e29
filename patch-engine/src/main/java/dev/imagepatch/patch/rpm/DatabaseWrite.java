package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.ContainerManifest;
import dev.imagepatch.pkg.rpmdb.InstalledHeader;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The rpm database as the transaction leaves it, written whole into the layer at its real path and
 * in its own format ({@link RpmDatabase}: SQLite or Berkeley DB), each new version's installed
 * header built as rpm builds it ({@link InstalledHeader}; INSTALLTIME and INSTALLTID the layer's
 * epoch, INSTALLCOLOR the image's), and the Azure Linux container manifests updated in their
 * format. A SQLite database's {@code -wal} and {@code -shm} are never shipped (a lower layer's
 * are whited out, their content being in the database written), nor Berkeley DB's {@code __db.*}
 * environment files (rpm makes them anew).
 */
final class DatabaseWrite {
  private DatabaseWrite() {}

  /** One package's new state: the installed header for a change, or null for a removal. */
  record Entry(RpmChange change, Header installed) {}

  /** The header rpm records for {@code u}'s package, nodocs files marked not installed. */
  static Header installedHeader(RpmLayer.Unpack u, Set<Integer> notInstalled, long epoch, int color)
      throws IOException {
    Header h = InstalledHeader.of(u.pkg(), new InstalledHeader.Install(epoch, epoch, color));
    if (!notInstalled.isEmpty()) {
      int n = h.strings(Tags.BASENAMES).size();
      long[] states = new long[n];
      notInstalled.forEach(i -> states[i] = RpmLayer.STATE_NOT_INSTALLED);
      h = h.with(List.of(new Header.Value(Tags.FILESTATES, Tags.CHAR, states)));
    }
    return h;
  }

  /** The transaction color the image's packages were installed with (INSTALLCOLOR), 0 when none says. */
  static int color(List<InstalledRpm> installed) {
    for (InstalledRpm i : installed) {
      if (i.header() != null && i.header().has(Tags.INSTALLCOLOR)) {
        return (int) i.header().number(Tags.INSTALLCOLOR).getAsLong();
      }
    }
    return 0;
  }

  static void write(PatchLayer out, ImageDatabase where, List<Entry> entries) throws IOException {
    MergedFilesystem fs = out.image();
    if (where.hasDatabase()) {
      Path tmp = where.copyOut(fs);
      Path written = tmp.resolve("written");
      try (RpmDatabase db = RpmDatabase.open(tmp, where.format())) {
        for (Entry e : entries) {
          InstalledRpm from = e.change().from();
          if (e.installed() == null) {
            db.remove(from.hnum());
          } else if (from != null && from.hnum() > 0) {
            db.upgrade(from.hnum(), e.installed());
          } else {
            db.add(e.installed());
          }
        }
        db.write(written);
        int mode = fs.entry(where.mainFile()).map(FsEntry::mode).orElse(0644) & 07777;
        try (Stream<Path> files = Files.list(written)) {
          for (Path f : files.sorted().toList()) {
            String name = f.getFileName().toString();
            if (!Files.isRegularFile(f) || name.startsWith(".")) {
              continue;
            }
            out.bytes(where.dir() + "/" + name, mode, Files.readAllBytes(f));
          }
        }
      } finally {
        ImageDatabase.delete(tmp);
      }
      for (String p : fs.entries().keySet()) {
        if (!p.startsWith(where.dir() + "/") || p.indexOf('/', where.dir().length() + 1) >= 0) {
          continue;
        }
        String name = p.substring(where.dir().length() + 1);
        boolean sqliteSide = where.format() == RpmDatabase.Format.SQLITE
            && ImageDatabase.SQLITE_SIDE_FILES.stream().anyMatch(s -> name.equals(where.format().fileName() + s));
        boolean bdbEnvironment = where.format() == RpmDatabase.Format.BDB && name.matches("__db\\.[0-9]+");
        if (sqliteSide || bdbEnvironment) {
          out.whiteout(p);
        }
      }
    }
    manifests(out, fs, where, entries);
  }

  private static void manifests(PatchLayer out, MergedFilesystem fs, ImageDatabase where, List<Entry> entries)
      throws IOException {
    if (where.manifest2()) {
      byte[] bytes = fs.content(ContainerManifest.MANIFEST_2).orElseThrow(() -> new IOException("/"
          + ContainerManifest.MANIFEST_2 + ": not readable in the image"));
      ContainerManifest m = ContainerManifest.parse(bytes, "/" + ContainerManifest.MANIFEST_2);
      ContainerManifest.EpochColumn style = m.epochColumn();
      for (Entry e : entries) {
        if (e.installed() == null) {
          m = m.remove(e.change().name());
        } else {
          m = m.upsert(ContainerManifest.line(e.installed(), style));
        }
      }
      out.bytes(ContainerManifest.MANIFEST_2, mode(fs, ContainerManifest.MANIFEST_2), m.write2());
      if (where.manifest1()) {
        out.bytes(ContainerManifest.MANIFEST_1, mode(fs, ContainerManifest.MANIFEST_1), m.write1());
      }
    } else if (where.manifest1()) {
      String text = fs.content(ContainerManifest.MANIFEST_1).map(b -> new String(b, StandardCharsets.UTF_8))
          .orElseThrow(() -> new IOException("/" + ContainerManifest.MANIFEST_1 + ": not readable in the image"));
      Map<String, String> lines = new LinkedHashMap<>();
      for (String l : text.split("\n")) {
        if (!l.isBlank()) {
          lines.put(l, l);
        }
      }
      for (Entry e : entries) {
        InstalledRpm from = e.change().from();
        String old = from == null ? null : from.name() + "-" + from.version() + "-" + from.release() + "." + from.arch();
        String now = e.installed() == null ? null : e.change().to().nvra();
        if (old != null && lines.containsKey(old)) {
          lines.put(old, now);
        } else if (now != null) {
          lines.put(now, now);
        }
      }
      List<String> kept = new ArrayList<>();
      lines.values().stream().filter(v -> v != null).forEach(kept::add);
      out.bytes(ContainerManifest.MANIFEST_1, mode(fs, ContainerManifest.MANIFEST_1),
          (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private static int mode(MergedFilesystem fs, String path) {
    Optional<FsEntry> e = fs.entry(path);
    return e.map(x -> x.mode() & 07777).orElse(0644);
  }
}
