package dev.imagepatch.patch.apk;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.apk.ApkArchive;
import dev.imagepatch.pkg.apk.ApkEntry;
import dev.imagepatch.pkg.apk.ApkRecord;
import dev.imagepatch.pkg.apk.FileRecord;
import dev.imagepatch.pkg.apk.InstalledDatabase;
import dev.imagepatch.pkg.apk.InstalledPackage;
import dev.imagepatch.pkg.apk.ScriptsTar;
import dev.imagepatch.pkg.apk.TriggersFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * apk-tools 2's unpacking of upgraded packages into a {@link PatchLayer}: each new version's files
 * through the lower layers' symlinks, {@code .apk-new} beside a protected file the image changed,
 * whiteouts for what the old version had and no package has any more, and the database
 * ({@code installed}, {@code scripts.tar}, {@code triggers}) as apk writes it.
 */
final class ApkLayer {
  /**
   * One package to unpack: the installed version it replaces (null for a new dependency), the new
   * one; or, with {@code record} and {@code archive} null, a package apk removes.
   */
  record Change(InstalledPackage old, ApkRecord record, ApkArchive archive, String tag) {
    boolean isRemoval() {
      return record == null;
    }
  }

  private final PatchLayer out;
  private final MergedFilesystem fs;
  private final InstalledDatabase db;
  private final String dbDir;
  private final List<Change> changes = new ArrayList<>();
  private final Map<Change, InstalledPackage> installed = new LinkedHashMap<>();
  /** Who owns each path (resolved) among the packages this patch leaves as they are. */
  private final Map<String, InstalledPackage> owners = new java.util.HashMap<>();
  /** Files unchanged packages give up to a new package whose {@code r:} replaces them, by owner. */
  private final Map<InstalledPackage, Set<String>> givenUp = new LinkedHashMap<>();
  /** Packages whose only change is their repository tag (the new s:, null for none); see {@link #retag}. */
  private final Map<InstalledPackage, String> retagged = new LinkedHashMap<>();

  ApkLayer(PatchLayer out, InstalledDatabase db, String dbDir) {
    this.out = out;
    this.fs = out.image();
    this.db = db;
    this.dbDir = dbDir;
  }

  /**
   * A package that stays as it is but whose repository tag changes (the resolver's {@code pin}
   * change): apk only sets {@code ipkg->repository_tag}, so its record keeps its place, files and
   * scripts, and only its {@code s:} line changes ({@code tag} null: removed).
   */
  void retag(InstalledPackage p, String tag) {
    retagged.put(p, tag);
  }

  /** A record's text with its {@code s:} set to {@code tag} (none for null) where apk_db_write_fdb puts it: after r: and q:, before f: and F:. */
  static String withTag(InstalledPackage p, String tag) {
    StringBuilder b = new StringBuilder();
    boolean placed = tag == null;
    for (ApkRecord.Field f : p.lines()) {
      if (f.key() == 's') {
        continue;
      }
      if (!placed && (f.key() == 'f' || f.key() == 'F')) {
        b.append("s:").append(tag).append('\n');
        placed = true;
      }
      b.append(f.key()).append(':').append(f.value()).append('\n');
    }
    if (!placed) {
      b.append("s:").append(tag).append('\n');
    }
    return b.toString();
  }

  /** Unpacks every change (in commit order), then whites out what the old versions alone had. */
  void unpackAll(List<Change> all) throws IOException {
    changes.addAll(all);
    Set<String> changed = new HashSet<>();
    all.stream().filter(c -> c.old() != null).forEach(c -> changed.add(c.old().name()));
    for (InstalledPackage p : db.packages()) {
      if (!changed.contains(p.name())) {
        p.files().forEach(f -> owners.putIfAbsent(fs.resolveParent(f.path()), p));
      }
    }
    for (Change c : all) {
      if (!c.isRemoval()) {
        installed.put(c, unpack(c));
      }
    }
    Set<String> owned = ownedAfter();
    for (Change c : all) {
      if (c.old() != null) {
        whiteoutRemoved(c, owned);
      }
    }
  }

