/**
 * The package-manager-neutral vocabulary every other module shares: {@link dev.imagepatch.pkg.PackageManager},
 * {@link dev.imagepatch.pkg.VersionOrder}, {@link dev.imagepatch.pkg.Architecture}, and the three
 * version orders in {@code dev.imagepatch.pkg.version}. It depends on nothing, so scanner reports can
 * be planned without any package family's code.
 */
package dev.imagepatch.pkg;
