/**
 * The {@code Patcher} API and its backends (native now, BuildKit later). Filled in by issue 4.
 */
package dev.imagepatch.patch;
