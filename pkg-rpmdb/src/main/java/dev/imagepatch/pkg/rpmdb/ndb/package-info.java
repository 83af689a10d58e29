/**
 * rpm's NDB backend ({@code Packages.db}, SUSE Linux Enterprise 15 and openSUSE), read exactly as
 * rpm's {@code lib/backend/ndb/rpmpkg.c} reads it, and refused for writing: no independent NDB
 * reader is available to judge a write (Debian's rpm 4.18 is built without the ndb backend, and
 * there is no libndb).
 *
 * <p>{@code Packages.db} holds the package headers. The index file {@code Index.db} (rpmxdb and
 * rpmidx) is derived from it: rpm rebuilds it when its user generation differs from the
 * generation of {@code Packages.db}, so the package list and every header come from
 * {@code Packages.db} alone.
 */
package dev.imagepatch.pkg.rpmdb.ndb;
