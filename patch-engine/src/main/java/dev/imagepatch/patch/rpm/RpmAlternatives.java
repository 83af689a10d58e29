package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.effects.LayerTree;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * RHEL's {@code alternatives} (chkconfig's alternatives.c) as a package's scriptlets run it: the
 * state files {@code /var/lib/alternatives/<name>}, the links {@code /etc/alternatives/<name>} to
 * the chosen target and the generic links to those. {@link #run} takes a scriptlet made only of
 * {@code alternatives --install/--remove/--set/--auto} commands (optionally inside
 * {@code if [ $1 -eq 0 ]}-style guards on the scriptlet's argument), applies them in order as the
 * program would, and {@link #write} puts what changed into the layer. Any other shell is left to
 * the caller, which records it as not run.
 */
final class RpmAlternatives {
  static final String STATE_DIR = "var/lib/alternatives";
  static final String ALT_DIR = "etc/alternatives";

  private final PatchLayer layer;
  private final LayerTree tree;
  // The links and state files as the commands have left them so far, by resolved path; null: removed.
  private final Map<String, String> links = new LinkedHashMap<>();
  private final Map<String, byte[]> states = new LinkedHashMap<>();

  RpmAlternatives(PatchLayer layer) {
    this.layer = layer;
    this.tree = layer.tree();
  }

  /** What {@link #run} reads of the image: the state files. */
  static ImageNeeds needs() {
    return new ImageNeeds(p -> p.startsWith(STATE_DIR + "/"), p -> false, p -> false);
  }

  /**
   * Applies a scriptlet made only of alternatives commands, {@code $1} being {@code arg1}; false
   * (and nothing applied) for any other shell, or a command the program would refuse to parse.
   */
  boolean run(String scriptlet, int arg1) {
    List<AlternativesScript.Command> commands;
    try {
      commands = AlternativesScript.parse(scriptlet).commands(arg1);
    } catch (AlternativesScript.Unsupported e) {
      return false;
    }
    List<AlternativesCommand> parsed = new ArrayList<>();
    for (AlternativesScript.Command c : commands) {
      Optional<AlternativesCommand> cmd = AlternativesCommand.parse(c.args());
      if (cmd.isEmpty()) {
        return false;
      }
      if (installed(c.program())) {
        parsed.add(cmd.get());
      } // else "command not found": the scriptlet's command does nothing
    }
    Map<String, String> linksBefore = new LinkedHashMap<>(links);
    Map<String, byte[]> statesBefore = new LinkedHashMap<>(states);
    try {
      for (AlternativesCommand c : parsed) {
        c.apply(new Files());
      }
    } catch (AlternativesCommand.Unsupported | SafePath.UnsafePathException e) {
      // Not reproduced (or a path of the state file or script that leaves the image): nothing applied.
      links.clear();
      links.putAll(linksBefore);
      states.clear();
      states.putAll(statesBefore);
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  /**
   * Whether the program the script names is in the image (a bare name is looked up in
   * {@code /usr/sbin} and {@code /usr/bin}, as rpm's PATH has them), and the program's two
   * directories are there: without them alternatives.c stops with "altdir invalid".
   */
  private boolean installed(String program) {
    List<String> candidates = program.startsWith("/") ? List.of(program.substring(1))
        : List.of("usr/sbin/" + program, "usr/bin/" + program, "sbin/" + program, "bin/" + program);
    boolean found = false;
    for (String c : candidates) {
      found |= resolves(c);
    }
    return found && tree.entry(layer.image().resolveParent(ALT_DIR)).filter(FsEntry::isDirectory).isPresent()
        && tree.entry(layer.image().resolveParent(STATE_DIR)).filter(FsEntry::isDirectory).isPresent();
  }

  /** Whether the path leads to something (update-alternatives is a link to alternatives). */
  private boolean resolves(String path) {
    String p = path;
    for (int i = 0; i < 40; i++) {
      Optional<FsEntry> e = tree.entry(p);
      if (e.isEmpty()) {
        return false;
      }
      if (e.get().type() != FsEntry.Type.SYMLINK) {
        return true;
      }
      String link = e.get().linkTarget();
      String parent = FsEntry.parent(p);
      p = FsEntry.normalize(link.startsWith("/") ? link : (parent == null || parent.isEmpty() ? "" : parent + "/")
          + link);
    }
    return false;
  }

  /** Writes the state files and links changed so far into the layer. */
  void write() throws IOException {
    if (links.isEmpty() && states.isEmpty()) {
      return;
    }
    for (String dir : List.of(ALT_DIR, STATE_DIR)) {
      String d = layer.target(dir);
      if (layer.tree().entry(d).isEmpty()) {
        mkdirs(d);
      }
    }
    for (Map.Entry<String, byte[]> s : states.entrySet()) {
      if (s.getValue() == null) {
        removePath(s.getKey());
      } else {
        layer.bytes(s.getKey(), 0644, s.getValue());
      }
    }
    for (Map.Entry<String, String> l : links.entrySet()) {
      if (l.getValue() == null) {
        removePath(l.getKey());
      } else {
        layer.symlink(l.getKey(), l.getValue(), 0, 0, layer.epoch());
      }
    }
  }

  private void mkdirs(String dir) throws SafePath.UnsafePathException {
    String parent = FsEntry.parent(dir);
    if (parent != null && !parent.isEmpty() && layer.tree().entry(parent).isEmpty()) {
      mkdirs(parent);
    }
    layer.directoryIfAbsent(dir, 0755, 0, 0, layer.epoch());
  }

  private void removePath(String path) {
    if (layer.image().entry(path).isPresent()) {
      layer.whiteout(path);
    }
  }

  /**
   * The filesystem as alternatives.c touches it: state files, {@code lstat}/{@code readlink},
   * {@code symlink} and {@code unlink}, paths absolute as the program sees them.
   */
  final class Files {
    /** The state file of {@code title}, empty when there is none. */
    Optional<byte[]> state(String title) throws IOException, AlternativesCommand.Unsupported {
      String p = resolve("/" + STATE_DIR + "/" + title);
      if (states.containsKey(p)) {
        return Optional.ofNullable(states.get(p));
      }
      Optional<byte[]> content = tree.read(p);
      if (content.isEmpty() && tree.entry(p).filter(e -> e.type() == FsEntry.Type.FILE && e.size() > 0).isPresent()) {
        // The backend did not keep the file (see needs()): better not run than overwrite it blind.
        throw new AlternativesCommand.Unsupported("/" + p + ": the state file's content was not read");
      }
      return content;
    }

    void writeState(String title, byte[] content) throws IOException {
      states.put(resolve("/" + STATE_DIR + "/" + title), content);
    }

    void removeState(String title) throws IOException, AlternativesCommand.Unsupported {
      String p = resolve("/" + STATE_DIR + "/" + title);
      if (state(title).isPresent()) {
        states.put(p, null);
      }
    }

    /** {@code readlink}: the target when the path is a symlink, else empty. */
    Optional<String> readlink(String path) throws IOException {
      String p = resolve(path);
      if (links.containsKey(p)) {
        return Optional.ofNullable(links.get(p));
      }
      if (states.containsKey(p)) {
        return Optional.empty();
      }
      return tree.entry(p).filter(e -> e.type() == FsEntry.Type.SYMLINK).map(FsEntry::linkTarget);
    }

    /** alternatives.c's {@code isLink}: a symlink, or nothing at all ({@code lstat} failing counts). */
    boolean isLinkOrMissing(String path) throws IOException {
      String p = resolve(path);
      if (links.containsKey(p)) {
        return true;
      }
      Optional<FsEntry> e = tree.entry(p);
      return e.isEmpty() || e.get().type() == FsEntry.Type.SYMLINK;
    }

    void symlink(String target, String path) throws IOException {
      links.put(resolve(path), target);
    }

    void unlink(String path) throws IOException {
      String p = resolve(path);
      if (readlink(path).isPresent() || links.containsKey(p)) {
        links.put(p, null);
      }
    }

    private String resolve(String absolute) throws IOException {
      return layer.target(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
