package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What {@code ldconfig} does when the {@code ldconfig} trigger runs: scan the directories of
 * {@code /etc/ld.so.conf} and the built-in ones, make the missing soname links, drop dangling
 * {@code .so.} links, and write {@code /etc/ld.so.cache} in glibc's format (new format 1.1 with the
 * generator extension, string table with tail merging, entries in {@code _dl_cache_libcmp} order)
 * so that it is the same file glibc 2.36's ldconfig writes for the same tree.
 */
public final class LdCache {
  public static final String CACHE = "etc/ld.so.cache";
  public static final String CONF = "etc/ld.so.conf";
  public static final String TRIGGER = "ldconfig";
  private static final String MAGIC = "glibc-ld.so.cache1.1";
  private static final int EXTENSION_MAGIC = 0xeaa42174;
  private static final int HEADER = 48;
  private static final int ENTRY = 24;
  private static final Set<String> HWCAP_DIRS = Set.of("tls", "glibc-hwcaps", "haswell", "xeon_phi", "x86_64",
      "i386", "i486", "i586", "i686", "sse2", "avx512_1");

  /** The image with the patch layer over it. */

  /** A new cache, the links to make, the dangling links to remove; or why nothing was done. */
  public record Outcome(byte[] cache, Map<String, String> links, Set<String> removed, String problem) {
    static Outcome giveUp(String why) {
      return new Outcome(null, Map.of(), Set.of(), why);
    }
  }

  private record Arch(String triplet, int elfClass, int machine, int flags) {}

  private static final Map<String, Arch> ARCHES = Map.of(
      "amd64", new Arch("x86_64-linux-gnu", 64, 62, 0x0303),
      "arm64", new Arch("aarch64-linux-gnu", 64, 183, 0x0a03));

  private record Lib(String name, String soname, boolean isLink) {}

  private record Entry(String lib, String path, int flags) {}

  private final LayerTree tree;

  private LdCache(LayerTree tree) {
    this.tree = tree;
  }

  /**
   * Runs ldconfig over the tree.
   *
   * @param generator the generator string to record, {@code ldconfig (...) stable release version X}
   */
  public static Outcome run(LayerTree tree, String architecture, String generator) throws IOException {
    return run(tree, architecture, generator, null);
  }

  /**
   * Runs ldconfig over the tree, with the directories it searches after /etc/ld.so.conf's.
   *
   * @param systemDirs ldconfig's built-in directories (glibc's SLIBDIR and LIBDIR: {@code /lib64},
   *     {@code /usr/lib64} as Fedora and RHEL build it); null for Debian's (the multiarch
   *     directories, then {@code /lib}, {@code /usr/lib})
   */
  public static Outcome run(LayerTree tree, String architecture, String generator, List<String> systemDirs)
      throws IOException {
    Arch arch = ARCHES.get(architecture);
    if (arch == null) {
      return Outcome.giveUp("ldconfig is reproduced for amd64 and arm64, not " + architecture);
    }
    return new LdCache(tree).scan(arch, generator, systemDirs);
  }

  /** The generator string of an existing cache, if it has one. */
  public static Optional<String> generator(byte[] cache) {
    if (cache.length < HEADER || !new String(cache, 0, MAGIC.length(), StandardCharsets.ISO_8859_1).equals(MAGIC)) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(cache).order(ByteOrder.LITTLE_ENDIAN);
    int ext = b.getInt(32);
    if (ext <= 0 || ext + 8 > cache.length || b.getInt(ext) != EXTENSION_MAGIC) {
      return Optional.empty();
    }
    int count = b.getInt(ext + 4);
    for (int i = 0; i < count && ext + 8 + 16 * (i + 1) <= cache.length; i++) {
      int at = ext + 8 + 16 * i;
      if (b.getInt(at) == 0) {
        int off = b.getInt(at + 8);
        int size = b.getInt(at + 12);
        if (off >= 0 && size >= 0 && (long) off + size <= cache.length) {
          return Optional.of(new String(cache, off, size, StandardCharsets.ISO_8859_1));
        }
      }
    }
    return Optional.empty();
  }

