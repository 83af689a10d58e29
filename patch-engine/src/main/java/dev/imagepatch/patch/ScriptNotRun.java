package dev.imagepatch.patch;

/**
 * A maintainer script, trigger or hook the package manager would have run whose effects the patch
 * does not reproduce. A value, so callers count and filter these without parsing messages.
 *
 * @param packageName the package whose script it is (for a trigger, the interested package)
 * @param script what would have run: {@code postinst}, {@code prerm of 1.2-1},
 *     {@code trigger /usr/share/man, activated by man-db; left pending for dpkg}, ...
 */
public record ScriptNotRun(String packageName, String script) {
  /** How these read in notes and messages. */
  public static final String PREFIX = "script not run: ";

  /** {@code script not run: nginx (postinst)}. */
  @Override
  public String toString() {
    return PREFIX + packageName + " (" + script + ")";
  }
}
