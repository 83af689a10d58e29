package dev.imagepatch.patch.apk;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.effects.LayerTree;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Alpine's busybox trigger and post-upgrade script, reproduced: {@code busybox --install -s} makes
 * a symlink to busybox for every applet in the applet's own directory, unless something (a file,
 * a link, even a dangling one) is there already; the post-upgrade script first removes the links
 * to {@code /bin/busybox} in {@code bin sbin usr/bin usr/sbin} that the new binary no longer
 * installs there, and the links {@code /bin/ping} and {@code /bin/ping6} to {@code /bin/bbsuid}.
 *
 * <p>The applets and their directories are read from the busybox binary itself, never run: the
 * build leaves {@code applet_names} (NUL-separated, sorted, starting {@code "[\0[[\0"}) and
 * {@code applet_install_loc} (one nibble per applet, {@code BB_DIR_ROOT}=0, {@code BIN}=1,
 * {@code SBIN}=2, {@code USR_BIN}=3, {@code USR_SBIN}=4) in the ELF's read-only data, whatever
 * the architecture. See {@link #applets}.
 *
 * <p>The trigger fires when a package of the transaction changes one of those directories (the
 * busybox package's {@code triggers} line), so the links an upgrade removed with a shadowing file
 * come back; nothing is done otherwise. {@code /bin/busybox-extras --install -s}, which the
 * trigger runs first, is reproduced the same way; {@code /bin/bbsuid --install} (a list compiled
 * into another program) is not, and an image with it gets a note and {@code false}. The busybox
 * {@code depmod} the trigger runs for {@code /lib/modules/*} is not reproduced (no kernel modules
 * in a container image).
 */
final class BusyboxApplets implements PostInstallEffect {
  /** The effect's (and the trigger's) name. */
  static final String NAME = "busybox";
  static final String PACKAGE = "busybox";
  static final String BINARY = "bin/busybox";
  static final String EXTRAS = "bin/busybox-extras";
  static final String BBSUID = "bin/bbsuid";
  /** Where busybox puts an applet, by {@code BB_DIR_*}. */
  static final List<String> DIRECTORIES = List.of("", "bin", "sbin", "usr/bin", "usr/sbin");
  /** The directories the post-upgrade script searches for stale links (its {@code find}). */
  private static final List<String> SEARCHED = List.of("bin", "sbin", "usr/bin", "usr/sbin");
  /** What the post-upgrade script's {@code awk} compares a stale link's target with. */
  private static final String OLD_TARGET = "/bin/busybox";

  /**
   * Applets whose directory has been the same in every busybox since the table was packed this
   * way; the table found must put each of these where they belong, which rules out look-alikes.
   */
  private static final Map<String, Integer> ANCHORS = Map.ofEntries(Map.entry("ls", 1), Map.entry("cat", 1),
      Map.entry("mount", 1), Map.entry("sh", 1), Map.entry("ash", 1), Map.entry("awk", 3), Map.entry("find", 3),
      Map.entry("init", 2), Map.entry("ifconfig", 2), Map.entry("chroot", 4), Map.entry("crond", 4));
  private static final byte[] FIRST = "[\0[[\0".getBytes(StandardCharsets.US_ASCII);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ImageNeeds needs() {
    // The binaries are spooled, not kept: the trigger reads them only when it fires.
    return new ImageNeeds(p -> false, p -> false, p -> p.endsWith("bin/busybox") || p.endsWith("bin/busybox-extras"));
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    boolean upgraded = changes.stream().anyMatch(c -> c.name().equals(PACKAGE) && c.from() != null);
    boolean installed = changes.stream().anyMatch(c -> c.name().equals(PACKAGE));
    if (!installed && !touchesDirectories(layer)) {
      return true; // the trigger does not fire
    }
    LayerTree tree = layer.tree();
    Optional<byte[]> busybox = binary(layer, BINARY);
    if (busybox.isEmpty()) {
      if (installed) {
        layer.note("/" + BINARY + ": not in the layer; busybox --install -s not reproduced");
        return false;
      }
      return true; // no busybox, no trigger
    }
    Optional<Map<String, Integer>> applets = applets(busybox.get());
    if (applets.isEmpty()) {
      layer.note("/" + BINARY + ": no applet table found in the binary (applet_names and applet_install_loc);"
          + " busybox --install -s not reproduced");
      return false;
    }
    if (tree.entry(BBSUID).isPresent()) {
      layer.note("/" + BBSUID + " --install (busybox trigger) is not reproduced; the busybox links were left as"
          + " they are");
      return false;
    }
    Optional<Map<String, Integer>> extras = Optional.empty();
    Optional<byte[]> extrasBinary = binary(layer, EXTRAS);
    if (extrasBinary.isPresent()) {
      extras = applets(extrasBinary.get());
      if (extras.isEmpty()) {
        layer.note("/" + EXTRAS + ": no applet table found in the binary; busybox trigger not reproduced");
        return false;
      }
    }

    Set<String> gone = new TreeSet<>();
    Map<String, String> links = new LinkedHashMap<>();
    if (upgraded) {
      // post-upgrade: stale links first, then busybox --install -s.
      gone.addAll(stale(tree, applets.get()));
      for (String ping : List.of("bin/ping", "bin/ping6")) {
        if (tree.entry(ping).filter(e -> e.type() == FsEntry.Type.SYMLINK && "/bin/bbsuid".equals(e.linkTarget()))
            .isPresent()) {
          gone.add(layer.target(ping));
        }
      }
      install(layer, applets.get(), executable(layer, BINARY), gone, links);
    }
    // The trigger: busybox-extras --install -s, then busybox --install -s.
    if (extras.isPresent()) {
      install(layer, extras.get(), executable(layer, EXTRAS), gone, links);
    }
    install(layer, applets.get(), executable(layer, BINARY), gone, links);

    for (String path : gone) {
      if (!links.containsKey(path)) {
        layer.whiteout(path);
      }
    }
    for (Map.Entry<String, String> l : links.entrySet()) {
      layer.symlink(l.getKey(), l.getValue(), 0, 0, layer.epoch());
    }
    return true;
  }

  /** Whether the layer wrote or removed anything directly inside one of the trigger's directories. */
  private static boolean touchesDirectories(PatchLayer layer) {
    Set<String> dirs = new HashSet<>();
    for (String d : SEARCHED) {
      dirs.add(layer.image().resolve(d).orElse(d));
    }
    for (String path : layer.builder().entries().keySet()) {
      String parent = FsEntry.parent(path);
      if (parent != null && dirs.contains(parent)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The post-upgrade script's stale links: {@code find bin sbin usr/bin usr/sbin -maxdepth 1 -type l}
   * (a directory that is itself a symlink lists only itself), less {@code busybox --list-all}, those
   * whose target reads {@code /bin/busybox}.
   */
  private static Set<String> stale(LayerTree tree, Map<String, Integer> applets) {
    Set<String> listAll = new HashSet<>();
    applets.forEach((name, dir) -> listAll.add(path(DIRECTORIES.get(dir), name)));
    Set<String> out = new TreeSet<>();
    for (String dir : SEARCHED) {
      Optional<FsEntry> d = tree.entry(dir);
      if (d.isEmpty() || !d.get().isDirectory()) {
        continue;
      }
      for (String name : tree.list(dir)) {
        String p = dir + "/" + name;
        Optional<FsEntry> e = tree.entry(p);
        if (e.isPresent() && e.get().type() == FsEntry.Type.SYMLINK && OLD_TARGET.equals(e.get().linkTarget())
            && !listAll.contains(p)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /**
   * {@code --install -s}: {@code symlink(busybox, dir/applet)} for each applet in the table's
   * order; it fails (and is skipped) when anything is at the path or its directory is missing.
   */
  private static void install(PatchLayer layer, Map<String, Integer> applets, String target, Set<String> gone,
      Map<String, String> links) throws SafePath.UnsafePathException {
    LayerTree tree = layer.tree();
    for (Map.Entry<String, Integer> a : applets.entrySet()) {
      String dir = DIRECTORIES.get(a.getValue());
      if (!dir.isEmpty() && !isDirectory(layer, dir)) {
        continue; // ENOENT
      }
      String path = layer.target(path(dir, a.getKey()));
      boolean exists = links.containsKey(path) || (!gone.contains(path) && tree.entry(path).isPresent());
      if (!exists) {
        links.put(path, target);
      }
    }
  }

  private static boolean isDirectory(PatchLayer layer, String dir) {
    String resolved = layer.image().resolve(dir).orElse(dir);
    return layer.tree().entry(resolved).filter(FsEntry::isDirectory).isPresent();
  }

  private static String path(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /**
   * The link target {@code --install} writes: {@code readlink("/proc/self/exe")}, the binary's real
   * path ({@code /bin/busybox} on Alpine; {@code /usr/bin/busybox} where {@code /bin} is a symlink).
   */
  private static String executable(PatchLayer layer, String path) throws SafePath.UnsafePathException {
    String target = layer.target(path);
    if (!layer.contains(target)) {
      target = layer.image().resolve(path).orElse(target);
    }
    return "/" + target;
  }

  /** The binary as the layer leaves it: the layer's staged file, or the image's spooled one. */
  private static Optional<byte[]> binary(PatchLayer layer, String path) throws IOException {
    String target = layer.target(path);
    if (layer.contains(target)) {
      return layer.tree().read(target);
    }
    if (layer.removed().contains(target)) {
      return Optional.empty();
    }
    Optional<String> real = layer.image().resolve(path);
    if (real.isEmpty()) {
      return Optional.empty();
    }
    Optional<Path> spooled = layer.image().spooled(real.get());
    if (spooled.isPresent()) {
      return Optional.of(Files.readAllBytes(spooled.get()));
    }
    return layer.image().content(real.get());
  }

  // ---- the applet table ----

  /**
   * The applets of a busybox ELF binary, name to {@code BB_DIR_*} index, in the binary's (sorted)
   * order; empty when no applet table is found or it does not validate. The names are the string
   * table that starts {@code "[\0[[\0"} and ends with an empty string, strictly sorted; the
   * directories are the one byte array of {@code ceil(N/2)} bytes in read-only data whose every
   * nibble is at most 4 (the high nibble of an odd count's last byte 0), that puts {@code [} and
   * {@code [[} in {@code /usr/bin} and the long-settled applets ({@code ls}, {@code awk},
   * {@code init}, {@code chroot}, ...) where busybox has always put them. A build with
   * {@code INSTALL_NO_USR} (its {@code /usr} directories folded into {@code /bin} and
   * {@code /sbin}) is recognised by {@code [} in {@code /bin}.
   */
  static Optional<Map<String, Integer>> applets(byte[] elf) {
    List<long[]> ranges = readOnly(elf);
    if (ranges.isEmpty()) {
      return Optional.empty();
    }
    List<String> names = null;
    for (long[] r : ranges) {
      int from = (int) r[0];
      int to = (int) r[1];
      for (int at = indexOf(elf, FIRST, from, to); at >= 0; at = indexOf(elf, FIRST, at + 1, to)) {
        List<String> found = names(elf, at, to);
        if (found == null) {
          continue;
        }
        if (names != null && !names.equals(found)) {
          return Optional.empty(); // two different tables: nothing to trust
        }
        names = found;
      }
    }
    if (names == null) {
      return Optional.empty();
    }
    int n = names.size();
    int length = (n + 1) / 2;
    byte[] table = null;
    for (long[] r : ranges) {
      for (int at = (int) r[0]; at + length <= r[1]; at++) {
        if (candidate(elf, at, length, names)) {
          byte[] t = Arrays.copyOfRange(elf, at, at + length);
          if (table != null && !Arrays.equals(table, t)) {
            return Optional.empty();
          }
          table = t;
        }
      }
    }
    if (table == null) {
      return Optional.empty();
    }
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      out.put(names.get(i), location(table, i));
    }
    return Optional.of(out);
  }

  private static int location(byte[] table, int i) {
    int v = table[i / 2] & 0xff;
    return ((i & 1) == 1 ? v >> 4 : v) & 0xf;
  }

  private static boolean candidate(byte[] elf, int at, int length, List<String> names) {
    int first = elf[at] & 0xff;
    boolean noUsr;
    if (first == 0x33) {
      noUsr = false;
    } else if (first == 0x11) {
      noUsr = true;
    } else {
      return false;
    }
    for (int i = 0; i < length; i++) {
      int b = elf[at + i] & 0xff;
      if ((b & 0xf) > 4 || (b >> 4) > 4) {
        return false;
      }
    }
    if (names.size() % 2 == 1 && (elf[at + length - 1] & 0xf0) != 0) {
      return false;
    }
    byte[] table = Arrays.copyOfRange(elf, at, at + length);
    int anchors = 0;
    for (int i = 0; i < names.size(); i++) {
      Integer expected = ANCHORS.get(names.get(i));
      if (expected == null) {
        continue;
      }
      int want = noUsr && expected >= 3 ? expected - 2 : expected;
      if (location(table, i) != want) {
        return false;
      }
      anchors++;
    }
    return anchors >= 3;
  }

  /** The applet names from {@code at}, or null when they are no sorted table of plain names. */
  private static List<String> names(byte[] elf, int at, int to) {
    List<String> out = new ArrayList<>();
    int i = at;
    byte[] previous = null;
    while (i < to) {
      int end = i;
      while (end < to && elf[end] != 0) {
        int c = elf[end] & 0xff;
        if (c <= 0x20 || c >= 0x7f || c == '/') {
          return null;
        }
        end++;
      }
      if (end >= to) {
        return null;
      }
      if (end == i) {
        return out.size() >= 2 ? out : null;
      }
      byte[] name = Arrays.copyOfRange(elf, i, end);
      if (previous != null && Arrays.compareUnsigned(previous, name) >= 0) {
        return null;
      }
      previous = name;
      out.add(new String(name, StandardCharsets.US_ASCII));
      i = end + 1;
    }
    return null;
  }

  /** The file ranges of the ELF's loadable segments that are not writable: where {@code const} data lives. */
  private static List<long[]> readOnly(byte[] elf) {
    List<long[]> out = new ArrayList<>();
    if (elf.length < 52 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
      return out;
    }
    boolean is64 = elf[4] == 2;
    ByteBuffer h = ByteBuffer.wrap(elf).order(elf[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    if (is64 && elf.length < 64) {
      return out;
    }
    long phoff = is64 ? h.getLong(32) : h.getInt(28) & 0xffffffffL;
    int phentsize = h.getShort(is64 ? 54 : 42) & 0xffff;
    int phnum = h.getShort(is64 ? 56 : 44) & 0xffff;
    for (int i = 0; i < phnum; i++) {
      long at = phoff + (long) i * phentsize;
      if (at < 0 || at + (is64 ? 56 : 32) > elf.length) {
        return List.of();
      }
      int p = (int) at;
      int type = h.getInt(p);
      int flags = is64 ? h.getInt(p + 4) : h.getInt(p + 24);
      long offset = is64 ? h.getLong(p + 8) : h.getInt(p + 4) & 0xffffffffL;
      long filesz = is64 ? h.getLong(p + 32) : h.getInt(p + 16) & 0xffffffffL;
      if (type == 1 && (flags & 2) == 0 && offset >= 0 && filesz > 0 && offset < elf.length) {
        out.add(new long[] {offset, Math.min(elf.length, offset + filesz)});
      }
    }
    return out;
  }

  private static int indexOf(byte[] data, byte[] what, int from, int to) {
    outer:
    for (int i = from; i + what.length <= to; i++) {
      for (int j = 0; j < what.length; j++) {
        if (data[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
