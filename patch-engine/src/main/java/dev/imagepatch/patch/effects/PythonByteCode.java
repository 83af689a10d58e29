package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Python byte-code left behind by an upgrade. A {@code __pycache__/*.pyc} records its source's
 * modification time and size (or, for hash-based ones, a hash of the source); a package upgrade
 * rewrites the sources, so the image's byte-code goes stale, and Debian's postinst
 * ({@code py3compile}) compiles it again. Compiling needs CPython; what can be done without it is
 * done: when the source's bytes are unchanged, the byte-code is the same code object under a new
 * header, so the header is rewritten (the result is what {@code py3compile} writes); when the
 * source changed or went away, the byte-code is removed, and Python compiles it on first import.
 */
public final class PythonByteCode {
  private static final String CACHE = "/__pycache__/";

  /** A Python source the patch layer writes: its MD5, size and modification time in the layer. */
  public record Source(String md5, long size, long mtimeSeconds) {}

  /** What was done, for the notes. */
  public record Outcome(int refreshed, int removed) {}

  private PythonByteCode() {}

  /** Whether a path is byte-code in a {@code __pycache__} directory, whose content must be at hand. */
  public static boolean isByteCode(String path) {
    return path.endsWith(".pyc") && path.contains(CACHE);
  }

  /** Whether a path is a Python source, whose MD5 tells whether an upgrade changed it. */
  public static boolean isSource(String path) {
    return path.endsWith(".py");
  }

  /**
   * Rewrites or removes the byte-code of the sources the layer writes ({@code written}, by
   * resolved path) or removes ({@code removed}).
   */
  public static Outcome refresh(MergedFilesystem fs, LayerBuilder layer, Map<String, Source> written,
      java.util.Set<String> removed, Path staging, long epoch) throws IOException {
    Map<String, List<String>> bySource = new HashMap<>();
    for (String p : fs.entries().keySet()) {
      if (isByteCode(p)) {
        String source = sourceOf(p);
        if (source != null && (written.containsKey(source) || removed.contains(source))) {
          bySource.computeIfAbsent(source, k -> new ArrayList<>()).add(p);
        }
      }
    }
    int refreshed = 0;
    int gone = 0;
    for (Map.Entry<String, List<String>> e : bySource.entrySet()) {
      Source now = written.get(e.getKey());
      String before = fs.md5(e.getKey()).orElse(null);
      for (String pyc : e.getValue()) {
        if (layer.contains(pyc)) {
          continue;
        }
        FsEntry meta = fs.entry(pyc).orElseThrow();
        Path old = fs.spooled(pyc).orElse(null);
        if (now != null && now.md5().equals(before) && old != null && Files.size(old) >= 16) {
          byte[] header = new byte[16];
          try (InputStream in = Files.newInputStream(old)) {
            in.readNBytes(header, 0, 16);
          }
          if ((le32(header, 4) & 1) != 0) {
            continue; // hash-based: still valid, the source's bytes did not change
          }
          putLe32(header, 8, now.mtimeSeconds());
          putLe32(header, 12, now.size());
          Path file = staging.resolve("pyc-" + refreshed);
          try (OutputStream out = Files.newOutputStream(file); InputStream in = Files.newInputStream(old)) {
            out.write(header);
            in.skipNBytes(16);
            in.transferTo(out);
          }
          layer.file(pyc, meta.mode(), meta.uid(), meta.gid(), epoch, Files.size(file),
              () -> Files.newInputStream(file));
          refreshed++;
        } else {
          layer.whiteout(pyc);
          gone++;
        }
      }
    }
    return new Outcome(refreshed, gone);
  }

  /** {@code dir/__pycache__/mod.cpython-311[.opt-1].pyc} is the byte-code of {@code dir/mod.py}. */
  public static String sourceOf(String pyc) {
    int cache = pyc.lastIndexOf(CACHE);
    String name = pyc.substring(cache + CACHE.length(), pyc.length() - ".pyc".length());
    int opt = name.lastIndexOf(".opt-");
    if (opt >= 0) {
      name = name.substring(0, opt);
    }
    int tag = name.lastIndexOf('.');
    if (tag <= 0 || name.indexOf('/') >= 0) {
      return null;
    }
    return pyc.substring(0, cache) + "/" + name.substring(0, tag) + ".py";
  }

  private static long le32(byte[] b, int at) {
    return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
  }

  // CPython stores both fields modulo 2^32.
  private static void putLe32(byte[] b, int at, long v) {
    for (int i = 0; i < 4; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }
}
