package dev.imagepatch.layer;

import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.DiskBudget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The filesystem an image's layers add up to, as a container runtime (and a scanner) sees it:
 * layers are read top-down, the top-most entry of a path wins, {@code .wh.NAME} whiteouts and
 * {@code .wh..wh..opq} opaque markers hide what lower layers hold, and a non-directory hides
 * everything a lower layer has under its path. Every entry's metadata is kept; file contents only
 * for the paths asked for, and MD5 sums for others (conffile checks), so memory follows the number
 * of entries, not the size of the image.
 */
public final class MergedFilesystem {
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  /** The most one kept file may hold: 64 MiB (a dpkg status or .list file is far smaller). */
  public static final long CONTENT_LIMIT = 64L << 20;
  /**
   * The most all kept files together may hold: 128 MiB by default, raised with the system property
   * {@code imagepatch.maxKeptBytes} (bytes).
   */
  public static final long KEPT_LIMIT = Long.getLong("imagepatch.maxKeptBytes", 128L << 20);

  /** Opens the uncompressed tar stream of one layer. */
  @FunctionalInterface
  public interface LayerStream {
    InputStream open() throws IOException;

    /** What errors call the layer besides its place, e.g. "(sha256:...) of registry/repo"; empty: nothing. */
    default String name() {
      return "";
    }

    /** A stream whose errors name the layer {@code name}. */
    static LayerStream named(String name, LayerStream stream) {
      return new LayerStream() {
        @Override
        public InputStream open() throws IOException {
          return stream.open();
        }

        @Override
        public String name() {
          return name;
        }
      };
    }
  }

  private final Map<String, FsEntry> entries;
  private final Map<String, byte[]> contents;
  private final Map<String, String> md5;
  private final Map<String, Path> spooled;
  private final Map<String, String> probed;

  /** Reads a little of the files it wants (a header, say) while they stream by, and sums it up. */
  public interface Probe {
    boolean wants(String path);

    String probe(InputStream content) throws IOException;
  }

  static final Probe NO_PROBE = new Probe() {
    @Override
    public boolean wants(String path) {
      return false;
    }

    @Override
    public String probe(InputStream content) {
      return null;
    }
  };

  private MergedFilesystem(Map<String, FsEntry> entries, Map<String, byte[]> contents, Map<String, String> md5,
      Map<String, Path> spooled, Map<String, String> probed) {
    this.entries = entries;
    this.contents = contents;
    this.md5 = md5;
    this.spooled = spooled;
    this.probed = probed;
  }

  /**
   * Reads layers given bottom first (manifest order), processing them top-down. {@code keep}
   * selects the paths whose content is kept; {@code hash} those whose MD5 is computed.
   */
  public static MergedFilesystem read(List<LayerStream> layersBottomFirst, Predicate<String> keep,
      Predicate<String> hash) throws IOException {
    return read(layersBottomFirst, keep, hash, p -> false, null, NO_PROBE);
  }

  /**
   * As {@link #read(List, Predicate, Predicate)}, and the content of the paths {@code spool}
   * selects is copied to files in {@code spoolDirectory}, for the many or large files a step may
   * need to rewrite and the heap should not hold; the files {@code probe} wants are summed up by it.
   */
  public static MergedFilesystem read(List<LayerStream> layersBottomFirst, Predicate<String> keep,
      Predicate<String> hash, Predicate<String> spool, Path spoolDirectory, Probe probe) throws IOException {
    return read(layersBottomFirst, keep, hash, spool, spoolDirectory, probe, DiskBudget.unlimited());
  }