  private InstalledPackage unpack(Change c) throws IOException {
    String culprit = c.record().name() + "-" + c.record().version();
    List<ApkEntry> entries = new ArrayList<>();
    Map<String, String> oldSums = new LinkedHashMap<>();
    if (c.old() != null) {
      for (FileRecord f : c.old().files()) {
        if (f.checksum() != null) {
          oldSums.put(f.path(), f.checksum());
        }
      }
    }
    ApkRecord incoming = InstalledPackage.installed(c.record(), c.archive().pkgInfo(), List.of(), c.tag()).header();
    try {
      c.archive().readData((e, content) -> {
        if (e.type() != ApkEntry.Type.DIRECTORY && !e.path().isEmpty() && !mayWrite(culprit, incoming, e)) {
          if (content != null) {
            content.transferTo(java.io.OutputStream.nullOutputStream());
          }
          return;
        }
        entries.add(e);
        if (e.path().isEmpty()) {
          return;
        }
        String target = out.target(e.path());
        switch (e.type()) {
          case DIRECTORY -> out.directoryIfAbsent(target, e.mode(), e.uid(), e.gid(), e.mtime());
          case SYMLINK -> {
            String where = protectedTarget(c, e, target, oldSums.get(e.path()));
            if (where != null) {
              out.symlink(where, e.linkTarget(), e.uid(), e.gid(), e.mtime());
            }
          }
          case HARDLINK -> out.hardlink(target, out.target(e.linkTarget()), e.mode(), e.uid(), e.gid(), e.mtime());
          case FILE -> {
            PatchLayer.Staged staged = out.stage(content);
            String where = protectedTarget(c, e, target, oldSums.get(e.path()));
            if (where != null) {
              out.file(where, e.mode(), e.uid(), e.gid(), e.mtime(), staged);
            }
          }
          default -> throw new IOException(culprit + ": " + e.path() + " is a device or FIFO, which a patch layer"
              + " does not carry");
        }
      });
    } catch (SafePath.UnsafePathException e) {
      throw new IOException(culprit + ": " + e.getMessage() + "; apk refuses such a package", e);
    }
    try {
      return InstalledPackage.installed(c.record(), c.archive().pkgInfo(), entries, c.tag());
    } catch (IllegalArgumentException e) {
      // A package apk would mark broken (a file without its directory entry, a hard link out of the
      // package, a bad replaces): refused naming it, not an IllegalArgumentException escaping the patch.
      throw new IOException(culprit + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the new package may write {@code e} where a package this patch leaves alone owns a file,
   * as {@code apk_pkg_replaces_file} decides: same origin, or the newcomer's {@code r:} naming the
   * owner, takes the file over (the owner's record gives it up); the owner's own {@code r:} with a
   * higher {@code q:} keeps it (the newcomer's copy is skipped and not recorded); anything else is
   * apk's "trying to overwrite ... owned by ...", refused.
   */
  private boolean mayWrite(String culprit, ApkRecord incoming, ApkEntry e) throws IOException {
    InstalledPackage owner = owners.get(fs.resolveParent(e.path()));
    if (owner == null) {
      return true;
    }
    switch (dev.imagepatch.pkg.apk.ApkResolver.replacesFile(owner.header(), incoming)) {
      case REPLACE -> {
        String path = owner.files().stream().filter(f -> fs.resolveParent(f.path()).equals(fs.resolveParent(e.path())))
            .map(FileRecord::path).findFirst().orElseThrow();
        givenUp.computeIfAbsent(owner, o -> new java.util.LinkedHashSet<>()).add(path);
        return true;
      }
      case KEEP -> {
        out.note("/" + e.path() + ": kept as " + owner.name() + " has it (its replaces outranks " + incoming.name()
            + "'s)");
        return false;
      }
      default -> throw new IOException(culprit + ": trying to overwrite /" + e.path() + " owned by " + owner.name()
          + "-" + owner.version() + "; apk refuses it unless one package replaces the other (r:)");
    }
  }

  /**
   * Where a file or symlink lands, as apk-tools 2 decides for its protected paths
   * ({@code apk_db_migrate_files}; {@code +etc}, {@code !etc/apk}, and {@code @etc/init.d}, which
   * protects only symlinks): over what the image has when that is what the old version shipped
   * (checksums as apk takes them: a file's content, a symlink's target), else beside it as
   * {@code .apk-new}, unless the new version is what the image already has (then nothing is written).
   */
  private String protectedTarget(Change c, ApkEntry e, String target, String oldSum) throws IOException {
    if (!isProtected(e.path(), e.type() == ApkEntry.Type.SYMLINK)) {
      return target;
    }
    Optional<FsEntry> current = fs.entry(target);
    if (current.isEmpty() || current.get().isDirectory()) {
      return target;
    }
    String onDisk = switch (current.get().type()) {
      case FILE -> sha1(target).orElse(null);
      case SYMLINK -> q1(sha1Hex(current.get().linkTarget().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      default -> null;
    };
    if (oldSum != null && oldSum.equals(onDisk)) {
      return target;
    }
    String newSum = e.type() == ApkEntry.Type.SYMLINK
        ? q1(sha1Hex(e.linkTarget().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        : e.sha1Hex() == null ? null : q1(e.sha1Hex());
    if (newSum != null && newSum.equals(onDisk)) {
      return null;
    }
    out.note("/" + e.path() + ": changed in the image, kept; the new version is /" + target + ".apk-new ("
        + c.record().name() + ")");
    return target + ".apk-new";
  }

  static boolean isProtected(String path, boolean symlink) {
    if (!path.startsWith("etc/") || path.startsWith("etc/apk/")) {
      return false;
    }
    return symlink || !path.startsWith("etc/init.d/");
  }

  private static String sha1Hex(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /**
   * The image file's checksum as apk records it ({@code Q1} + base64 of SHA-1): from its spooled
   * content, or from the content kept in memory when a step (another family's, an effect's) keeps it.
   */
  private Optional<String> sha1(String target) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
    Optional<Path> spooled = fs.spooled(target);
    if (spooled.isPresent()) {
      try (InputStream in = Files.newInputStream(spooled.get())) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
          md.update(buf, 0, n);
        }
      }
    } else {
      Optional<byte[]> kept = fs.content(target);
      if (kept.isEmpty()) {
        return Optional.empty();
      }
      md.update(kept.get());
    }
    return Optional.of("Q1" + Base64.getEncoder().encodeToString(md.digest()));
  }

  private static String q1(String hex) {
    return "Q1" + Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(hex));
  }

  /** Every path some package owns once the changes are in: the unchanged packages' and the new versions'. */
  private Set<String> ownedAfter() {
    Set<String> replaced = new HashSet<>();
    changes.stream().filter(c -> c.old() != null).forEach(c -> replaced.add(c.old().header().name()));
    Set<String> owned = new HashSet<>();
    for (InstalledPackage p : db.packages()) {
      if (!replaced.contains(p.header().name())) {
        p.files().forEach(f -> owned.add(fs.resolveParent(f.path())));
      }
    }
    for (InstalledPackage p : installed.values()) {
      p.files().forEach(f -> owned.add(fs.resolveParent(f.path())));
    }
    return owned;
  }

  /**
   * Whiteouts for the files of the old version that no package owns any more (apk deletes them).
   * Directories are left: apk_db_dir_unref does rmdir a directory no package references any more,
   * but only when it is empty, which the image may decide (files nobody owns); a directory left
   * empty is a known, harmless difference (no scanner reads directories).
   */
  private void whiteoutRemoved(Change c, Set<String> owned) {
    for (FileRecord f : c.old().files()) {
      String target = fs.resolveParent(f.path());
      if (target.isEmpty() || owned.contains(target) || out.wrote(target)) {
        continue;
      }
      Optional<FsEntry> e = fs.entry(target);
      if (e.isPresent() && !e.get().isDirectory() && !keptAsChanged(f, target, e.get())) {
        out.whiteout(target);
      }
    }
  }

  /**
   * Whether apk leaves an old file it purges: apk_db_purge_pkg unlinks a file in a protected path only
   * when it has a recorded checksum and the file on disk still has it; one the image changed (or one
   * recorded without {@code Z:}) is left in place.
   */
  private boolean keptAsChanged(FileRecord f, String target, FsEntry current) {
    if (!isProtected(f.path(), current.type() == FsEntry.Type.SYMLINK)) {
      return false;
    }
    if (f.checksum() == null) {
      return true;
    }
    String onDisk;
    try {
      onDisk = switch (current.type()) {
        case FILE -> sha1(target).orElse(null);
        case SYMLINK -> q1(sha1Hex(current.linkTarget().getBytes(StandardCharsets.UTF_8)));
        default -> null;
      };
    } catch (IOException ex) {
      onDisk = null;
    }
    boolean changed = !f.checksum().equals(onDisk);
    if (changed) {
      out.note("/" + f.path() + ": changed in the image, kept although no package has it any more (as apk keeps a"
          + " changed protected file)");
    }
    return changed;
  }

  /** A record's text without the {@code R:} lines (and their {@code a:}/{@code Z:}) of {@code paths}. */
  static String withoutFiles(InstalledPackage p, Set<String> paths) {
    StringBuilder b = new StringBuilder();
    String dir = "";
    boolean skipping = false;
    for (ApkRecord.Field f : p.lines()) {
      switch (f.key()) {
        case 'F' -> {
          dir = f.value();
          skipping = false;
        }
        case 'R' -> skipping = paths.contains(dir.isEmpty() ? f.value() : dir + "/" + f.value());
        case 'a', 'Z' -> { }
        default -> skipping = false;
      }
      if (!skipping) {
        b.append(f.key()).append(':').append(f.value()).append('\n');
      }
    }
    return b.toString();
  }

  /** The installed records, in the order apk writes them: unchanged ones in place, installed ones appended. */
  List<InstalledPackage> newRecords() {
    return List.copyOf(installed.values());
  }

  /**
   * Writes {@code installed}, {@code scripts.tar} and {@code triggers} as apk leaves them, and tells of
   * the scripts apk would have run that no effect reproduced.
   */
  void writeDatabase() throws IOException {
    Map<String, Map<String, byte[]>> scriptsByPackage = new LinkedHashMap<>();
    changes.stream().filter(c -> !c.isRemoval())
        .forEach(c -> scriptsByPackage.put(c.record().name(), c.archive().scripts()));
    Set<String> reproduced = ApkEffects.reproduced(out, scriptsByPackage);
    List<InstalledPackage> removed = changes.stream().map(Change::old).filter(o -> o != null).toList();
    InstalledDatabase after = db.replace(removed, newRecords());
    String text = after.write();
    for (Map.Entry<InstalledPackage, Set<String>> g : givenUp.entrySet()) {
      // The owner keeps its place in the file; only the files it gave up leave its record.
      text = text.replace(g.getKey().text(), withoutFiles(g.getKey(), g.getValue()));
    }
    for (Map.Entry<InstalledPackage, String> r : retagged.entrySet()) {
      text = text.replace(r.getKey().text(), withTag(r.getKey(), r.getValue()));
    }
    after = InstalledDatabase.parse(text, "the patched /" + dbDir + "/installed");
    out.bytes(dbDir + "/installed", 0644, text.getBytes(StandardCharsets.UTF_8));

    Optional<byte[]> scripts = fs.content(dbDir + "/scripts.tar");
    ScriptsTar before = scripts.isPresent() ? ScriptsTar.read(scripts.get(), "/" + dbDir + "/scripts.tar")
        : ScriptsTar.empty();
    ScriptsTar tar = before;
    Map<String, Map<String, byte[]>> added = new LinkedHashMap<>();
    changes.stream().filter(c -> !c.isRemoval())
        .forEach(c -> added.put(installed.get(c).header().checksum(), c.archive().scripts()));
    tar = tar.update(after, added);
    if (scripts.isPresent() || !tar.scripts().isEmpty()) {
      // apk writes every entry with the time it writes the file.
      out.bytes(dbDir + "/scripts.tar", 0644, tar.write(out.epoch()));
    }

    Optional<byte[]> triggers = fs.content(dbDir + "/triggers");
    String triggersFile = "/" + dbDir + "/triggers";
    TriggersFile trig;
    try {
      trig = TriggersFile.parse(triggers.map(b -> new String(b, StandardCharsets.UTF_8)).orElse(""), triggersFile);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    List<TriggersFile.Entry> newTriggers = new ArrayList<>();
    for (Change c : changes) {
      if (c.isRemoval()) {
        continue;
      }
      List<String> globs = TriggersFile.globs(c.archive().pkgInfo());
      if (!globs.isEmpty()) {
        try {
          newTriggers.add(new TriggersFile.Entry(installed.get(c).header().checksum(), globs));
        } catch (IllegalArgumentException e) {
          throw new IOException(c.record().name() + "-" + c.record().version() + ": .PKGINFO triggers: "
              + e.getMessage(), e);
        }
      }
    }
    trig = trig.replace(removed.stream().map(o -> o.header().checksum()).toList(), newTriggers);
    if (triggers.isPresent() || !trig.entries().isEmpty()) {
      out.bytes(dbDir + "/triggers", 0644, trig.write().getBytes(StandardCharsets.UTF_8));
    }
    reportTriggers(after, trig, reproduced);
    reportScripts(reproduced, before);
  }

  /**
   * apk runs an installed package's {@code .trigger} when the commit changed a directory one of its
   * globs matches ({@code fnmatch} on the directory's absolute path): the directories the old and
   * new versions of the changed packages own.
   */
  private void reportTriggers(InstalledDatabase after, TriggersFile trig, Set<String> reproduced) {
    Set<String> dirs = new java.util.TreeSet<>();
    for (Change c : changes) {
      if (!c.isRemoval()) {
        installed.get(c).directories().forEach(d -> dirs.add("/" + d));
      }
      if (c.old() != null) {
        c.old().directories().forEach(d -> dirs.add("/" + d));
      }
    }
    // apk_db_install_pkg sets run_all_triggers on what it installs, and fire_triggers then matches that
    // package's globs against every directory of the database (installed.dirs), changed or not.
    Set<String> allDirs = new java.util.TreeSet<>(dirs);
    after.packages().forEach(p -> p.directories().forEach(d -> allDirs.add("/" + d)));
    Set<String> runAll = new HashSet<>();
    installed.values().forEach(p -> runAll.add(p.header().checksum()));
    for (TriggersFile.Entry e : trig.entries()) {
      Optional<InstalledPackage> owner = after.packages().stream()
          .filter(p -> e.checksum().equals(p.header().checksum())).findFirst();
      if (owner.isEmpty()) {
        continue;
      }
      Set<String> candidates = runAll.contains(e.checksum()) ? allDirs : dirs;
      // fire_triggers adds a directory once, for the first glob that matches it.
      Set<String> fired = new java.util.LinkedHashSet<>();
      for (String glob : e.globs()) {
        java.nio.file.PathMatcher m = matcher(glob);
        if (m != null) {
          candidates.stream().filter(d -> m.matches(java.nio.file.Path.of(d))).forEach(fired::add);
        }
      }
      String name = owner.get().name();
      if (!fired.isEmpty() && !reproduced.contains(name + " trigger")) {
        out.notRun(new ScriptNotRun(name, "trigger, for " + String.join(" ", fired)));
      }
    }
  }

  /**
   * The matcher of a trigger glob (from the image's {@code triggers} file or a package's .PKGINFO);
   * null for one Java's glob syntax refuses (an unclosed {@code [} or nested braces), which then
   * matches nothing, rather than a PatternSyntaxException escaping the patch.
   */
  static java.nio.file.PathMatcher matcher(String glob) {
    try {
      return java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * apk runs the new version's {@code pre-}/{@code post-upgrade} (or {@code -install} for a new
   * package), and every installed package's {@code .trigger} whose directories the layer changed.
   */
  private void reportScripts(Set<String> reproduced, ScriptsTar oldScripts) {
    for (Change c : changes) {
      if (c.isRemoval()) {
        for (String action : List.of("pre-deinstall", "post-deinstall")) {
          if (oldScripts.scripts(c.old().header().checksum()).stream().anyMatch(s -> s.action().equals(action))) {
            out.notRun(new ScriptNotRun(c.old().name(), action + " of " + c.old().version()));
          }
        }
        continue;
      }
      String name = c.record().name();
      List<String> actions = c.old() == null ? List.of("pre-install", "post-install")
          : List.of("pre-upgrade", "post-upgrade");
      for (String action : actions) {
        if (c.archive().scripts().containsKey("." + action) && !reproduced.contains(name + " " + action)) {
          out.notRun(new ScriptNotRun(name, action));
        }
      }
    }
  }
}
