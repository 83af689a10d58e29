package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Entry;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Index;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * rpm's SQLite database ({@code rpmdb.sqlite}: Fedora 33+, RHEL/UBI 9, Amazon Linux 2023,
 * CBL-Mariner 2, Azure Linux 3) read and written as rpm 4.18's sqlite backend
 * (lib/backend/sqlite.c) writes it, through a real SQLite (xerial sqlite-jdbc).
 *
 * <ul>
 *   <li>Schema: {@code Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)} and
 *       one table per {@link Index} {@code (key 'TEXT'|'BLOB' NOT NULL, hnum, idx, FOREIGN KEY)},
 *       with rpm's {@code <table>_key_idx} (string tags) and {@code <table>_hnum_idx} (array tags).</li>
 *   <li>Adding a header: {@code INSERT OR REPLACE INTO Packages VALUES(NULL, blob)}, so the header
 *       number is SQLite's AUTOINCREMENT (one past the largest ever used), then each index's
 *       {@link RpmIndexes} entries in rpm's order. Removing: the Packages row and every index row
 *       of that hnum. An upgrade, as rpm's transaction does it: the new header added, then the old
 *       one removed.</li>
 *   <li>Connection as rpm opens it: {@code secure_delete = OFF}, {@code journal_mode = WAL},
 *       {@code wal_autocheckpoint = 0}; closed as rpm closes it: {@code PRAGMA optimize}, then
 *       {@code wal_checkpoint(TRUNCATE)}; after close no {@code -wal}/{@code -shm} file is left (rpm
 *       itself leaves empty ones, persisting the WAL for unprivileged readers; a fresh open makes them).</li>
 * </ul>
 *
 * <p>Text keys are bound as their exact bytes ({@code CAST(? AS TEXT)}), as rpm's
 * {@code sqlite3_bind_text} does.
 */
public final class SqliteRpmdb implements AutoCloseable {
  /** The file name rpm uses in its database directory. */
  public static final String FILE_NAME = "rpmdb.sqlite";

  /** One row of Packages: the header number and the header blob (no magic). */
  public record Package(int hnum, byte[] blob) {
    public Package {
      blob = blob.clone();
    }

    @Override
    public byte[] blob() {
      return blob.clone();
    }

    /** The blob parsed. */
    public Header header() throws IOException {
      return Header.ofBlob(blob, "rpmdb.sqlite hnum " + hnum);
    }
  }

  private final Path file;
  private Connection conn;

  private SqliteRpmdb(Path file, Connection conn) {
    this.file = file;
    this.conn = conn;
  }

