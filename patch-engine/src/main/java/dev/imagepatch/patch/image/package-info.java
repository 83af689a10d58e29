/**
 * The native engine's pipeline, the same for every package family: index fan-out, re-patching,
 * the layer written and pushed, every fix verified. Not API: public only where
 * {@link java.util.ServiceLoader} needs it.
 */
package dev.imagepatch.patch.image;
