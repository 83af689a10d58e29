package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.RpmPackage.RpmFile;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * rpm's unpacking of a transaction into a {@link PatchLayer}: each new version's payload through
 * the lower layers' symlinks (owners by name from the image's accounts, modes and times from the
 * package, hard links as sets, missing parent directories made as rpm makes them), {@code %config}
 * files as {@link FileFate} decides, {@code %ghost} files not written (they are not in the payload),
 * {@code %doc} files left out with {@code tsflags=nodocs}, files of other languages with
 * {@code %_install_langs}, rpm's file conflicts refused; then what rpm erases of the old versions
 * ({@link Removals}).
 */
final class RpmLayer {
  /** rpm's RPMFILE_STATE_NOTINSTALLED, for files a flag such as nodocs kept out. */
  static final int STATE_NOT_INSTALLED = 2;

  /** A change with its fetched package (null for a removal). */
  record Unpack(RpmChange change, RpmPackage pkg) {}

  private final PatchLayer out;
  private final MergedFilesystem fs;
  private final Accounts accounts;
  private final FileFate fate;
  private final boolean nodocs;
  private final List<String> installLangs;
  /** Per package, the header indexes of files not installed. */
  private final Map<Unpack, Set<Integer>> notInstalled = new IdentityHashMap<>();
  /** A file of a package the transaction leaves as it is. */
  private record Owned(InstalledRpm owner, RpmFile file) {}

  /** The files of the packages the transaction leaves alone, by resolved path, for rpm's file conflicts. */
  private final Map<String, Owned> others = new HashMap<>();
  /** Every file (resolved) the new versions install. */
  private final Set<String> installedPaths = new HashSet<>();
  /**
   * The file lists of installed packages without a header (a distroless image's, from their
   * repository's filelists): paths only, for ownership and whiteouts.
   */
  private Map<InstalledRpm, List<String>> listed = Map.of();
  /** Every file (resolved) the old versions had that was removed, for file triggers. */
  private final Set<String> removedPaths = new HashSet<>();

  /**
   * @param nodocs dnf's {@code tsflags=nodocs} or rpm's {@code %_excludedocs}: %doc files left out
   * @param installLangs rpm's {@code %_install_langs} (null: all): files of other languages left out
   */
  RpmLayer(PatchLayer out, boolean nodocs, List<String> installLangs) {
    this.out = out;
    this.fs = out.image();
    this.accounts = Accounts.of(fs);
    this.fate = new FileFate(fs);
    this.nodocs = nodocs;
    this.installLangs = installLangs;
  }

  /** File lists of header-less installed packages (see {@link #listed}). */
  void listed(Map<InstalledRpm, List<String>> files) {
    this.listed = files;
  }

  /** Unpacks every change in order, then whites out what the old versions alone had. */
  void unpackAll(List<Unpack> all, List<InstalledRpm> unchanged) throws IOException {
    for (InstalledRpm i : unchanged) {
      if (i.header() != null) {
        for (RpmFile f : RpmPackage.files(i.header())) {
          if (!f.isDirectory() && !f.isGhost()) {
            others.putIfAbsent(resolved(f.path()), new Owned(i, f));
          }
        }
      }
    }
    for (Unpack u : all) {
      if (u.pkg() != null) {
        unpack(u);
      }
    }
    Set<String> owned = new HashSet<>();
    for (InstalledRpm i : unchanged) {
      if (i.header() != null) {
        for (RpmFile f : RpmPackage.files(i.header())) {
          owned.add(resolved(f.path()));
        }
      }
      listed.getOrDefault(i, List.of()).forEach(f -> owned.add(resolved(f)));
    }
    for (Unpack u : all) {
      if (u.pkg() != null) {
        for (RpmFile f : u.pkg().files()) {
          owned.add(resolved(f.path()));
        }
      }
    }
    Removals removals = new Removals(out, fate, owned);
    for (Unpack u : all) {
      InstalledRpm old = u.change().from();
      if (old != null && old.header() != null) {
        removals.of(old);
      } else if (old != null && listed.containsKey(old)) {
        removals.of(listed.get(old));
      }
    }
    removals.directories();
    removedPaths.addAll(removals.removedPaths());
  }

