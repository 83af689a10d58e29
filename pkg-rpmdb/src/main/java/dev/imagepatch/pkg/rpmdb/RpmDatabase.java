package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpmdb.bdb.BdbReader;
import dev.imagepatch.pkg.rpmdb.bdb.BdbWriter;
import dev.imagepatch.pkg.rpmdb.bdb.RpmBdb;
import dev.imagepatch.pkg.rpmdb.ndb.NdbPackages;
import dev.imagepatch.pkg.rpmdb.ndb.NdbWriteRefusedException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An image's rpm database, whatever its format: the one entry point a backend uses to read the
 * installed headers and (SQLite, Berkeley DB) write the database back with packages added,
 * upgraded or removed. The source directory (e.g. an unpacked image's {@code var/lib/rpm}) is
 * never changed: edits go to a private working state, and {@link #write(Path)} writes the whole
 * database into a directory.
 *
 * <ul>
 *   <li>{@link Format#SQLITE} {@code rpmdb.sqlite}: edited through {@link SqliteRpmdb} on a private
 *       copy; header numbers from SQLite's AUTOINCREMENT, as rpm's sqlite backend.</li>
 *   <li>{@link Format#BDB} {@code Packages} (+ index files): the headers read with {@link RpmBdb};
 *       a new header takes the number after key 0 of {@code Packages} (rpm's instance counter,
 *       {@code pkgdbNew}), which is written back; every index file is written from the headers.</li>
 *   <li>{@link Format#NDB} {@code Packages.db}: read only; every change throws
 *       {@link NdbWriteRefusedException}.</li>
 * </ul>
 *
 * <p>Indexes are the same in both writable formats: {@link RpmIndexes} computes every entry (the
 * SQLite tables and the Berkeley DB files hold the same (key, header number, index) entries).
 * Not thread-safe.
 */
public interface RpmDatabase extends Closeable {
  /** The three formats rpm 4.16+ knows. */
  enum Format {
    /** {@code rpmdb.sqlite}. */
    SQLITE(SqliteRpmdb.FILE_NAME),
    /** {@code Packages}, a Berkeley DB hash file, with Berkeley DB btree index files. */
    BDB(RpmBdb.PACKAGES),
    /** {@code Packages.db}. */
    NDB(NdbPackages.FILE_NAME);

    private final String fileName;

    Format(String fileName) {
      this.fileName = fileName;
    }

    /** The file in the database directory that identifies the format. */
    public String fileName() {
      return fileName;
    }
  }

  /** An installed package: its header number and installed header. */
  record Installed(long hnum, Header header) {}

  /**
   * Opens the database in {@code dir}, its format detected from the file present
   * ({@code rpmdb.sqlite}, {@code Packages}, {@code Packages.db}). A directory holding the files of
   * more than one format is refused (which one rpm uses depends on the image's
   * {@code _db_backend} macro): open it with {@link #open(Path, Format)}.
   */
  static RpmDatabase open(Path dir) throws IOException {
    List<Format> found = new ArrayList<>();
    for (Format f : Format.values()) {
      if (Files.isRegularFile(dir.resolve(f.fileName()))) {
        found.add(f);
      }
    }
    if (found.isEmpty()) {
      throw new IOException(dir + ": no rpm database (none of rpmdb.sqlite, Packages, Packages.db)");
    }
    if (found.size() > 1) {
      throw new IOException(dir + ": holds the files of more than one rpm database format " + found
          + "; the image's _db_backend decides which rpm uses: open it with that format");
    }
    return open(dir, found.get(0));
  }

  /** Opens the database of {@code format} in {@code dir}. */
  static RpmDatabase open(Path dir, Format format) throws IOException {
    return switch (format) {
      case SQLITE -> RpmDatabases.Sqlite.open(dir);
      case BDB -> RpmDatabases.Bdb.open(dir);
      case NDB -> RpmDatabases.Ndb.open(dir);
    };
  }

  /** The format. */
  Format format();

  /** Every installed package (the current state, edits included), in header-number order. */
  List<Installed> packages() throws IOException;

  /** Adds an installed header ({@link InstalledHeader}); returns the header number rpm would assign. */
  long add(Header installed) throws IOException;

  /** Removes the package at {@code hnum} (and its index entries). */
  void remove(long hnum) throws IOException;

  /**
   * Upgrades the package at {@code oldHnum} to {@code installed} as rpm's transaction does: the new
   * header added under a new number, then the old one removed. Returns the new number.
   */
  long upgrade(long oldHnum, Header installed) throws IOException;

  /**
   * Writes the whole database (the current state) into {@code dir} (created if needed; the
   * format's files there are replaced). For NDB: refused.
   */
  void write(Path dir) throws IOException;

  /** Releases the working state (temporary files). */
  @Override
  void close() throws IOException;
}

/** The implementations of {@link RpmDatabase}. */
final class RpmDatabases {
  private RpmDatabases() {}

  static int hnum32(long hnum, String source) throws IOException {
    if (hnum <= 0 || hnum > 0xffffffffL) {
      throw new IOException(source + ": no package at header number " + hnum);
    }
    return (int) hnum;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** SQLite: a private working copy edited by {@link SqliteRpmdb}. */
  static final class Sqlite implements RpmDatabase {
    private final Path source;
    private final Path work;
    private SqliteRpmdb db;

    private Sqlite(Path source, Path work, SqliteRpmdb db) {
      this.source = source;
      this.work = work;
      this.db = db;
    }

    static Sqlite open(Path dir) throws IOException {
      Path source = dir.resolve(SqliteRpmdb.FILE_NAME);
      Path work = Files.createTempDirectory("rpmdb-work-");
      try {
        return new Sqlite(source, work, SqliteRpmdb.openCopy(source, work.resolve(SqliteRpmdb.FILE_NAME)));
      } catch (IOException | RuntimeException e) {
        try {
          deleteTree(work);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }

    private SqliteRpmdb db() throws IOException {
      if (db == null) {
        throw new IOException(source + ": closed");
      }
      return db;
    }

    @Override
    public Format format() {
      return Format.SQLITE;
    }

    @Override
    public List<Installed> packages() throws IOException {
      List<Installed> out = new ArrayList<>();
      for (SqliteRpmdb.Package p : db().packages()) {
        out.add(new Installed(p.hnum(), Header.ofBlob(p.blob(), source + " hnum " + p.hnum())));
      }
      return out;
    }

    @Override
    public long add(Header installed) throws IOException {
      return db().add(installed);
    }

    @Override
    public void remove(long hnum) throws IOException {
      db().remove(hnum32(hnum, source.toString()));
    }

    @Override
    public long upgrade(long oldHnum, Header installed) throws IOException {
      return db().upgrade(hnum32(oldHnum, source.toString()), installed);
    }

    @Override
    public void write(Path dir) throws IOException {
      Path file = db().file();
      // Closing checkpoints the WAL into the file (and leaves no -wal/-shm); then reopen to go on.
      db.close();
      db = null;
      Files.createDirectories(dir);
      Path target = dir.resolve(SqliteRpmdb.FILE_NAME);
      Path tmp = Files.createTempFile(dir, "." + SqliteRpmdb.FILE_NAME, ".tmp");
      try {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
        db = SqliteRpmdb.openInPlace(file);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        if (db != null) {
          db.close();
          db = null;
        }
      } finally {
        deleteTree(work);
      }
    }
  }

  /** Berkeley DB: the headers and the instance counter in memory, every file written from them. */
  static final class Bdb implements RpmDatabase {
    private final Path source;
    private final SortedMap<Integer, Header> headers = new TreeMap<>(Integer::compareUnsigned);
    private final BdbWriter writer;
    private long counter;

    private Bdb(Path source, BdbWriter writer, long counter) {
      this.source = source;
      this.writer = writer;
      this.counter = counter;
    }

    static Bdb open(Path dir) throws IOException {
      Path packages = dir.resolve(RpmBdb.PACKAGES);
      BdbWriter writer;
      try (BdbReader r = BdbReader.open(packages)) {
        // written back in the source's byte order and page size
        writer = new BdbWriter(r.order(), r.pageSize());
      } catch (IllegalArgumentException e) {
        throw new IOException(packages + ": " + e.getMessage(), e);
      }
      Bdb db = new Bdb(packages, writer, RpmBdb.readInstanceCounter(packages));
      for (Map.Entry<Integer, byte[]> e : RpmBdb.readPackages(packages).entrySet()) {
        db.headers.put(e.getKey(), Header.ofBlob(e.getValue(),
            packages + " header " + Integer.toUnsignedString(e.getKey())));
        db.counter = Math.max(db.counter, Integer.toUnsignedLong(e.getKey()));
      }
      return db;
    }

    @Override
    public Format format() {
      return Format.BDB;
    }

    @Override
    public List<Installed> packages() {
      List<Installed> out = new ArrayList<>(headers.size());
      headers.forEach((n, h) -> out.add(new Installed(Integer.toUnsignedLong(n), h)));
      return out;
    }

    @Override
    public long add(Header installed) throws IOException {
      // pkgdbNew: key 0 + 1, stored back in key 0
      if (counter >= 0xffffffffL) {
        throw new IOException(source + ": header numbers exhausted (key 0 is " + counter + ")");
      }
      counter++;
      headers.put((int) counter, installed);
      return counter;
    }

    @Override
    public void remove(long hnum) throws IOException {
      if (headers.remove(hnum32(hnum, source.toString())) == null) {
        throw new IOException(source + ": no package at header number " + hnum);
      }
    }

    @Override
    public long upgrade(long oldHnum, Header installed) throws IOException {
      if (!headers.containsKey(hnum32(oldHnum, source.toString()))) {
        throw new IOException(source + ": no package at header number " + oldHnum);
      }
      long n = add(installed);
      remove(oldHnum);
      return n;
    }

    @Override
    public void write(Path dir) throws IOException {
      SortedMap<Integer, byte[]> blobs = new TreeMap<>(Integer::compareUnsigned);
      headers.forEach((n, h) -> blobs.put(n, h.blob()));
      RpmBdb.write(dir, blobs, RpmBdb.indexes(headers), counter, writer);
    }

    @Override
    public void close() {
      headers.clear();
    }
  }

  /** NDB: read only. */
  static final class Ndb implements RpmDatabase {
    private final NdbPackages ndb;

    private Ndb(NdbPackages ndb) {
      this.ndb = ndb;
    }

    static Ndb open(Path dir) throws IOException {
      return new Ndb(NdbPackages.open(dir.resolve(NdbPackages.FILE_NAME)));
    }

    @Override
    public Format format() {
      return Format.NDB;
    }

    @Override
    public List<Installed> packages() throws IOException {
      List<Installed> out = new ArrayList<>();
      for (NdbPackages.Package p : ndb.packages()) {
        out.add(new Installed(p.packageIndex(), p.header()));
      }
      out.sort(Comparator.comparingLong(Installed::hnum));
      return out;
    }

    @Override
    public long add(Header installed) throws IOException {
      throw ndb.refuseWrite();
    }

    @Override
    public void remove(long hnum) throws IOException {
      throw ndb.refuseWrite();
    }

    @Override
    public long upgrade(long oldHnum, Header installed) throws IOException {
      throw ndb.refuseWrite();
    }

    @Override
    public void write(Path dir) throws IOException {
      throw ndb.refuseWrite();
    }

    @Override
    public void close() throws IOException {
      ndb.close();
    }
  }
}
