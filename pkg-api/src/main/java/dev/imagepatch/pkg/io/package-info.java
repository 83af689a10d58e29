/** Bounded reading of untrusted archives: sizes, header sizes, disk spent, and interruption. */
package dev.imagepatch.pkg.io;
