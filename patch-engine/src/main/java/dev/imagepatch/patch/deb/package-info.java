/**
 * The Debian and Ubuntu family: dpkg's unpack, conffiles and database, and what dpkg's scripts
 * and triggers do that is Debian's own. Not API: public only where {@link java.util.ServiceLoader}
 * needs it.
 */
package dev.imagepatch.patch.deb;