  Set<Integer> notInstalled(Unpack u) {
    return notInstalled.getOrDefault(u, Set.of());
  }

  Set<String> installedPaths() {
    return installedPaths;
  }

  Set<String> removedPaths() {
    return removedPaths;
  }

  private String resolved(String absolute) {
    return fs.resolveParent(FsEntry.normalize(absolute));
  }

  private void unpack(Unpack u) throws IOException {
    RpmPackage p = u.pkg();
    String culprit = p.nevra();
    Map<String, RpmFile> oldFiles = new HashMap<>();
    int oldAlgo = Tags.DIGEST_MD5;
    InstalledRpm old = u.change().from();
    if (old != null && old.header() != null) {
      for (RpmFile f : RpmPackage.files(old.header())) {
        oldFiles.put(f.path(), f);
      }
      oldAlgo = (int) old.header().number(Tags.FILEDIGESTALGO).orElse(Tags.DIGEST_MD5);
    }
    int newAlgo = p.fileDigestAlgorithm();
    Map<RpmFile, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < p.files().size(); i++) {
      index.put(p.files().get(i), i);
    }
    Set<Integer> skipped = new HashSet<>();
    Map<Integer, List<RpmPackage.PayloadEntry>> links = new LinkedHashMap<>();
    final int algoOld = oldAlgo;
    // Without the old header (a distroless image) what the old version shipped is unknown: rpm's
    // config decisions cannot be made, and the new files are written as they are.
    final boolean knowsOld = old == null || old.header() != null;
    try {
      p.payload((e, content) -> {
        RpmFile f = e.file();
        if (nodocs && f.isDoc() || !RpmMacros.langWanted(f.lang(), installLangs)) {
          skipped.add(index.get(f));
          return;
        }
        String target = out.target(e.path());
        parents(target);
        int mode = e.mode() & 07777;
        long uid = owner(f.user(), true, culprit, e.path());
        long gid = owner(f.group(), false, culprit, e.path());
        long mtime = e.mtime();
        if (f.isDirectory()) {
          directory(target, mode, uid, gid, mtime);
          installedPaths.add(target);
        } else if (f.isSymlink()) {
          conflict(target, f, newAlgo, culprit);
          FileFate.Action a = knowsOld ? fate.decide(target, f, oldFiles.get(f.path()), algoOld, newAlgo)
              : FileFate.Action.CREATE;
          installedPaths.add(target);
          if (place(a, target, culprit)) {
            out.symlink(a == FileFate.Action.ALTNAME ? target + ".rpmnew" : target, f.linkTo(), uid, gid, mtime);
          }
        } else if (f.isRegular()) {
          conflict(target, f, newAlgo, culprit);
          installedPaths.add(target);
          if (f.caps() != null && !f.caps().isEmpty()) {
            // A layer carries no security.capability attribute: the file is written without it.
            out.notRun(new ScriptNotRun(p.name(), "file capabilities " + f.caps() + " of " + e.path()
                + " not set (a patch layer carries no extended attributes)"));
          }
          if (e.nlink() > 1) {
            List<RpmPackage.PayloadEntry> set = links.computeIfAbsent(e.inode(), k -> new ArrayList<>());
            set.add(e);
            if (set.size() < e.nlink() && e.size() == 0) {
              return; // the content comes with the last name of the set
            }
            // The layer's tar is sorted by path and a hard link must follow the file it names: the
            // content goes under the set's first name, the others link to it.
            List<String> names = new ArrayList<>();
            for (RpmPackage.PayloadEntry other : set) {
              names.add(out.target(other.path()));
            }
            java.util.Collections.sort(names);
            PatchLayer.Staged staged = out.stage(content);
            out.file(names.get(0), mode, uid, gid, mtime, staged);
            for (String other : names.subList(1, names.size())) {
              out.hardlink(other, names.get(0), mode, uid, gid, mtime);
            }
            return;
          }
          PatchLayer.Staged staged = out.stage(content);
          FileFate.Action a = knowsOld ? fate.decide(target, f, oldFiles.get(f.path()), algoOld, newAlgo)
              : FileFate.Action.CREATE;
          if (place(a, target, culprit)) {
            out.file(a == FileFate.Action.ALTNAME ? target + ".rpmnew" : target, mode, uid, gid, mtime, staged);
          }
        } else {
          throw new IOException(culprit + ": " + e.path() + " is a device, FIFO or socket, which a patch layer does"
              + " not carry");
        }
      });
    } catch (SafePath.UnsafePathException e) {
      throw new IOException(culprit + ": " + e.getMessage() + "; rpm refuses such a package", e);
    }
    notInstalled.put(u, skipped);
  }

  /**
   * rpm's file conflict check: a file another installed package owns may be shared only when both
   * have it the same (type, digest, link target); else the transaction fails, as dnf's does
   * ("file /x from install of A conflicts with file from package B").
   */
  private void conflict(String target, RpmFile f, int algo, String culprit) throws IOException {
    Owned o = others.get(target);
    if (o == null) {
      return;
    }
    RpmFile g = o.file();
    int theirs = (int) o.owner().header().number(Tags.FILEDIGESTALGO).orElse(Tags.DIGEST_MD5);
    boolean same = f.isSymlink() ? g.isSymlink() && f.linkTo().equals(g.linkTo())
        : g.isRegular() && theirs == algo && f.digest().equalsIgnoreCase(g.digest());
    if (!same && !(f.isConfig() && g.isConfig())) {
      throw new IOException("file " + f.path() + " from install of " + culprit + " conflicts with file from package "
          + o.owner().nevra() + " (rpm refuses the transaction)");
    }
  }

  /**
   * Carries out the kept copies of an action (the image's file as .rpmsave/.rpmorig) and says whether
   * the new file is written at all.
   */
  private boolean place(FileFate.Action a, String target, String culprit) throws IOException {
    switch (a) {
      case SKIP -> {
        out.note("/" + target + ": changed in the image and unchanged by " + culprit + ", kept");
        return false;
      }
      case ALTNAME -> out.note("/" + target + ": changed in the image, kept; " + culprit + "'s version is /" + target
          + ".rpmnew");
      case SAVE, BACKUP -> {
        String suffix = a == FileFate.Action.SAVE ? ".rpmsave" : ".rpmorig";
        fate.keepCopy(out, target, target + suffix);
        out.note("/" + target + ": changed in the image, saved as /" + target + suffix + "; replaced by " + culprit
            + "'s version");
      }
      default -> { }
    }
    return true;
  }

  /**
   * A package's directory: made when absent; where the image has one with another mode or owner, given
   * the package's, as rpm sets the metadata of a directory it installs over an existing one.
   */
  private void directory(String target, int mode, long uid, long gid, long mtime) throws SafePath.UnsafePathException {
    Optional<FsEntry> e = fs.entry(target);
    if (e.isPresent() && e.get().isDirectory() && !out.contains(target)
        && ((e.get().mode() & 07777) != mode || e.get().uid() != uid || e.get().gid() != gid)) {
      out.builder().directory(target, mode, uid, gid, mtime);
      return;
    }
    out.directoryIfAbsent(target, mode, uid, gid, mtime);
  }

  /** The id rpm gives an owner name: the image's, else root (rpm warns and uses root). */
  private long owner(String name, boolean user, String culprit, String path) {
    Long id = user ? accounts.uid(name) : accounts.gid(name);
    if (id == null) {
      out.note(path + " of " + culprit + ": " + (user ? "user " : "group ") + name + " does not exist in the image,"
          + " using root (as rpm does)");
      return 0;
    }
    return id;
  }

  /** Parent directories neither the image nor the layer has, made as rpm makes them (0755, root). */
  private void parents(String target) throws SafePath.UnsafePathException {
    List<String> missing = new ArrayList<>();
    for (String d = FsEntry.parent(target); d != null && !d.isEmpty(); d = FsEntry.parent(d)) {
      if (fs.resolve(d).isPresent() || out.contains(d)) {
        break;
      }
      missing.add(0, d);
    }
    for (String d : missing) {
      out.directoryIfAbsent(d, 0755, 0, 0, out.epoch());
    }
  }

}
