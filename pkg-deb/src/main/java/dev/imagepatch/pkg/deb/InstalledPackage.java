package dev.imagepatch.pkg.deb;

/**
 * A package dpkg has installed: its stanza of the status file (or its {@code status.d} file on
 * distroless images) and the names dpkg files it under.
 *
 * @param statusFile the {@code status.d} file name on distroless images, else null
 */
public record InstalledPackage(String name, String architecture, String version, String multiArch,
    Paragraph stanza, String statusFile) {

  /** The name of its {@code info/} files: {@code <pkg>:<arch>} for Multi-Arch: same, else {@code <pkg>}. */
  public String infoName() {
    return multiArch.equals("same") ? name + ":" + architecture : name;
  }

  /** The source package's name, from {@code Source:} (which may carry a version) or the binary name. */
  public String sourceName() {
    return stanza.get("Source").map(s -> s.strip().split("\\s+")[0]).orElse(name);
  }

  @Override
  public String toString() {
    return name + ":" + architecture + " " + version;
  }
}
