package dev.imagepatch.pkg;

import java.util.Comparator;

/**
 * How one package manager orders its versions, exactly as the manager itself does. A total order
 * over valid versions; {@link #compare} rejects an invalid version with
 * {@link InvalidVersionException} rather than guess where it sorts.
 */
public interface VersionOrder extends Comparator<String> {

  /** Throws {@link InvalidVersionException}, saying why, when {@code version} is not valid. */
  void validate(String version);

  /** The sign of {@code a} against {@code b}: negative, zero or positive. */
  @Override
  int compare(String a, String b);

  /** The package manager this order belongs to. */
  PackageManager packageManager();
}
