/**
 * Berkeley DB files as rpm's BDB backend keeps them (RHEL/CentOS 7, RHEL/UBI 8, Amazon Linux 2), read
 * and written in pure Java in libdb 5.3's on-disk format: the hash {@code Packages} file and the btree
 * index files. {@link dev.imagepatch.pkg.rpmdb.bdb.BdbReader} reads hash and btree files of either
 * byte order; {@link dev.imagepatch.pkg.rpmdb.bdb.BdbWriter} lays out fresh files that libdb opens
 * read-write; {@link dev.imagepatch.pkg.rpmdb.bdb.RpmBdb} is rpm's use of them.
 */
package dev.imagepatch.pkg.rpmdb.bdb;
