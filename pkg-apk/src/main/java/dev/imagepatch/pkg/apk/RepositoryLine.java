package dev.imagepatch.pkg.apk;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One repository of {@code /etc/apk/repositories}: its URL (or local path) and the tag it is pinned
 * to ({@code @edge url}; null when none). Read as apk-tools 2 reads it ({@code apk_db_add_repository},
 * {@code src/database.c}): one repository a line; an empty line or one starting with {@code #} is
 * none; a line starting with {@code @} has its tag up to the first space, tab or colon, and the URL
 * after the run of those; the rest of the line is the URL as it stands (apk trims nothing else: here
 * a trailing carriage return or whitespace is dropped, and a line with leading whitespace is
 * refused, where apk would take it as a URL it cannot open).
 */
public record RepositoryLine(String url, String tag) {
  public RepositoryLine {
    if (url == null || url.isEmpty()) {
      throw new IllegalArgumentException("a repository needs a URL");
    }
    for (int i = 0; i < url.length(); i++) {
      if (url.charAt(i) < ' ' || url.charAt(i) == 0x7f) {
        throw new IllegalArgumentException("repository '" + url + "': a control character in the URL");
      }
    }
    if (tag != null && (tag.isEmpty() || !tag.matches("[^\\s:@]+"))) {
      throw new IllegalArgumentException("repository '" + url + "': not a tag: '" + tag + "'");
    }
  }

  /** The repositories of the file, in order; a line apk could not use is an {@link IllegalArgumentException} naming it. */
  public static List<RepositoryLine> parse(String text, String source) {
    List<RepositoryLine> out = new ArrayList<>();
    int n = 0;
    for (String raw : text.split("\n", -1)) {
      n++;
      String line = raw.stripTrailing();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + " line " + n;
      if (Character.isWhitespace(line.charAt(0))) {
        throw new IllegalArgumentException(where + ": starts with whitespace, which apk would take as part of the URL");
      }
      String tag = null;
      String url = line;
      if (line.startsWith("@")) {
        int end = 1;
        while (end < line.length() && !isSeparator(line.charAt(end))) {
          end++;
        }
        tag = line.substring(1, end);
        int start = end;
        while (start < line.length() && isSeparator(line.charAt(start))) {
          start++;
        }
        url = line.substring(start);
        if (tag.isEmpty() || url.isEmpty()) {
          throw new IllegalArgumentException(where + ": '" + line + "' is not '@tag url'");
        }
      }
      try {
        out.add(new RepositoryLine(url, tag));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(out);
  }

  /** apk_spn_repo_separators: tab, space and colon. */
  private static boolean isSeparator(char c) {
    return c == ' ' || c == '\t' || c == ':';
  }

  /**
   * The local directory when the repository is one: an absolute path, or a {@code file://} URL (as
   * {@code apk_url_local_file} reads it); empty for a remote repository.
   */
  public Optional<String> localPath() {
    if (url.startsWith("file://")) {
      return Optional.of(url.substring("file://".length()));
    }
    if (url.startsWith("/")) {
      return Optional.of(url);
    }
    return Optional.empty();
  }

  /**
   * True for a repository imagepatch fetches over the network: an {@code http://} or {@code https://}
   * URL. (A line of an image's {@code /etc/apk/repositories} that is not, a local path or a
   * {@code file:}/{@code ftp:} URL, names something of the image's own filesystem, which imagepatch
   * must not read from the host's: see {@code ApkBackend.repositories}.)
   */
  public boolean isRemote() {
    String lower = url.toLowerCase(java.util.Locale.ROOT);
    return (lower.startsWith("http://") || lower.startsWith("https://")) && url.length() > lower.indexOf("//") + 2;
  }

  /** The line as apk reads it back: {@code @tag url} or {@code url}. */
  @Override
  public String toString() {
    return tag == null ? url : "@" + tag + " " + url;
  }
}
