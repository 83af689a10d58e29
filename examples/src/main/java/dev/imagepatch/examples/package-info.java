/** Embedding examples; Kubernetes, Kyverno and CI manifests live beside them under {@code examples/}. */
package dev.imagepatch.examples;
