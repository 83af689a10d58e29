package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The image's users and groups ({@code /etc/passwd}, {@code /etc/group}), by which rpm turns a
 * package file's owner names into ids; a name the image does not know becomes root, as rpm does
 * (with a warning, here a note).
 */
final class Accounts {
  static final String PASSWD = "etc/passwd";
  static final String GROUP = "etc/group";

  private final Map<String, Long> users;
  private final Map<String, Long> groups;

  private Accounts(Map<String, Long> users, Map<String, Long> groups) {
    this.users = users;
    this.groups = groups;
  }

  static Accounts of(MergedFilesystem image) {
    return new Accounts(ids(image, PASSWD), ids(image, GROUP));
  }

  private static Map<String, Long> ids(MergedFilesystem image, String path) {
    Map<String, Long> out = new HashMap<>();
    out.put("root", 0L);
    String text = image.content(path).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    for (String line : text.split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= 3 && !f[0].isEmpty()) {
        try {
          out.putIfAbsent(f[0], Long.parseLong(f[2].strip()));
        } catch (NumberFormatException e) {
          // a malformed line names no id; rpm's lookup would not find it either
        }
      }
    }
    return out;
  }

  /** The uid of {@code name}, or null when the image has no such user. */
  Long uid(String name) {
    return users.get(name);
  }

  /** The gid of {@code name}, or null when the image has no such group. */
  Long gid(String name) {
    return groups.get(name);
  }
}
