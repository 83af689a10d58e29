package dev.imagepatch.pkg.deb;

import dev.imagepatch.pkg.version.DebianVersion;
import java.io.IOException;

/**
 * dpkg's own validation of the names that come from packages, databases and indexes, before any
 * of them becomes a path ({@code info/<name>[:<arch>].list}) or a line of the status file: package
 * names as {@code pkg_name_is_illegal}, architectures as {@code dpkg_arch_name_is_illegal},
 * versions as {@code parseversion} (and its character set).
 */
public final class DpkgFields {
  private DpkgFields() {}

  /** A package name as dpkg's {@code pkg_name_is_illegal} allows: an alphanumeric, then alphanumerics or {@code -+._}. */
  public static String packageName(String name, String source) throws IOException {
    boolean ok = !name.isEmpty() && isAlnum(name.charAt(0));
    for (int i = 1; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = isAlnum(c) || "-+._".indexOf(c) >= 0;
    }
    if (!ok) {
      throw new IOException(source + ": invalid package name '" + printable(name) + "' (dpkg allows an"
          + " alphanumeric, then alphanumerics and -+._)");
    }
    return name;
  }

  /** An architecture: an alphanumeric, then alphanumerics or '-'. */
  public static String architecture(String arch, String source) throws IOException {
    boolean ok = !arch.isEmpty() && isAlnum(arch.charAt(0));
    for (int i = 1; ok && i < arch.length(); i++) {
      ok = isAlnum(arch.charAt(i)) || arch.charAt(i) == '-';
    }
    if (!ok) {
      throw new IOException(source + ": invalid Architecture '" + printable(arch) + "'");
    }
    return arch;
  }

  /**
   * A version dpkg parses: what dpkg refuses is refused with its reason, what it only warns about is
   * accepted ({@link DebianVersion}); blanks and line ends are refused there.
   */
  public static String version(String version, String source) throws IOException {
    if (version.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
      // dpkg strips blanks around a version, but a line end inside a field would break the stanza.
      throw new IOException(source + ": invalid Version '" + printable(version) + "': a line end or NUL");
    }
    try {
      DebianVersion.parse(version);
    } catch (RuntimeException e) {
      throw new IOException(source + ": invalid Version '" + printable(version) + "': " + e.getMessage(), e);
    }
    return version;
  }

  /** The Package, Version and Architecture of a control or status stanza, each as dpkg checks it. */
  public static void check(Paragraph stanza, String source) throws IOException {
    try {
      String name = packageName(stanza.require("Package"), source);
      version(stanza.require("Version"), source + " (" + name + ")");
      architecture(stanza.require("Architecture"), source + " (" + name + ")");
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  static String printable(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
  }
}
