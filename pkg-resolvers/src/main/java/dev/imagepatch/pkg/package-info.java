/**
 * Package managers (dpkg/apt, apk, rpm): version order, repository indexes and their signatures,
 * resolution, package archives and the package databases. Filled in by issues 3 and 4.
 */
package dev.imagepatch.pkg;
