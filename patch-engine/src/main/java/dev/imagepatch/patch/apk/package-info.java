/**
 * The apk family (Alpine, Wolfi, Chainguard): {@code ApkBackend}, {@code ApkSession},
 * {@code ApkLayer} (apk-tools 2's unpack, protected paths, database, scripts and triggers), and what
 * apk's scripts do that is Alpine's own (busybox's applet links, Alpine's update-ca-certificates).
 * Not API: public only where {@link java.util.ServiceLoader} needs it.
 */
package dev.imagepatch.patch.apk;
