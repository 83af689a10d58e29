/**
 * Scanner reports (Trivy, Grype, and more through a service-provider interface) read into one
 * scanner-neutral vulnerability model. Filled in by issue 3.
 */
package dev.imagepatch.report;