  /**
   * Every package of {@code file} in hnum order. The caller's file is not opened: it is copied
   * (with its {@code -wal}, if any) into a private temporary directory, read there and deleted.
   */
  public static List<Package> read(Path file) throws IOException {
    Path dir = Files.createTempDirectory("rpmdb-read-");
    try {
      Path copy = dir.resolve(FILE_NAME);
      copyWithWal(file, copy);
      try (SqliteRpmdb db = open(copy, false)) {
        return db.packages();
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** Copies {@code source} (and its {@code -wal}, if any) to {@code target} and opens the copy for writing. */
  public static SqliteRpmdb openCopy(Path source, Path target) throws IOException {
    if (Files.exists(target)) {
      throw new IOException(target + ": exists; openCopy writes a new file");
    }
    copyWithWal(source, target);
    try {
      return open(target, true);
    } catch (IOException | RuntimeException e) {
      // A refused (hostile or corrupt) database leaves no copy of itself at target.
      for (String suffix : new String[] {"", "-wal", "-shm"}) {
        try {
          Files.deleteIfExists(target.resolveSibling(target.getFileName() + suffix));
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** Opens {@code file} itself for writing (asked for explicitly: the caller's file changes in place). */
  public static SqliteRpmdb openInPlace(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such database");
    }
    return open(file, true);
  }

  /** Creates an empty database at {@code file} with rpm's schema, as {@code rpm --initdb} does. */
  public static SqliteRpmdb create(Path file) throws IOException {
    if (Files.exists(file)) {
      throw new IOException(file + ": exists");
    }
    SqliteRpmdb db = open(file, true);
    try {
      db.createSchema();
    } catch (SQLException e) {
      db.closeQuietly();
      throw new IOException(file + ": cannot create rpm's schema: " + e.getMessage(), e);
    }
    return db;
  }

  private static SqliteRpmdb open(Path file, boolean write) throws IOException {
    try {
      // The database comes from an image: hostile. Extensions can never be loaded (sqlite-jdbc's
      // default, made explicit), a read opens read-only (and the caller's file is never opened at
      // all: read and openCopy work on a private copy), and trusted_schema = OFF keeps functions
      // with side effects out of anything the schema holds.
      SQLiteConfig config = new SQLiteConfig();
      config.enableLoadExtension(false);
      config.setReadOnly(!write);
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
      try {
        return init(c, file, write);
      } catch (SQLException | IOException | RuntimeException e) {
        // A database refused (or corrupt) leaves no open connection, file handle or -wal behind.
        try {
          c.close();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new IOException(file + ": cannot open as an rpm SQLite database: " + e.getMessage(), e);
    }
  }

  private static SqliteRpmdb init(Connection c, Path file, boolean write) throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA trusted_schema = OFF");
      if (!write) {
        s.execute("PRAGMA query_only = ON");
      }
      refuseForeignSchema(c, file);
      // sqlite_init in lib/backend/sqlite.c
      s.execute("PRAGMA secure_delete = OFF");
      s.execute("PRAGMA case_sensitive_like = ON");
      if (write) {
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA wal_autocheckpoint = 0");
      }
    }
    SqliteRpmdb db = new SqliteRpmdb(file, c);
    if (write && db.tableExists("Packages")) {
      db.requireSchema();
    }
    return db;
  }

  /**
   * rpm creates tables and indexes only. A view (a 'Packages' that is a query, a recursive one
   * that never ends, or one calling functions) or a trigger (SQL run on our INSERT or DELETE) is
   * not rpm's: such a database is refused before any of it runs.
   */
  private static void refuseForeignSchema(Connection c, Path file) throws SQLException, IOException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT type, name FROM sqlite_master WHERE type NOT IN ('table', 'index')"
             + " OR (name = 'Packages' AND type <> 'table') LIMIT 1")) {
      if (rs.next()) {
        String what = rs.getString(1) + " '" + rs.getString(2) + "'";
        throw new IOException(file + ": not an rpm database: it holds a " + what
            + " (rpm's schema has tables and indexes only)");
      }
    }
  }

  private void createSchema() throws SQLException {
    try (Statement s = conn.createStatement()) {
      // init_table / init_index, Packages first, then the indexes in dbiTags order
      s.execute("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)");
      for (Index index : Index.values()) {
        String t = index.table();
        s.execute("CREATE TABLE IF NOT EXISTS '" + t + "' (key '" + (index.textKey() ? "TEXT" : "BLOB")
            + "' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))");
        if (index.textKey()) {
          s.execute("CREATE INDEX IF NOT EXISTS '" + t + "_key_idx' ON '" + t + "'(key ASC)");
        }
        if (index.arrayTag()) {
          s.execute("CREATE INDEX IF NOT EXISTS '" + t + "_hnum_idx' ON '" + t + "'(hnum ASC)");
        }
      }
    }
  }

  private void requireSchema() throws IOException, SQLException {
    for (Index index : Index.values()) {
      if (!tableExists(index.table())) {
        throw new IOException(file + ": no index table " + index.table()
            + " (rpm would rebuild it on open; this database is not one rpm 4.16+ left complete)");
      }
    }
  }

  private boolean tableExists(String table) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The database file. */
  public Path file() {
    return file;
  }

  /** Every package, in hnum order. */
  public List<Package> packages() throws IOException {
    List<Package> out = new ArrayList<>();
    try (Statement s = conn().createStatement();
         ResultSet rs = s.executeQuery("SELECT hnum, blob FROM 'Packages' ORDER BY hnum")) {
      while (rs.next()) {
        out.add(new Package(rs.getInt(1), rs.getBytes(2)));
      }
    } catch (SQLException e) {
      throw io("read Packages", e);
    }
    return out;
  }

  /** The header blob at {@code hnum}. */
  public Optional<byte[]> blob(int hnum) throws IOException {
    try (PreparedStatement ps = conn().prepareStatement("SELECT blob FROM 'Packages' WHERE hnum=?")) {
      ps.setInt(1, hnum);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw io("read hnum " + hnum, e);
    }
  }

  /** The header numbers whose Name index holds {@code name}, ascending. */
  public List<Integer> find(String name) throws IOException {
    List<Integer> out = new ArrayList<>();
    try (PreparedStatement ps = conn().prepareStatement(
        "SELECT hnum FROM 'Name' WHERE key=CAST(? AS TEXT) ORDER BY hnum")) {
      ps.setBytes(1, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getInt(1));
        }
      }
    } catch (SQLException e) {
      throw io("look up " + name, e);
    }
    return out;
  }

  /** Adds an installed header (see {@link InstalledHeader}); returns the header number SQLite (rpm) assigned. */
  public int add(Header installed) throws IOException {
    return inTransaction("add", () -> {
      int hnum;
      try (PreparedStatement ps = conn.prepareStatement("INSERT OR REPLACE INTO 'Packages' VALUES(?, ?)")) {
        ps.setNull(1, java.sql.Types.INTEGER);
        ps.setBytes(2, installed.blob());
        ps.executeUpdate();
      }
      try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT last_insert_rowid()")) {
        rs.next();
        hnum = rs.getInt(1);
      }
      putIndexes(installed, hnum);
      return hnum;
    });
  }

  /**
   * Replaces the header at {@code hnum} keeping the number (rpm's header rewrite,
   * {@code INSERT OR REPLACE} with the hnum), its index rows replaced by the new header's.
   */
  public void replace(int hnum, Header header) throws IOException {
    inTransaction("replace hnum " + hnum, () -> {
      requirePresent(hnum);
      deleteIndexes(hnum);
      try (PreparedStatement ps = conn.prepareStatement("INSERT OR REPLACE INTO 'Packages' VALUES(?, ?)")) {
        ps.setInt(1, hnum);
        ps.setBytes(2, header.blob());
        ps.executeUpdate();
      }
      putIndexes(header, hnum);
      return hnum;
    });
  }

  /** Removes the header at {@code hnum} and its index rows (rpmdbRemove). */
  public void remove(int hnum) throws IOException {
    inTransaction("remove hnum " + hnum, () -> {
      requirePresent(hnum);
      try (PreparedStatement ps = conn.prepareStatement("DELETE FROM 'Packages' WHERE hnum=?;")) {
        ps.setInt(1, hnum);
        ps.executeUpdate();
      }
      deleteIndexes(hnum);
      return hnum;
    });
  }

  /**
   * Upgrades the package at {@code oldHnum} to {@code installed} as rpm's transaction does: the new
   * header added (a new hnum), then the old one removed. Returns the new hnum.
   */
  public int upgrade(int oldHnum, Header installed) throws IOException {
    if (blob(oldHnum).isEmpty()) {
      throw new IOException(file + ": no package at hnum " + oldHnum);
    }
    int hnum = add(installed);
    remove(oldHnum);
    return hnum;
  }

  /** The rows of one index table, in rowid order. */
  public List<Entry> indexRows(Index index) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (Statement s = conn().createStatement();
         ResultSet rs = s.executeQuery("SELECT CAST(key AS BLOB), hnum, idx FROM '" + index.table() + "' ORDER BY rowid")) {
      while (rs.next()) {
        byte[] key = rs.getBytes(1);
        out.add(new Entry(key == null ? new byte[0] : key, rs.getInt(2), rs.getInt(3)));
      }
    } catch (SQLException e) {
      throw io("read " + index.table(), e);
    }
    return out;
  }

