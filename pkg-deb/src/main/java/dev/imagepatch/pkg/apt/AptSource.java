package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.deb.ControlFile;
import dev.imagepatch.pkg.deb.Paragraph;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One APT repository as a sources file names it: an archive URI, a suite, its components, and
 * the keys that sign it ({@code Signed-By}: keyring paths in the image, or an inline key).
 *
 * @param signedBy keyring paths as the image names them; empty: apt's trusted.gpg(.d) keys
 * @param inlineKey an ASCII-armored key written into a deb822 Signed-By field, or null
 * @param origin where it was written, e.g. "/etc/apt/sources.list:1"
 */
public record AptSource(URI uri, String suite, List<String> components, List<String> signedBy, String inlineKey,
    List<String> architectures, String origin) {

  /**
   * Reads every {@code deb} source of a set of sources files (path to content): one-line
   * {@code *.list} files and deb822 {@code *.sources} files. deb-src lines and disabled entries
   * are skipped.
   */
  public static List<AptSource> parse(Map<String, String> files) throws IOException {
    List<AptSource> out = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      if (f.getKey().endsWith(".sources")) {
        for (Paragraph p : ControlFile.parse(f.getValue(), f.getKey())) {
          out.addAll(deb822(p, f.getKey()));
        }
      } else {
        String[] lines = f.getValue().split("\n");
        for (int i = 0; i < lines.length; i++) {
          AptSource s = oneLine(lines[i], f.getKey() + ":" + (i + 1));
          if (s != null) {
            out.add(s);
          }
        }
      }
    }
    return out;
  }

  static AptSource oneLine(String line, String origin) throws IOException {
    String l = line.replaceFirst("#.*$", "").strip();
    if (l.isEmpty()) {
      return null;
    }
    List<String> signedBy = new ArrayList<>();
    List<String> arch = new ArrayList<>();
    String rest;
    String type;
    int space = l.indexOf(' ');
    if (space < 0) {
      throw new IOException(origin + ": malformed source line '" + l + "'");
    }
    type = l.substring(0, space);
    rest = l.substring(space + 1).strip();
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0) {
        throw new IOException(origin + ": unclosed '[' in '" + l + "'");
      }
      for (String opt : rest.substring(1, close).strip().split("\\s+")) {
        int eq = opt.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = opt.substring(0, eq);
        List<String> values = Arrays.asList(opt.substring(eq + 1).split(","));
        if (key.equals("signed-by")) {
          signedBy.addAll(values);
        } else if (key.equals("arch")) {
          arch.addAll(values);
        }
      }
      rest = rest.substring(close + 1).strip();
    }
    if (!type.equals("deb")) {
      return null;
    }
    String[] f = rest.split("\\s+");
    if (f.length < 2) {
      throw new IOException(origin + ": a source needs a URI and a suite: '" + l + "'");
    }
    return new AptSource(uri(f[0], origin), f[1], List.of(Arrays.copyOfRange(f, 2, f.length)), signedBy, null, arch,
        origin);
  }

  static List<AptSource> deb822(Paragraph p, String file) throws IOException {
    String origin = file + " (" + p.get("URIs").map(String::strip).orElse("?") + ")";
    if (p.get("Enabled").map(v -> v.strip().equalsIgnoreCase("no")).orElse(false)) {
      return List.of();
    }
    if (!words(p, "Types").contains("deb")) {
      return List.of();
    }
    List<String> signedBy = new ArrayList<>();
    String inline = null;
    String sb = p.get("Signed-By").orElse("").strip();
    if (sb.contains("BEGIN PGP PUBLIC KEY BLOCK")) {
      // Inline keys write blank lines as " ." continuation lines.
      StringBuilder key = new StringBuilder();
      for (String line : sb.split("\n")) {
        String t = line.strip();
        key.append(t.equals(".") ? "" : t).append('\n');
      }
      inline = key.toString();
    } else if (!sb.isEmpty()) {
      signedBy.addAll(Arrays.asList(sb.split("[\\s,]+")));
    }
    List<AptSource> out = new ArrayList<>();
    for (String u : words(p, "URIs")) {
      for (String suite : words(p, "Suites")) {
        out.add(new AptSource(uri(u, origin), suite, words(p, "Components"), signedBy, inline,
            words(p, "Architectures"), origin));
      }
    }
    return out;
  }

  private static List<String> words(Paragraph p, String field) {
    return p.get(field).map(v -> Arrays.stream(v.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  private static URI uri(String text, String origin) throws IOException {
    try {
      URI u = URI.create(text.endsWith("/") ? text : text + "/");
      if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")
          || u.getScheme().equals("file"))) {
        throw new IOException(origin + ": unsupported URI scheme in '" + text + "' (http, https and file are)");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new IOException(origin + ": bad URI '" + text + "'");
    }
  }

  /** The same source at another archive URI (a mirror rewrite). */
  public AptSource withUri(URI other) {
    return new AptSource(other, suite, components, signedBy, inlineKey, architectures, origin);
  }

  @Override
  public String toString() {
    return uri + " " + suite + " " + String.join(" ", components);
  }
}
