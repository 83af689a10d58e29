package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The image's own rpm macros that change what rpm installs: {@code /etc/rpm/macros} and
 * {@code /etc/rpm/macros.*} (read in rpm's order, a later definition winning), plain
 * {@code %name value} lines only. RHEL's container images set {@code %_install_langs} there
 * ({@code macros.image-language-conf}), and some {@code %_excludedocs}.
 */
final class RpmMacros {
  static final String DIR = "etc/rpm";

  private final Map<String, String> values;

  private RpmMacros(Map<String, String> values) {
    this.values = values;
  }

  static boolean reads(String path) {
    return path.equals(DIR + "/macros") || path.startsWith(DIR + "/macros.") && path.indexOf('/', DIR.length() + 1) < 0;
  }

  static RpmMacros of(MergedFilesystem image) {
    Map<String, String> v = new LinkedHashMap<>();
    // rpm's macro path: /etc/rpm/macros.* (glob order), then /etc/rpm/macros
    Map<String, byte[]> files = image.contentsUnder(DIR);
    List<String> order = new ArrayList<>(files.keySet().stream().filter(n -> n.startsWith("macros.")).sorted().toList());
    if (files.containsKey("macros")) {
      order.add("macros");
    }
    for (String name : order) {
      for (String line : new String(files.get(name), StandardCharsets.UTF_8).split("\n")) {
        String l = line.strip();
        if (l.startsWith("%") && !l.startsWith("%{") && !l.endsWith("\\")) {
          String[] kv = l.substring(1).split("\\s+", 2);
          if (kv.length == 2 && kv[0].matches("[A-Za-z_][A-Za-z0-9_]*")) {
            v.put(kv[0], kv[1].strip());
          }
        }
      }
    }
    return new RpmMacros(v);
  }

  /** {@code %_excludedocs} set to a true value. */
  boolean excludeDocs() {
    String v = values.get("_excludedocs");
    return v != null && (v.equals("1") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("true"));
  }

  /** {@code %_install_langs} split on ':'; null for all languages (unset or "all"). */
  List<String> installLangs() {
    String v = values.get("_install_langs");
    if (v == null || v.isBlank() || v.strip().equals("all")) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String l : v.strip().split(":")) {
      if (!l.isEmpty()) {
        out.add(l);
      }
    }
    return out.isEmpty() ? null : out;
  }

  /**
   * Whether rpm installs a file of languages {@code flangs} ({@code de|de_DE}; empty: every language)
   * under {@code installLangs}: as rpm's skipInstallFiles, a file language matches an install language
   * that starts with it.
   */
  static boolean langWanted(String flangs, List<String> installLangs) {
    if (installLangs == null || flangs == null || flangs.isEmpty()) {
      return true;
    }
    for (String lang : installLangs) {
      for (String l : flangs.split("\\|")) {
        if (!l.isEmpty() && lang.startsWith(l)) {
          return true;
        }
      }
    }
    return false;
  }
}
