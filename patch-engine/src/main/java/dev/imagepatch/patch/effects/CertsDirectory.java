package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code /etc/ssl/certs} over a {@link LayerTree} as a trust-store program (Debian's
 * {@code update-ca-certificates}, Alpine's {@code update-ca.c}) has left it so far: the links and
 * files it has made, paths resolved through them, and what changed since it began.
 */
public final class CertsDirectory {
  public static final String PATH = "etc/ssl/certs";
  private static final int MAX_LINKS = 40;

  /** One entry: a link target, else a regular file (its bytes when the run wrote it) or some other entry. */
  private record Node(String link, boolean file, byte[] written) {}

  private final LayerTree tree;
  private final Map<String, Node> entries = new TreeMap<>();
  // The changes are reported against the directory as the run found it, not step by step.
  private final Map<String, Node> before;

  /**
   * The directory as {@code tree} has it. {@code others}: whether directories, devices and the like
   * are entries too (Alpine's model). Debian's has only ever had links and regular files, so a link
   * to a directory here dangles there; the flag keeps each family's output as it was.
   */
  public CertsDirectory(LayerTree tree, boolean others) {
    this.tree = tree;
    for (String name : tree.list(PATH)) {
      FsEntry e = tree.entry(PATH + "/" + name).orElseThrow();
      if (e.type() == FsEntry.Type.SYMLINK) {
        entries.put(name, new Node(e.linkTarget(), false, null));
      } else if (e.type() == FsEntry.Type.FILE || e.type() == FsEntry.Type.HARDLINK) {
        entries.put(name, new Node(null, true, null));
      } else if (others) {
        entries.put(name, new Node(null, false, null));
      }
    }
    before = new TreeMap<>(entries);
  }

  /** The names now, a snapshot in byte order. */
  public Set<String> names() {
    return new TreeSet<>(entries.keySet());
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** The target of the entry when it is a link, else null. */
  public String link(String name) {
    Node n = entries.get(name);
    return n == null ? null : n.link();
  }

  public void link(String name, String target) {
    entries.put(name, new Node(target, false, null));
  }

  /** A regular file the run writes; {@link #content} reads these bytes from then on. */
  public void file(String name, byte[] content) {
    entries.put(name, new Node(null, true, content));
  }

  public void remove(String name) {
    entries.remove(name);
  }

  /** Whether the entry was a regular file when the run began. */
  public boolean wasFile(String name) {
    Node n = before.get(name);
    return n != null && n.file();
  }

  /** Follows links, through this directory as it is now; empty when the path (or a link on the way) leads nowhere. */
  public Optional<String> resolve(String path) {
    String p = FsEntry.normalize(path);
    for (int i = 0; i < MAX_LINKS; i++) {
      String link;
      String name = child(p);
      if (name != null) {
        Node n = entries.get(name);
        if (n == null) {
          return Optional.empty();
        }
        if (n.link() == null) {
          return Optional.of(p);
        }
        link = n.link();
      } else {
        Optional<FsEntry> e = tree.entry(p);
        if (e.isEmpty()) {
          return Optional.empty();
        }
        if (e.get().type() != FsEntry.Type.SYMLINK) {
          return Optional.of(p);
        }
        link = e.get().linkTarget();
      }
      String parent = FsEntry.parent(p);
      p = FsEntry.normalize(link.startsWith("/") ? link : (parent == null || parent.isEmpty() ? "" : parent + "/")
          + link);
    }
    return Optional.empty();
  }

  /** The bytes a path leads to when it is a regular file, a file the run wrote included. */
  public Optional<byte[]> content(String path) throws IOException {
    Optional<String> target = resolve(path);
    if (target.isEmpty()) {
      return Optional.empty();
    }
    String name = child(target.get());
    Node n = name == null ? null : entries.get(name);
    if (n != null && n.written() != null) {
      return Optional.of(n.written());
    }
    return tree.read(target.get());
  }

  /** {@code openssl rehash /etc/ssl/certs} over the directory as it is now. */
  public void rehash() throws IOException {
    Rehash.run(new Rehash.Directory() {
      @Override
      public Set<String> names() {
        return CertsDirectory.this.names();
      }

      @Override
      public String link(String name) {
        return CertsDirectory.this.link(name);
      }

      @Override
      public Optional<byte[]> content(String name) throws IOException {
        return CertsDirectory.this.content(PATH + "/" + name);
      }

      @Override
      public void link(String name, String target) {
        CertsDirectory.this.link(name, target);
      }

      @Override
      public void remove(String name) {
        CertsDirectory.this.remove(name);
      }
    });
  }

  /** The links made or retargeted since the run began, name to target. */
  public Map<String, String> linksMade() {
    Map<String, String> links = new TreeMap<>();
    for (Map.Entry<String, Node> e : entries.entrySet()) {
      Node was = before.get(e.getKey());
      if (e.getValue().link() != null && (was == null || !e.getValue().link().equals(was.link()))) {
        links.put(e.getKey(), e.getValue().link());
      }
    }
    return links;
  }

  /** The entries there when the run began and gone now. */
  public Set<String> removed() {
    Set<String> removed = new TreeSet<>();
    for (String name : before.keySet()) {
      if (!entries.containsKey(name)) {
        removed.add(name);
      }
    }
    return removed;
  }

  /** The name of a path directly inside this directory, else null. */
  private static String child(String path) {
    return path.startsWith(PATH + "/") && path.indexOf('/', PATH.length() + 1) < 0
        ? path.substring(PATH.length() + 1) : null;
  }
}