  private Outcome scan(Arch arch, String generator, List<String> systemDirs) throws IOException {
    List<String> dirs = new ArrayList<>();
    conf("/" + CONF, dirs, 0);
    dirs.addAll(systemDirs != null ? systemDirs
        : List.of("/lib/" + arch.triplet(), "/usr/lib/" + arch.triplet(), "/lib", "/usr/lib"));
    // One entry per directory, by identity; the first spelling wins, as with ldconfig's inode check.
    Map<String, String> byIdentity = new LinkedHashMap<>();
    for (String d : dirs) {
      String real = resolve(d.substring(1));
      if (real != null && tree.entry(real).map(FsEntry::isDirectory).orElse(real.isEmpty())) {
        byIdentity.putIfAbsent(real, d);
      }
    }
    List<Entry> entries = new ArrayList<>();
    Map<String, String> links = new TreeMap<>();
    Set<String> removed = new TreeSet<>();
    for (Map.Entry<String, String> dir : byIdentity.entrySet()) {
      String real = dir.getKey();
      String path = dir.getValue();
      Map<String, Lib> libs = new LinkedHashMap<>();
      for (String name : tree.list(real)) {
        if (!isDso(name) && !HWCAP_DIRS.contains(name) || name.endsWith(".#prelink#")
            || name.contains(".#prelink#.")) {
          continue;
        }
        String at = (real.isEmpty() ? "" : real + "/") + name;
        FsEntry e = tree.entry(at).orElse(null);
        if (e == null) {
          continue;
        }
        boolean isLink = e.type() == FsEntry.Type.SYMLINK;
        String target = isLink ? resolve(at) : at;
        Optional<FsEntry> t = target == null ? Optional.empty() : tree.entry(target);
        if (isLink && t.isEmpty()) {
          if (name.contains(".so.")) {
            removed.add(at);
          }
          continue;
        }
        if (t.get().isDirectory()) {
          if (HWCAP_DIRS.contains(name)) {
            return Outcome.giveUp(path + "/" + name + ": hardware-capability subdirectories are not reproduced");
          }
          continue;
        }
        if (!isDso(name) || t.get().type() != FsEntry.Type.FILE) {
          continue;
        }
        Optional<ElfInfo> elf = tree.elf(target);
        if (elf.isEmpty()) {
          continue;
        }
        ElfInfo info = elf.get();
        if (info.type() != ElfInfo.ET_DYN) {
          continue;
        }
        if (info.elfClass() != arch.elfClass() || info.machine() != arch.machine()) {
          return Outcome.giveUp(path + "/" + name + ": a library of another ELF class or machine");
        }
        String soname = info.soname() != null ? info.soname() : name;
        if (isLink && !name.equals(soname) && !(name.endsWith(".so") && soname.startsWith(name))) {
          isLink = false;
        }
        if (isLink) {
          soname = name;
        }
        Lib known = libs.get(soname);
        if (known == null) {
          libs.put(soname, new Lib(name, soname, isLink));
        } else if ((!isLink && known.isLink()) || (isLink == known.isLink() && libcmp(known.name(), name) < 0)) {
          libs.put(soname, new Lib(name, soname, isLink));
        }
      }
      for (Lib lib : libs.values()) {
        if (!lib.isLink() && !lib.name().equals(lib.soname())) {
          String so = (real.isEmpty() ? "" : real + "/") + lib.soname();
          String file = (real.isEmpty() ? "" : real + "/") + lib.name();
          Optional<FsEntry> existing = tree.entry(so);
          String soTarget = existing.isPresent() ? resolve(so) : null;
          boolean exists = soTarget != null && tree.entry(soTarget).isPresent();
          if (exists ? !soTarget.equals(resolve(file)) && existing.get().type() == FsEntry.Type.SYMLINK
              : existing.isEmpty() || existing.get().type() == FsEntry.Type.SYMLINK) {
            links.put(so, lib.name());
            removed.remove(so);
          }
        }
        entries.add(new Entry(lib.soname(), path + "/" + lib.soname(), arch.flags()));
      }
    }
    entries.sort((a, b) -> {
      int res = libcmp(b.lib(), a.lib());
      return res != 0 ? res : Integer.compare(b.flags(), a.flags());
    });
    return new Outcome(write(entries, generator), links, removed, null);
  }

