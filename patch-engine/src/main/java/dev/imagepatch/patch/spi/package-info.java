/**
 * What a package family implements to be patched by the native engine: a
 * {@link dev.imagepatch.patch.spi.PackageBackend} found with {@link java.util.ServiceLoader} and
 * chosen from the image, and the {@link dev.imagepatch.patch.spi.PackageSession} it opens for one
 * image. API for families; the pipeline that drives it is not.
 */
package dev.imagepatch.patch.spi;
