/**
 * Filesystem changes written as one deterministic layer tar (whiteouts included), and the
 * config, manifest and index surgery that appends it. Filled in by issue 4.
 */
package dev.imagepatch.layer;
