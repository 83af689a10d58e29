package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;

/**
 * Sends a {@link Call}. Layers stack as go-containerregistry's round trippers do, one concern
 * each: {@link RedirectingTransport} over {@link RetryingTransport} over
 * {@link AuthenticatingTransport} over {@link ThrottlingTransport} over one
 * {@link StallGuardedExchange}; {@link RegistryApi} assembles them.
 */
@FunctionalInterface
interface Transport {
  HttpResponse<InputStream> send(Call call) throws IOException;
}
