package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.pkg.rpm.RpmPackage.RpmFile;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What rpm does with a {@code %config} file it installs over one already in the image
 * ({@code rpmfilesDecideFate} and {@code handleOverlappedFiles} of rpm 4.18): replace it when the
 * image's copy is what the old version shipped; leave it when the package did not change it; else
 * keep both, the image's as {@code .rpmsave} (plain {@code %config}) or the new one as
 * {@code .rpmnew} ({@code %config(noreplace)}); a config file no installed package owned but the
 * image has is kept as {@code .rpmorig} (or the new one as {@code .rpmnew}).
 */
final class FileFate {
  enum Action {
    /** Write the new file. */
    CREATE,
    /** Write nothing: the image keeps its own. */
    SKIP,
    /** Write the new file as {@code <path>.rpmnew}. */
    ALTNAME,
    /** Copy the image's file to {@code <path>.rpmsave}, then write the new one. */
    SAVE,
    /** Copy the image's file to {@code <path>.rpmorig}, then write the new one. */
    BACKUP
  }

  private final MergedFilesystem image;

  FileFate(MergedFilesystem image) {
    this.image = image;
  }

  /**
   * The action for the new version's config file {@code file} at (resolved) {@code target}, the old
   * version's entry for the same path being {@code old} (null when it had none) with digests of
   * {@code oldAlgo}; the new digest is of {@code newAlgo}.
   */
  Action decide(String target, RpmFile file, RpmFile old, int oldAlgo, int newAlgo) throws IOException {
    Optional<FsEntry> disk = image.entry(target);
    if (!file.isConfig() || disk.isEmpty() || disk.get().isDirectory()) {
      return Action.CREATE;
    }
    boolean noreplace = file.isNoReplace();
    if (old == null) {
      // An overlapped pre-existing config file (no package of this patch owned it): kept if it differs.
      if (!file.isRegular() || disk.get().type() != FsEntry.Type.FILE) {
        return Action.CREATE;
      }
      Optional<String> onDisk = digest(target, newAlgo);
      if (onDisk.isEmpty() || onDisk.get().equalsIgnoreCase(file.digest())) {
        return Action.CREATE;
      }
      return noreplace ? Action.ALTNAME : Action.BACKUP;
    }
    Action save = noreplace ? Action.ALTNAME : Action.SAVE;
    boolean oldReg = old.isRegular();
    boolean oldLink = old.isSymlink();
    if (oldReg != file.isRegular() || oldLink != file.isSymlink()) {
      return Action.CREATE; // the file's type changed
    }
    if (file.isRegular()) {
      if (disk.get().type() != FsEntry.Type.FILE) {
        return save;
      }
      Optional<String> onDisk = digest(target, oldAlgo);
      if (onDisk.isEmpty() || onDisk.get().equalsIgnoreCase(old.digest())) {
        return Action.CREATE; // unmodified config file
      }
      if (oldAlgo == newAlgo && old.digest().equalsIgnoreCase(file.digest())) {
        return Action.SKIP; // the package did not change it: the image's edit stays
      }
      if (digest(target, newAlgo).map(d -> d.equalsIgnoreCase(file.digest())).orElse(false)) {
        return Action.CREATE; // the image already has the new content
      }
      return save;
    }
    if (file.isSymlink()) {
      if (disk.get().type() != FsEntry.Type.SYMLINK) {
        return save;
      }
      String link = disk.get().linkTarget();
      if (link.equals(old.linkTo()) || link.equals(file.linkTo())) {
        return Action.CREATE;
      }
      return old.linkTo().equals(file.linkTo()) ? Action.SKIP : save;
    }
    return Action.CREATE;
  }

  /** Whether the image's regular file at {@code target} differs from what {@code old} shipped. */
  boolean modified(String target, RpmFile old, int algo) throws IOException {
    Optional<FsEntry> disk = image.entry(target);
    if (disk.isEmpty() || disk.get().type() != FsEntry.Type.FILE || !old.isRegular()) {
      return false;
    }
    return digest(target, algo).map(d -> !d.equalsIgnoreCase(old.digest())).orElse(false);
  }

  /** The digest of the image's file (spooled or kept), in rpm's file digest algorithm; empty if not read. */
  Optional<String> digest(String target, int algo) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(switch (algo) {
        case Tags.DIGEST_MD5 -> "MD5";
        case Tags.DIGEST_SHA1 -> "SHA-1";
        case Tags.DIGEST_SHA224 -> "SHA-224";
        case Tags.DIGEST_SHA384 -> "SHA-384";
        case Tags.DIGEST_SHA512 -> "SHA-512";
        default -> "SHA-256";
      });
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Optional<Path> spooled = image.spooled(target);
    if (spooled.isPresent()) {
      try (InputStream in = Files.newInputStream(spooled.get())) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) >= 0; ) {
          md.update(buf, 0, n);
        }
      }
    } else {
      Optional<byte[]> kept = image.content(target);
      if (kept.isEmpty()) {
        return Optional.empty();
      }
      md.update(kept.get());
    }
    return Optional.of(HexFormat.of().formatHex(md.digest()));
  }

  /** The image's file at {@code target} copied to {@code copy} in {@code out} (rpm renames it there). */
  void keepCopy(dev.imagepatch.patch.spi.PatchLayer out, String target, String copy) throws IOException {
    FsEntry e = image.entry(target).orElseThrow();
    if (e.type() == FsEntry.Type.SYMLINK) {
      out.symlink(copy, e.linkTarget(), e.uid(), e.gid(), e.mtimeSeconds());
      return;
    }
    Optional<InputStream> in = open(target);
    if (in.isEmpty()) {
      throw new IOException("/" + target + ": its content was not read from the image, so it cannot be saved");
    }
    dev.imagepatch.patch.spi.PatchLayer.Staged staged;
    try (InputStream s = in.get()) {
      staged = out.stage(s);
    }
    out.file(copy, e.mode() & 07777, e.uid(), e.gid(), e.mtimeSeconds(), staged);
  }

  /** The image's file content, for a copy kept as .rpmsave/.rpmorig; empty if it was not read. */
  Optional<InputStream> open(String target) throws IOException {
    Optional<Path> spooled = image.spooled(target);
    if (spooled.isPresent()) {
      return Optional.of(Files.newInputStream(spooled.get()));
    }
    return image.content(target).map(java.io.ByteArrayInputStream::new);
  }
}
