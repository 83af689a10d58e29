package dev.imagepatch.patch.spi;

import dev.imagepatch.patch.PatchListener;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.pkg.Architecture;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What a session gets from the pipeline for one image.
 *
 * @param architecture the image's platform architecture
 * @param repositories mirrors, extra repositories and keys for this backend's family
 * @param cache the download cache's root, shared by runs and processes
 * @param http the run's HTTP client
 * @param now the time repository metadata's validity is checked against
 * @param ignoreErrors skip and list what cannot be read, rather than fail
 * @param listener progress
 */
public record BackendContext(Architecture architecture, RepositoryOptions repositories, Path cache, HttpClient http,
    Instant now, boolean ignoreErrors, PatchListener listener) {}
