package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dnf's substitution variables for an image: {@code $releasever} (as dnf's
 * {@code detect_releasever}: the package providing {@code system-release(releasever)}, its
 * version unless the provide itself is {@code = N}; else os-release's {@code VERSION_ID}),
 * {@code $basearch} and {@code $arch}, and the image's {@code /etc/dnf/vars/*} and
 * {@code /etc/yum/vars/*} (the first line of each file; dnf's vars win over yum's).
 */
final class DnfVariables {
  static final String DNF_VARS = "etc/dnf/vars";
  static final String YUM_VARS = "etc/yum/vars";
  private static final Pattern VARIABLE = Pattern.compile("\\$(?:\\{([A-Za-z0-9_]+)\\}|([A-Za-z0-9_]+))");
  private static final int SENSE_EQUAL = 1 << 3;

  private final Map<String, String> values;

  private DnfVariables(Map<String, String> values) {
    this.values = values;
  }

  static DnfVariables of(MergedFilesystem image, List<Header> installed, String arch, String osVersionId) {
    Map<String, String> v = new LinkedHashMap<>();
    String releasever = releasever(installed);
    v.put("releasever", releasever != null ? releasever : osVersionId);
    v.put("arch", arch);
    v.put("basearch", basearch(arch));
    for (String dir : List.of(YUM_VARS, DNF_VARS)) {
      image.contentsUnder(dir).forEach((name, content) -> {
        if (name.matches("[A-Za-z0-9_]+")) {
          String text = new String(content, StandardCharsets.UTF_8);
          int nl = text.indexOf('\n');
          v.put(name, (nl < 0 ? text : text.substring(0, nl)).strip());
        }
      });
    }
    return new DnfVariables(v);
  }

  /** The value of {@code name}, or null. */
  String get(String name) {
    return values.get(name);
  }

  /** {@code text} with every known {@code $var} and {@code ${var}} replaced; unknown ones are left as written. */
  String substitute(String text) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = values.get(name);
      m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The {@code $basearch} of an rpm architecture, as dnf's arch map says. */
  static String basearch(String arch) {
    return switch (arch) {
      case "i386", "i486", "i586", "i686", "athlon", "geode" -> "i386";
      case "armv7hl", "armv7hnl", "armv6hl" -> "armhfp";
      case "armv7l", "armv6l", "armv5tel", "armv5tejl" -> "arm";
      case "ppc64p7" -> "ppc64";
      case "amd64", "ia32e" -> "x86_64";
      default -> arch;
    };
  }

  /**
   * dnf's {@code detect_releasever}: the installed package providing {@code system-release(releasever)};
   * its VERSION, unless its provide is {@code = N} and the package is not named so (then N).
   */
  static String releasever(List<Header> installed) {
    String provide = "system-release(releasever)";
    for (Header h : installed) {
      List<String> names = h.strings(Tags.PROVIDENAME);
      int i = names.indexOf(provide);
      if (i < 0) {
        continue;
      }
      String version = h.string(Tags.VERSION).orElse(null);
      long[] flags = h.numbers(Tags.PROVIDEFLAGS);
      List<String> versions = h.strings(Tags.PROVIDEVERSION);
      if (i < flags.length && i < versions.size() && (flags[i] & SENSE_EQUAL) != 0 && !versions.get(i).isEmpty()
          && !h.string(Tags.NAME).orElse("").equals(provide)) {
        version = versions.get(i);
      }
      return version;
    }
    return null;
  }
}