  /** Reads a configuration file: directories, {@code include} globs, {@code hwcap} lines ignored. */
  private void conf(String file, List<String> dirs, int depth) throws IOException {
    if (depth > 16) {
      return;
    }
    Optional<byte[]> content = tree.read(file.substring(1));
    if (content.isEmpty()) {
      return;
    }
    for (String raw : new String(content.get(), StandardCharsets.UTF_8).split("\n")) {
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("include") && line.length() > 7 && Character.isWhitespace(line.charAt(7))) {
        for (String pattern : line.substring(8).strip().split("\\s+")) {
          String abs = pattern.startsWith("/") ? pattern : file.substring(0, file.lastIndexOf('/') + 1) + pattern;
          for (String match : glob(abs)) {
            conf(match, dirs, depth + 1);
          }
        }
      } else if (line.startsWith("hwcap") && line.length() > 5 && Character.isWhitespace(line.charAt(5))) {
        continue;
      } else {
        String dir = line.split("[=\\s]", 2)[0];
        while (dir.length() > 1 && dir.endsWith("/")) {
          dir = dir.substring(0, dir.length() - 1);
        }
        if (dir.startsWith("/")) {
          dirs.add(dir);
        }
      }
    }
  }

  /** Expands {@code *} and {@code ?} in the last component, sorted in byte order as glob(3) does in C. */
  private List<String> glob(String pattern) {
    int slash = pattern.lastIndexOf('/');
    String dir = pattern.substring(0, slash);
    String name = pattern.substring(slash + 1);
    if (!name.contains("*") && !name.contains("?")) {
      return List.of(pattern);
    }
    String real = resolve(dir.substring(1));
    if (real == null) {
      return List.of();
    }
    Pattern p = Pattern.compile(Pattern.quote(name).replace("*", "\\E[^/]*\\Q").replace("?", "\\E[^/]\\Q"));
    List<String> out = new ArrayList<>();
    for (String n : new TreeSet<>(tree.list(real))) {
      if (p.matcher(n).matches() && !n.startsWith(".")) {
        out.add(dir + "/" + n);
      }
    }
    return out;
  }

  /** Resolves every symlink of a path (no leading slash); null when it dangles or loops. */
  private String resolve(String path) {
    List<String> done = new ArrayList<>();
    java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(path.split("/")));
    int hops = 0;
    while (!todo.isEmpty()) {
      String part = todo.poll();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      String at = String.join("/", done) + (done.isEmpty() ? "" : "/") + part;
      Optional<FsEntry> e = tree.entry(at);
      if (e.isPresent() && e.get().type() == FsEntry.Type.SYMLINK) {
        if (++hops > 40) {
          return null;
        }
        String target = e.get().linkTarget();
        List<String> rest = new ArrayList<>(List.of(target.split("/")));
        rest.addAll(todo);
        todo.clear();
        todo.addAll(rest);
        if (target.startsWith("/")) {
          done.clear();
        }
        continue;
      }
      if (e.isEmpty() && !todo.isEmpty()) {
        return null;
      }
      done.add(part);
    }
    String out = String.join("/", done);
    return out.isEmpty() || tree.entry(out).isPresent() ? out : null;
  }

  /** {@code _dl_is_dso}: lib*.so*, ld-*.so*, ld.so.*, ld64.so.*. */
  public static boolean isDso(String name) {
    return ((name.startsWith("lib") || name.startsWith("ld-")) && name.contains(".so"))
        || name.startsWith("ld.so.") || name.startsWith("ld64.so.");
  }

  /** glibc's {@code _dl_cache_libcmp}: digit runs compare as numbers (C int arithmetic), a digit sorts after a non-digit. */
  public static int libcmp(String a, String b) {
    byte[] p1 = a.getBytes(StandardCharsets.ISO_8859_1);
    byte[] p2 = b.getBytes(StandardCharsets.ISO_8859_1);
    int i = 0;
    int j = 0;
    while (i < p1.length) {
      int c1 = p1[i] & 0xff;
      int c2 = j < p2.length ? p2[j] & 0xff : 0;
      if (digit(c1)) {
        if (digit(c2)) {
          int v1 = 0;
          int v2 = 0;
          while (i < p1.length && digit(p1[i] & 0xff)) {
            v1 = v1 * 10 + (p1[i++] & 0xff) - '0';
          }
          while (j < p2.length && digit(p2[j] & 0xff)) {
            v2 = v2 * 10 + (p2[j++] & 0xff) - '0';
          }
          if (v1 != v2) {
            return v1 - v2;
          }
        } else {
          return 1;
        }
      } else if (digit(c2)) {
        return -1;
      } else if (c1 != c2) {
        return c1 - c2;
      } else {
        i++;
        j++;
      }
    }
    return 0 - (j < p2.length ? p2[j] & 0xff : 0);
  }

  private static boolean digit(int c) {
    return c >= '0' && c <= '9';
  }

  /** The cache file: header, entries, tail-merged strings, the generator extension. */
  private static byte[] write(List<Entry> entries, String generator) {
    Set<String> strings = new LinkedHashSet<>();
    for (Entry e : entries) {
      strings.add(e.path());
      strings.add(e.lib());
    }
    // stringtable_finalize: reversed strings in reverse order, longer first on ties; a string
    // that ends the previous one shares its bytes.
    List<byte[]> sorted = new ArrayList<>();
    strings.forEach(s -> sorted.add(s.getBytes(StandardCharsets.ISO_8859_1)));
    sorted.sort(LdCache::finalizeCompare);
    Map<String, Integer> offsets = new java.util.HashMap<>();
    ByteArrayOutputStream table = new ByteArrayOutputStream();
    byte[] previous = null;
    int previousOffset = 0;
    for (byte[] s : sorted) {
      int offset;
      if (previous != null && previous.length >= s.length && endsWith(previous, s)) {
        offset = previousOffset + previous.length - s.length;
      } else {
        offset = table.size();
        table.write(s, 0, s.length);
        table.write(0);
      }
      offsets.put(new String(s, StandardCharsets.ISO_8859_1), offset);
      previous = s;
      previousOffset = offset;
    }
    byte[] gen = generator.getBytes(StandardCharsets.ISO_8859_1);
    int stringsAt = HEADER + ENTRY * entries.size();
    int extension = (stringsAt + table.size() + 3) & ~3;
    ByteBuffer b = ByteBuffer.allocate(extension + 24 + gen.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC.getBytes(StandardCharsets.ISO_8859_1));
    b.putInt(entries.size());
    b.putInt(table.size());
    b.put((byte) 2); // cache_file_new_flags_endian_little
    b.put(new byte[3]);
    b.putInt(extension);
    b.put(new byte[12]);
    for (Entry e : entries) {
      b.putInt(e.flags());
      b.putInt(stringsAt + offsets.get(e.lib()));
      b.putInt(stringsAt + offsets.get(e.path()));
      b.putInt(0);
      b.putLong(0);
    }
    b.put(table.toByteArray());
    b.position(extension);
    b.putInt(EXTENSION_MAGIC);
    b.putInt(1);
    b.putInt(0); // cache_extension_tag_generator
    b.putInt(0);
    b.putInt(extension + 24);
    b.putInt(gen.length);
    b.put(gen);
    return b.array();
  }

  private static int finalizeCompare(byte[] l, byte[] r) {
    int n = Math.min(l.length, r.length);
    for (int i = 1; i <= n; i++) {
      int lc = l[l.length - i] & 0xff;
      int rc = r[r.length - i] & 0xff;
      if (lc != rc) {
        return rc - lc;
      }
    }
    return Integer.compare(r.length, l.length);
  }

  private static boolean endsWith(byte[] whole, byte[] tail) {
    for (int i = 1; i <= tail.length; i++) {
      if (whole[whole.length - i] != tail[tail.length - i]) {
        return false;
      }
    }
    return true;
  }
}
