package dev.imagepatch.cli.fidelity;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Two unpacked trees compared path by path (type, mode, owner, link target, content hash), the
 * differences grouped by a cause: the judge of every family's end-to-end comparison with its real
 * package manager (apt for Debian's fidelity harness, dnf for rpm).
 */
public final class TreeDiff {
  private TreeDiff() {}

  /** What one path is, as the comparison sees it. */
  public record Entry(String type, int mode, int uid, int gid, String link, String sha256) {
    public String describe() {
      return type + " " + Integer.toOctalString(mode) + " " + uid + ":" + gid + (link != null ? " -> " + link : "")
          + (sha256 != null ? " " + sha256.substring(0, 12) : "");
    }
  }

  /** Every path under {@code root} but the {@code ignored} ones. */
  public static Map<String, Entry> scan(Path root, Predicate<String> ignored) throws IOException {
    Map<String, Entry> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        if (p.equals(root)) {
          continue;
        }
        String rel = root.relativize(p).toString();
        if (ignored.test(rel)) {
          continue;
        }
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String type = switch (mode & 0170000) {
          case 0040000 -> "dir";
          case 0120000 -> "link";
          case 0100000 -> "file";
          default -> "special";
        };
        String link = type.equals("link") ? Files.readSymbolicLink(p).toString() : null;
        String sha = type.equals("file") ? sha256(p) : null;
        out.put(rel, new Entry(type, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"), link, sha));
      }
    }
    return out;
  }

  /** Differences by cause: "path: reference ... | ours ...". */
  public static Map<String, List<String>> compare(Path reference, Path ours, Predicate<String> ignored,
      Function<String, String> cause) throws IOException {
    Map<String, Entry> ref = scan(reference, ignored);
    Map<String, Entry> our = scan(ours, ignored);
    Map<String, List<String>> byCause = new TreeMap<>();
    TreeSet<String> paths = new TreeSet<>(ref.keySet());
    paths.addAll(our.keySet());
    for (String p : paths) {
      Entry a = ref.get(p);
      Entry b = our.get(p);
      if (a != null && a.equals(b)) {
        continue;
      }
      byCause.computeIfAbsent(cause.apply(p), k -> new ArrayList<>()).add(p + ": reference " + (a == null ? "absent"
          : a.describe()) + " | ours " + (b == null ? "absent" : b.describe()));
    }
    return byCause;
  }

  /** A file's SHA-256, streamed. */
  public static String sha256(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