  /**
   * As {@link #read(List, Predicate, Predicate, Predicate, Path, Probe)}, the spooled bytes charged
   * to {@code budget}. Kept contents are bounded by {@link #CONTENT_LIMIT} per file and
   * {@link #KEPT_LIMIT} in all, tar headers by {@link Bounded#TAR_HEADER_LIMIT}, and reading stops
   * when the thread is interrupted.
   */
  public static MergedFilesystem read(List<LayerStream> layersBottomFirst, Predicate<String> keep,
      Predicate<String> hash, Predicate<String> spool, Path spoolDirectory, Probe probe, DiskBudget budget)
      throws IOException {
    long kept = 0;
    Map<String, Path> spooled = new HashMap<>();
    Map<String, String> probed = new HashMap<>();
    Map<String, FsEntry> entries = new HashMap<>();
    Map<String, byte[]> contents = new HashMap<>();
    Map<String, String> md5 = new HashMap<>();
    Set<String> hidden = new HashSet<>();
    Set<String> opaque = new HashSet<>();
    for (int i = layersBottomFirst.size() - 1; i >= 0; i--) {
      Set<String> layerHidden = new HashSet<>();
      Set<String> layerOpaque = new HashSet<>();
      LayerStream stream = layersBottomFirst.get(i);
      String layer = "layer " + (i + 1) + " of " + layersBottomFirst.size();
      try (InputStream in = stream.open();
           Bounded.HeaderGuard guard = new Bounded.HeaderGuard(in);
           TarArchiveInputStream tar = new TarArchiveInputStream(guard)) {
        TarArchiveEntry e;
        while ((e = guard.next(tar, Bounded.TAR_HEADER_LIMIT, layer, tar::getNextEntry)) != null) {
          String path = FsEntry.normalize(e.getName());
          if (path.equals("..") || path.startsWith("../") || path.endsWith("/..") || path.contains("/../")) {
            // A runtime refuses to unpack such an entry; no legitimate image has one.
            throw new IOException(layer + ": entry " + SafePath.printable(e.getName()) + " leaves the root");
          }
          String name = path.substring(path.lastIndexOf('/') + 1);
          if (name.startsWith(WHITEOUT)) {
            String dir = FsEntry.parent(path);
            if (name.equals(OPAQUE)) {
              layerOpaque.add(dir);
            } else {
              layerHidden.add((dir.isEmpty() ? "" : dir + "/") + name.substring(WHITEOUT.length()));
            }
            continue;
          }
          if (entries.containsKey(path) || isHidden(path, hidden, opaque, entries)) {
            continue;
          }
          FsEntry entry = Layers.entry(e, path);
          entries.put(path, entry);
          if (entry.type() == FsEntry.Type.FILE) {
            if (keep.test(path)) {
              if (e.getSize() > CONTENT_LIMIT) {
                throw new IOException(layer + ": " + path + ": " + e.getSize() + " bytes is more than a database file"
                    + " should be (the limit is " + CONTENT_LIMIT + ")");
              }
              kept += e.getSize();
              if (kept > KEPT_LIMIT) {
                throw new IOException(layer + ": " + path + ": the database files kept in memory pass their limit of "
                    + KEPT_LIMIT + " bytes (system property imagepatch.maxKeptBytes)");
              }
              byte[] content = new byte[(int) e.getSize()];
              if (tar.readNBytes(content, 0, content.length) != content.length) {
                throw new java.io.EOFException(layer + ": " + path + ": truncated");
              }
              contents.put(path, content);
            } else if (spool.test(path)) {
              Path file = spoolDirectory.resolve(Integer.toString(spooled.size()));
              // Hashed as it is copied: the content is read once either way.
              MessageDigest digest = md5Digest();
              try (java.io.OutputStream out = Files.newOutputStream(file)) {
                Bounded.copy(new java.security.DigestInputStream(tar, digest), out, budget, layer + ": " + path);
              }
              if (hash.test(path)) {
                md5.put(path, HexFormat.of().formatHex(digest.digest()));
              }
              spooled.put(path, file);
            } else if (probe.wants(path)) {
              String summary = probe.probe(tar);
              if (summary != null) {
                probed.put(path, summary);
              }
            } else if (hash.test(path)) {
              md5.put(path, md5(tar));
            }
          }
        }
        // The blob's digest and size are checked only at its end, past the tar's end marker; an
        // unverified layer must fail the whole read before anything read from it is returned.
        in.transferTo(OutputStream.nullOutputStream());
      } catch (java.io.InterruptedIOException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        // Every error names the layer once, with its digest and source when the stream knows them.
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        String named = layer + (stream.name().isEmpty() ? "" : " " + stream.name());
        throw new IOException(message.startsWith(layer + ":") ? named + message.substring(layer.length())
            : named + ": " + message, e);
      }
      hidden.addAll(layerHidden);
      opaque.addAll(layerOpaque);
    }
    return new MergedFilesystem(entries, contents, md5, spooled, probed);
  }

  /** Hidden by a whiteout of it or an ancestor, an opaque ancestor, or a non-directory ancestor above. */
  private static boolean isHidden(String path, Set<String> hidden, Set<String> opaque, Map<String, FsEntry> upper) {
    if (hidden.contains(path)) {
      return true;
    }
    for (String a = FsEntry.parent(path); a != null; a = FsEntry.parent(a)) {
      if (hidden.contains(a) || opaque.contains(a)) {
        return true;
      }
      FsEntry above = upper.get(a);
      if (above != null && !above.isDirectory()) {
        return true;
      }
    }
    return false;
  }

