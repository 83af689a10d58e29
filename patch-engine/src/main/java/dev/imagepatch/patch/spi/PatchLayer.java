package dev.imagepatch.patch.spi;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.effects.ElfInfo;
import dev.imagepatch.patch.effects.LayerTree;
import dev.imagepatch.patch.effects.PythonByteCode;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.DiskBudget;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The patch layer being written over an image, whatever the package family: every path goes
 * through the lower layers' directory symlinks (a usrmerged {@code /lib} stays a symlink), package
 * files are staged on disk as they stream, removed files become whiteouts, and what the layer
 * wrote is known to the post-install effects through {@link #tree()}.
 */
public final class PatchLayer {
  private final DiskBudget budget;
  private final MergedFilesystem image;
  private final Architecture architecture;
  private final Path staging;
  private final long epoch;
  private final long clamp;
  private final LayerBuilder builder = new LayerBuilder();
  private final List<String> notes = new ArrayList<>();
  private final List<ScriptNotRun> notRun = new ArrayList<>();
  private final Set<String> applied = new LinkedHashSet<>();
  private final Set<String> written = new HashSet<>();
  private final Map<String, Path> stagedAt = new HashMap<>();
  private final Map<String, PythonByteCode.Source> pythonSources = new HashMap<>();
  private final Set<String> removed = new HashSet<>();
  private final Map<String, byte[]> generated = new HashMap<>();
  private int staged;

  /** A file's content staged on disk, with its MD5 (the hash dpkg and apk record) and size. */
  public record Staged(Path file, String md5, long size) {}

  /**
   * @param image the lower layers, as a runtime merges them
   * @param staging a directory for package files as they stream
   * @param epochSeconds the time of what the layer generates (databases, configuration)
   * @param clampSeconds the latest time a package's file may carry in the layer
   */
  public PatchLayer(MergedFilesystem image, Architecture architecture, Path staging, long epochSeconds,
      long clampSeconds) {
    this(image, architecture, staging, epochSeconds, clampSeconds, DiskBudget.unlimited());
  }

  /** As the other constructor, the staged bytes charged to {@code budget} (the patch's temporary files). */
  public PatchLayer(MergedFilesystem image, Architecture architecture, Path staging, long epochSeconds,
      long clampSeconds, DiskBudget budget) {
    this.budget = budget;
    this.image = image;
    this.architecture = architecture;
    this.staging = staging;
    this.epoch = epochSeconds;
    this.clamp = clampSeconds;
  }

  public MergedFilesystem image() {
    return image;
  }

  public Architecture architecture() {
    return architecture;
  }

  public LayerBuilder builder() {
    return builder;
  }

  public Path staging() {
    return staging;
  }

  public long epoch() {
    return epoch;
  }

  public long clamp() {
    return clamp;
  }

  /**
   * Where a path of a package lands in the image: normalized and checked once ({@link SafePath}:
   * no "..", no control character), its parent directories resolved through the lower image's
   * symlinks (never through one this layer writes).
   */
  public String target(String path) throws SafePath.UnsafePathException {
    return SafePath.relative(image.resolveParent(SafePath.relative(path)));
  }

  /** Refuses a path that would be written through a symlink this layer (a package of it) writes. */
  private void notThroughOwnSymlink(String target) throws SafePath.UnsafePathException {
    Optional<String> link = builder.symlinkAbove(target);
    if (link.isPresent()) {
      throw new SafePath.UnsafePathException("/" + SafePath.printable(target) + ": under /" + link.get()
          + ", a symlink this layer writes; nothing is written through a package's own symlinks");
    }
  }

  /** Streams content to a staging file, hashing it as it goes. */
  public Staged stage(InputStream content) throws IOException {
    Path file = staging.resolve(Integer.toString(staged++));
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
      Bounded.copy(content, out, budget, "a package's file staged as " + file.getFileName());
    }
    return new Staged(file, HexFormat.of().formatHex(md.digest()), Files.size(file));
  }

  /** A package's regular file at {@code target} (already resolved), from its staged content. */
  public void file(String target, int mode, long uid, long gid, long mtime, Staged content)
      throws SafePath.UnsafePathException {
    notThroughOwnSymlink(target);
    builder.file(target, mode, uid, gid, mtime, content.size(), () -> Files.newInputStream(content.file()));
    written.add(target);
    stagedAt.put(target, content.file());
    if (PythonByteCode.isSource(target)) {
      pythonSources.put(target, new PythonByteCode.Source(content.md5(), content.size(), Math.min(mtime, clamp)));
    }
  }

  /** A file the layer generates (database, configuration), stamped with the layer's epoch. */
  public void bytes(String path, int mode, byte[] content) {
    generated.put(FsEntry.normalize(path), content);
    builder.file(path, mode, 0, 0, epoch, content.length, () -> new ByteArrayInputStream(content));
  }

  /** A directory, unless the image or the layer has one there already (or a symlink to one). */
  public void directoryIfAbsent(String target, int mode, long uid, long gid, long mtime)
      throws SafePath.UnsafePathException {
    notThroughOwnSymlink(target);
    if (image.entry(target).isEmpty() && !builder.contains(target)) {
      builder.directory(target, mode, uid, gid, mtime);
    }
  }

  public void symlink(String target, String linkName, long uid, long gid, long mtime)
      throws SafePath.UnsafePathException {
    notThroughOwnSymlink(target);
    if (builder.hasEntriesUnder(target)) {
      throw new SafePath.UnsafePathException("/" + SafePath.printable(target) + ": a symlink over what this layer"
          + " already wrote under it; the layer would be unpacked through it");
    }
    builder.symlink(target, linkName, uid, gid, mtime);
    written.add(target);
  }

  /**
   * A hard link to {@code linkedTarget} (resolved with {@link #target}), which must be a regular file
   * this layer writes or the image has.
   */
  public void hardlink(String target, String linkedTarget, int mode, long uid, long gid, long mtime)
      throws SafePath.UnsafePathException {
    notThroughOwnSymlink(target);
    notThroughOwnSymlink(linkedTarget);
    boolean inLayer = builder.entry(linkedTarget).filter(e -> e.type() == FsEntry.Type.FILE
        || e.type() == FsEntry.Type.HARDLINK).isPresent();
    boolean inImage = !builder.contains(linkedTarget) && image.entry(linkedTarget)
        .filter(e -> e.type() == FsEntry.Type.FILE).isPresent();
    if (!inLayer && !inImage) {
      throw new SafePath.UnsafePathException("/" + SafePath.printable(target) + ": hard link to /"
          + SafePath.printable(linkedTarget) + ", which is no regular file of the package or the image");
    }
    builder.hardlink(target, linkedTarget, mode, uid, gid, mtime);
    written.add(target);
  }

  /**
   * Removes a path of the image; nothing to do under a symlink this layer writes, which hides what
   * the image had there (and a whiteout there would be unpacked through it).
   */
  public void whiteout(String target) {
    if (builder.symlinkAbove(FsEntry.normalize(target)).isPresent()) {
      return;
    }
    builder.whiteout(target);
    removed.add(target);
  }

  /** Whether a package of this layer wrote the path. */
  public boolean wrote(String target) {
    return written.contains(target);
  }

  /**
   * Whether the layer wrote or removed anything under one of {@code directories} (image paths,
   * each resolved through the image's symlinks as a package's files are): what a trigger watching
   * them would fire on.
   */
  public boolean touchesUnder(List<String> directories) {
    List<String> prefixes = new ArrayList<>();
    for (String d : directories) {
      prefixes.add(image.resolve(d).orElse(image.resolveParent(d)) + "/");
    }
    for (String path : builder.entries().keySet()) {
      for (String prefix : prefixes) {
        if (path.startsWith(prefix)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the layer has an entry at the path. */
  public boolean contains(String target) {
    return builder.contains(target);
  }

  /** The content of a file the layer generated with {@link #bytes} (its database, ...), if any. */
  public Optional<byte[]> generated(String path) {
    return Optional.ofNullable(generated.get(FsEntry.normalize(path)));
  }

  /** Paths the layer removed. */
  public Set<String> removed() {
    return Collections.unmodifiableSet(removed);
  }

  /** Python sources the layer writes, by resolved path. */
  public Map<String, PythonByteCode.Source> pythonSources() {
    return Collections.unmodifiableMap(pythonSources);
  }

  /** A decision worth telling the user (a conffile kept, ...). */
  public void note(String note) {
    notes.add(note);
  }

  public List<String> notes() {
    return Collections.unmodifiableList(notes);
  }

  /** A script whose effects were not reproduced. */
  public void notRun(ScriptNotRun script) {
    notRun.add(script);
  }

  public List<ScriptNotRun> scriptsNotRun() {
    return Collections.unmodifiableList(notRun);
  }

  /** Marks an effect (or a family's own configuration step) as done, so its trigger counts as processed. */
  public void applied(String effect) {
    applied.add(effect);
  }

  public boolean wasApplied(String effect) {
    return applied.contains(effect);
  }

  /** Runs effects in order, marking each that succeeds. */
  public void run(List<PostInstallEffect> effects, List<PackageChange> changes) throws IOException {
    for (PostInstallEffect e : effects) {
      if (e.apply(this, changes)) {
        applied(e.name());
      }
    }
  }

  /** The image with this layer over it, as post-install steps read it. */
  public LayerTree tree() {
    return new Tree();
  }

  private final class Tree implements LayerTree {
    private final Map<String, FsEntry> upper = builder.entries();

    @Override
    public Optional<FsEntry> entry(String path) {
      String p = image.resolveParent(FsEntry.normalize(path));
      FsEntry e = upper.get(p);
      if (e != null) {
        return Optional.of(e);
      }
      return hidden(p) ? Optional.empty() : image.entry(p);
    }

    @Override
    public Optional<byte[]> read(String path) throws IOException {
      String p = image.resolveParent(FsEntry.normalize(path));
      Path file = stagedAt.get(p);
      if (file != null) {
        return Optional.of(Files.readAllBytes(file));
      }
      if (upper.containsKey(p) || hidden(p)) {
        return Optional.empty();
      }
      return image.content(p);
    }

    @Override
    public Set<String> list(String directory) {
      String dir = image.resolveParent(FsEntry.normalize(directory) + "/x");
      dir = dir.substring(0, dir.length() - 1);
      Set<String> names = new TreeSet<>();
      for (String p : image.entries().keySet()) {
        if (p.startsWith(dir) && p.length() > dir.length() && p.indexOf('/', dir.length()) < 0 && !hidden(p)) {
          names.add(p.substring(dir.length()));
        }
      }
      for (String p : upper.keySet()) {
        if (p.startsWith(dir) && p.length() > dir.length() && p.indexOf('/', dir.length()) < 0) {
          String name = p.substring(dir.length());
          if (!name.startsWith(".wh.")) {
            names.add(name);
          }
        }
      }
      return names;
    }

    @Override
    public Optional<ElfInfo> elf(String path) throws IOException {
      String p = FsEntry.normalize(path);
      Path file = stagedAt.get(p);
      if (file != null) {
        try (InputStream in = Files.newInputStream(file)) {
          return ElfInfo.read(in);
        }
      }
      if (upper.containsKey(p) || hidden(p)) {
        return Optional.empty();
      }
      return image.probed(p).map(ElfInfo::decode);
    }

    /** Whether a whiteout in this layer hides the path or one of its parents. */
    private boolean hidden(String path) {
      String p = path;
      while (p != null && !p.isEmpty()) {
        String parent = FsEntry.parent(p);
        String name = p.substring(p.lastIndexOf('/') + 1);
        if (upper.containsKey((parent == null || parent.isEmpty() ? "" : parent + "/") + ".wh." + name)) {
          return true;
        }
        p = parent;
      }
      return false;
    }
  }
}
