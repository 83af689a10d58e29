/**
 * The apk family's formats (Alpine, Wolfi, Chainguard): v2 {@code .apk} archives verified along
 * apk's whole chain, signed {@code APKINDEX.tar.gz} indexes, index and installed-database records,
 * and {@code /etc/apk/repositories}.
 */
package dev.imagepatch.pkg.apk;
