/**
 * RPM's formats: the header (tags, types, the immutable region), {@code .rpm} files (lead,
 * signature header, header, payload) verified with their digests and OpenPGP signatures, and
 * signed repository metadata.
 */
package dev.imagepatch.pkg.rpm;
