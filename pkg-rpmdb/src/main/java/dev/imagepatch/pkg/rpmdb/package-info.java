/**
 * The rpm database, read and written as rpm writes it: SQLite, Berkeley DB and NDB backends, the
 * installed header, and the Azure Linux distroless manifests.
 */
package dev.imagepatch.pkg.rpmdb;