  private static String md5(InputStream in) throws IOException {
    MessageDigest md = md5Digest();
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) >= 0) {
      md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest md5Digest() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The entry at a path, as the merged filesystem has it (no symlink is followed). */
  public Optional<FsEntry> entry(String path) {
    return Optional.ofNullable(entries.get(FsEntry.normalize(path)));
  }

  /** Every entry, by path. */
  public Map<String, FsEntry> entries() {
    return Collections.unmodifiableMap(entries);
  }

  /** The content kept for a path (after {@link #resolve} of its symlinks, if any). */
  public Optional<byte[]> content(String path) {
    return resolve(path).map(contents::get);
  }

  /** The file holding the content of a spooled path (no symlink is followed). */
  public Optional<Path> spooled(String path) {
    return Optional.ofNullable(spooled.get(FsEntry.normalize(path)));
  }

  /** What the probe said of a regular file (no symlink is followed). */
  public Optional<String> probed(String path) {
    return Optional.ofNullable(probed.get(FsEntry.normalize(path)));
  }

  /** The MD5 of a regular file, when it was hashed or kept. */
  public Optional<String> md5(String path) {
    Optional<String> p = resolve(path);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    String hex = md5.get(p.get());
    if (hex == null && contents.containsKey(p.get())) {
      try {
        hex = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(contents.get(p.get())));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return Optional.ofNullable(hex);
  }

  /** Kept contents of every path under a directory (one level), by file name. */
  public Map<String, byte[]> contentsUnder(String directory) {
    String dir = FsEntry.normalize(directory);
    // A single layer need not carry the directory itself, only the files in it.
    String real = resolve(dir).orElse(resolveParent(dir));
    Map<String, byte[]> out = new TreeMap<>();
    String prefix = real.isEmpty() ? "" : real + "/";
    for (Map.Entry<String, byte[]> c : contents.entrySet()) {
      String p = c.getKey();
      if (p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) {
        out.put(p.substring(prefix.length()), c.getValue());
      }
    }
    return out;
  }

  /**
   * The path with every symlink along it followed (absolute and relative targets), as the kernel
   * would; empty when it does not exist or a loop is found.
   */
  public Optional<String> resolve(String path) {
    String p = FsEntry.normalize(path);
    for (int hops = 0; hops < 40; hops++) {
      String resolvedPrefix = resolveDirectories(p);
      if (resolvedPrefix == null) {
        return Optional.empty();
      }
      FsEntry e = entries.get(resolvedPrefix);
      if (e == null && !resolvedPrefix.isEmpty()) {
        return Optional.empty();
      }
      if (e != null && e.type() == FsEntry.Type.SYMLINK) {
        p = join(FsEntry.parent(resolvedPrefix), e.linkTarget());
        continue;
      }
      return Optional.of(resolvedPrefix);
    }
    return Optional.empty();
  }

  /**
   * The path with symlinks among its directories followed, the last component left as it is: where
   * a new file at {@code path} really lands. A usrmerged {@code lib/x} becomes {@code usr/lib/x}.
   */
  public String resolveParent(String path) {
    String p = FsEntry.normalize(path);
    String r = resolveDirectories(p);
    return r == null ? p : r;
  }

  private String resolveDirectories(String path) {
    String p = path;
    for (int hops = 0; hops < 40; hops++) {
      String[] parts = p.isEmpty() ? new String[0] : p.split("/");
      StringBuilder done = new StringBuilder();
      boolean restarted = false;
      for (int i = 0; i < parts.length - 1; i++) {
        String candidate = done.length() == 0 ? parts[i] : done + "/" + parts[i];
        FsEntry e = entries.get(candidate);
        if (e != null && e.type() == FsEntry.Type.SYMLINK) {
          String rest = String.join("/", java.util.Arrays.copyOfRange(parts, i + 1, parts.length));
          p = join(join(FsEntry.parent(candidate), e.linkTarget()), rest);
          restarted = true;
          break;
        }
        done.setLength(0);
        done.append(candidate);
      }
      if (!restarted) {
        return p;
      }
    }
    return null;
  }

  /** Joins a directory and a (relative or absolute) target, resolving "." and "..". */
  static String join(String dir, String target) {
    String base = target.startsWith("/") ? "" : (dir == null ? "" : dir);
    java.util.ArrayDeque<String> stack = new java.util.ArrayDeque<>();
    for (String s : (base + "/" + target).split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        stack.pollLast();
      } else {
        stack.addLast(s);
      }
    }
    return String.join("/", stack);
  }
}
