/**
 * Resolution of {@code dnf upgrade <names>} as dnf 4 over libsolv decides it, in pure Java: the
 * installed and available packages ({@link dev.imagepatch.pkg.rpm.resolve.RpmSolvable}), the resolver
 * ({@link dev.imagepatch.pkg.rpm.resolve.RpmResolver}) and dnf's modular filtering
 * ({@link dev.imagepatch.pkg.rpm.resolve.ModularFilter}).
 */
package dev.imagepatch.pkg.rpm.resolve;
