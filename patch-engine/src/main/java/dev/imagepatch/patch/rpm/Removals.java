package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.RpmPackage.RpmFile;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What rpm erases of the versions a transaction replaces or removes: whiteouts for their files
 * no package owns afterwards (a config file the image changed kept as {@code .rpmsave}, as rpm's
 * erase saves it), and for their directories only once nothing is left under them (rpm removes
 * an unowned directory only when it is empty); never for what another package still owns.
 */
final class Removals {
  private final PatchLayer out;
  private final MergedFilesystem fs;
  private final FileFate fate;
  private final Set<String> owned;
  private final List<String> dirs = new ArrayList<>();
  private final Set<String> removedPaths = new HashSet<>();

  /** @param owned every path (resolved) a package owns after the transaction */
  Removals(PatchLayer out, FileFate fate, Set<String> owned) {
    this.out = out;
    this.fs = out.image();
    this.fate = fate;
    this.owned = owned;
  }

  /** The files of an old version, as its header lists them. */
  void of(InstalledRpm old) throws IOException {
    int algo = (int) old.header().number(Tags.FILEDIGESTALGO).orElse(Tags.DIGEST_MD5);
    for (RpmFile f : RpmPackage.files(old.header())) {
      String target = candidate(f.path());
      if (target == null) {
        continue;
      }
      if (f.isConfig() && !f.isGhost() && fate.modified(target, f, algo)) {
        fate.keepCopy(out, target, target + ".rpmsave");
        out.note("/" + target + ": changed in the image and no longer packaged, saved as /" + target + ".rpmsave");
      }
      remove(target);
    }
  }

  /** The files of an old version known by its path list only (no config decisions). */
  void of(List<String> paths) {
    for (String path : paths) {
      String target = candidate(path);
      if (target != null) {
        remove(target);
      }
    }
  }

  /** The paths whited out so far (for file triggers). */
  Set<String> removedPaths() {
    return removedPaths;
  }

  /** Whiteouts for the old versions' directories nothing is left under, deepest first. */
  void directories() {
    dirs.sort((a, b) -> b.length() - a.length());
    for (String d : dirs) {
      if (emptyAfter(d)) {
        out.whiteout(d);
      }
    }
  }

  /** The resolved path if it is a non-directory to erase; directories are remembered for later. */
  private String candidate(String path) {
    String target = fs.resolveParent(FsEntry.normalize(path));
    if (target.isEmpty() || owned.contains(target) || out.wrote(target)) {
      return null;
    }
    Optional<FsEntry> e = fs.entry(target);
    if (e.isEmpty()) {
      return null;
    }
    if (e.get().isDirectory()) {
      dirs.add(target);
      return null;
    }
    return target;
  }

  private void remove(String target) {
    removedPaths.add(target);
    out.whiteout(target);
  }

  /** Whether everything the image has under {@code dir} is removed by this layer and nothing is written there. */
  private boolean emptyAfter(String dir) {
    if (out.builder().hasEntriesUnder(dir)) {
      // whiteouts are entries too: only removals may be there
      for (String p : out.builder().entries().keySet()) {
        if (p.startsWith(dir + "/") && !p.substring(p.lastIndexOf('/') + 1).startsWith(".wh.")) {
          return false;
        }
      }
    }
    for (String p : fs.entries().keySet()) {
      if (p.startsWith(dir + "/") && !hidden(p)) {
        return false;
      }
    }
    return true;
  }

  private boolean hidden(String path) {
    for (String p = path; p != null && !p.isEmpty(); p = FsEntry.parent(p)) {
      if (out.removed().contains(p)) {
        return true;
      }
    }
    return false;
  }
}
