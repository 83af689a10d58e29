package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;

/**
 * One {@code <rpm:entry>} of a package's provides, requires, conflicts, obsoletes and weak
 * dependencies: {@code name [flags epoch:version-release]}.
 *
 * @param flags the comparison; null for an unversioned entry
 * @param epoch null when not written
 * @param version null for an unversioned entry
 * @param release null when not written
 * @param pre {@code pre="1"} on a requires: needed before the package's scriptlets run
 */
public record RpmDependency(String name, Flags flags, String epoch, String version, String release, boolean pre) {
  /** The comparisons of repository metadata. */
  public enum Flags {
    EQ("="), LT("<"), GT(">"), LE("<="), GE(">=");

    private final String symbol;

    Flags(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    static Flags of(String flags, String source) throws IOException {
      try {
        return flags == null ? null : valueOf(flags);
      } catch (IllegalArgumentException e) {
        throw new IOException(source + ": unknown dependency flags '" + flags + "'");
      }
    }
  }

  /** Whether it names a file (file dependencies are resolved through filelists). */
  public boolean isFile() {
    return name.startsWith("/");
  }

  /** As rpm prints it: {@code name >= epoch:version-release}. */
  @Override
  public String toString() {
    if (flags == null) {
      return name;
    }
    StringBuilder sb = new StringBuilder(name).append(' ').append(flags.symbol).append(' ');
    if (epoch != null && !epoch.equals("0")) {
      sb.append(epoch).append(':');
    }
    sb.append(version == null ? "" : version);
    if (release != null) {
      sb.append('-').append(release);
    }
    return sb.toString();
  }
}
