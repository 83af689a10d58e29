/**
 * RPM repository metadata as dnf reads it: {@code repomd.xml} and its detached OpenPGP signature,
 * {@code primary} and {@code filelists} streamed with their checksums verified on the way,
 * {@code modules.yaml} (module streams and their defaults), and a content-addressed cache for
 * the files repomd names.
 */
package dev.imagepatch.pkg.rpm.repo;
