package dev.imagepatch.pkg.rpmdb.resolve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A repository directory dnf can read made from shared metadata in place: its files linked, and a
 * repomd.xml without the {@code <data>} entries whose files are not there (dnf downloads comps and
 * fails on a missing one). Only entries are dropped; the others keep their checksums.
 */
final class DnfRepository {
  private DnfRepository() {}

  private static final Pattern DATA = Pattern.compile("\\s*<data type=\"[^\"]+\">.*?</data>", Pattern.DOTALL);
  private static final Pattern HREF = Pattern.compile("<location href=\"([^\"]+)\"");

  static void link(Path source, Path target) throws IOException {
    Files.createDirectories(target.resolve("repodata"));
    String xml = Files.readString(source.resolve("repodata/repomd.xml"), StandardCharsets.UTF_8);
    Matcher m = DATA.matcher(xml);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Matcher href = HREF.matcher(m.group());
      String keep = "";
      if (href.find() && Files.isRegularFile(source.resolve(href.group(1)))) {
        Path link = target.resolve(href.group(1));
        if (!Files.exists(link)) {
          Files.createSymbolicLink(link, source.resolve(href.group(1)).toAbsolutePath());
        }
        keep = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(keep));
    }
    m.appendTail(out);
    Files.writeString(target.resolve("repodata/repomd.xml"), out, StandardCharsets.UTF_8);
  }
}
