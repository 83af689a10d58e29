/**
 * The rpm family of the native engine: RHEL and its rebuilds, Fedora, Amazon Linux and Azure
 * Linux images patched as {@code dnf upgrade} and rpm would, without running either.
 */
package dev.imagepatch.patch.rpm;
