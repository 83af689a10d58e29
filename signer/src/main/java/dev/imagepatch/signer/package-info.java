/**
 * cosign-compatible signatures and attestations of patched images, and their verification.
 * Filled in by issue 7.
 */
package dev.imagepatch.signer;