  /** Every index table's rows. */
  public Map<Index, List<Entry>> indexRows() throws IOException {
    Map<Index, List<Entry>> out = new EnumMap<>(Index.class);
    for (Index index : Index.values()) {
      out.put(index, indexRows(index));
    }
    return out;
  }

  private void putIndexes(Header h, int hnum) throws SQLException {
    for (Map.Entry<Index, List<Entry>> e : RpmIndexes.all(h, hnum).entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      String key = e.getKey().textKey() ? "CAST(? AS TEXT)" : "?";
      try (PreparedStatement ps = conn.prepareStatement(
          "INSERT INTO '" + e.getKey().table() + "' VALUES(" + key + ", ?, ?)")) {
        for (Entry row : e.getValue()) {
          ps.setBytes(1, row.key());
          ps.setInt(2, row.hnum());
          ps.setInt(3, row.idx());
          ps.executeUpdate();
        }
      }
    }
  }

  private void deleteIndexes(int hnum) throws SQLException {
    for (Index index : Index.values()) {
      try (PreparedStatement ps = conn.prepareStatement("DELETE FROM '" + index.table() + "' WHERE hnum=?")) {
        ps.setInt(1, hnum);
        ps.executeUpdate();
      }
    }
  }

  private void requirePresent(int hnum) throws SQLException, IOException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM 'Packages' WHERE hnum=?")) {
      ps.setInt(1, hnum);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IOException(file + ": no package at hnum " + hnum);
        }
      }
    }
  }

  private interface Work {
    int run() throws SQLException, IOException;
  }

  private int inTransaction(String what, Work work) throws IOException {
    Connection c = conn();
    try {
      c.setAutoCommit(false);
      try {
        int r = work.run();
        c.commit();
        return r;
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw io(what, e);
    }
  }

  private Connection conn() throws IOException {
    if (conn == null) {
      throw new IOException(file + ": closed");
    }
    return conn;
  }

  private IOException io(String what, SQLException e) {
    return new IOException(file + ": " + what + ": " + e.getMessage(), e);
  }

  /**
   * Closes as rpm does (sqlite_fini: {@code PRAGMA optimize}, {@code wal_checkpoint = TRUNCATE}) and
   * makes sure no {@code -wal}/{@code -shm} file is left beside the database.
   */
  @Override
  public void close() throws IOException {
    if (conn == null) {
      return;
    }
    Connection c = conn;
    conn = null;
    try {
      if (!c.isReadOnly()) {
        try (Statement s = c.createStatement()) {
          boolean stat4 = hasTable(c, "sqlite_stat4");
          s.execute("PRAGMA optimize");
          if (!stat4 && hasTable(c, "sqlite_stat4")) {
            // sqlite-jdbc's SQLite is built with STAT4, the distributions' (rpm's) without:
            // the ANALYZE of PRAGMA optimize leaves sqlite_stat1 only, as rpm's does.
            s.execute("DROP TABLE sqlite_stat4");
          }
          s.execute("PRAGMA wal_checkpoint = TRUNCATE");
        }
      }
      c.close();
    } catch (SQLException e) {
      throw new IOException(file + ": close: " + e.getMessage(), e);
    }
    for (String suffix : new String[] {"-wal", "-shm"}) {
      Path side = file.resolveSibling(file.getFileName() + suffix);
      if (Files.exists(side)) {
        if (suffix.equals("-wal") && Files.size(side) > 0) {
          throw new IOException(side + ": left with " + Files.size(side) + " bytes after the checkpoint");
        }
        Files.delete(side);
      }
    }
  }

  private static boolean hasTable(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException ignored) {
      // the first failure is the one reported
    }
  }

  private static void copyWithWal(Path source, Path target) throws IOException {
    if (!Files.isRegularFile(source)) {
      throw new IOException(source + ": no such database");
    }
    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
    target.toFile().setWritable(true, true);
    Path wal = source.resolveSibling(source.getFileName() + "-wal");
    if (Files.isRegularFile(wal) && Files.size(wal) > 0) {
      Path twal = target.resolveSibling(target.getFileName() + "-wal");
      Files.copy(wal, twal);
      twal.toFile().setWritable(true, true);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      List<Path> all = walk.sorted(java.util.Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }
}
