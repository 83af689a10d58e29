package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.DigestMismatchException;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.JsonDocument;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for one registry speaking the Distribution API v2 (the OCI distribution spec):
 * manifests by tag or digest with their exact bytes, blobs streamed and verified, uploads
 * (monolithic, or chunked above a size threshold) with cross-repository mounts, tags and
 * referrers. Authentication (anonymous, Basic, bearer tokens) follows the registry's challenges.
 * Connection errors, 5xx and 429 are retried within a {@link RetryPolicy}, except a refused
 * connection to a loopback host, where nothing listens; a host's Retry-After pauses every client
 * sharing its {@link RegistryLimits}. Thread-safe.
 *
 * <p>A façade, as jib-core's is: each endpoint group is a small class of its own, over a
 * transport stacked from one concern per layer.
 */
public final class RegistryClient {
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

  private final String registry;
  private final URI base;
  private final TransferStats stats = new TransferStats();
  private final Manifests manifests;
  private final Blobs blobs;
  private final BlobUploads uploads;
  private final Tags tags;
  private final Referrers referrers;

  private RegistryClient(Builder b) {
    this.registry = b.registry;
    boolean plain = b.plainHttp != null ? b.plainHttp : isLoopback(b.registry);
    if (b.plainHttp != null && b.plainHttp && !isLoopback(b.registry)) {
      log.warn("INSECURE: talking to registry {} over plain HTTP; credentials and content can be read"
          + " and changed on the way", b.registry);
    }
    // Docker Hub's API is not served at the name references use.
    String host = b.registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : b.registry;
    this.base = URI.create((plain ? "http://" : "https://") + host);
    HttpClient http = b.httpClient != null ? b.httpClient : HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(15))
        .build();
    RegistryApi api = new RegistryApi(registry, base, http, b.userAgent, new StallTimer(b.stallTimeout), b.retry,
        b.limits != null ? b.limits : RegistryLimits.unlimited(), b.credentials, stats);
    this.manifests = new Manifests(api);
    this.blobs = new Blobs(api);
    this.uploads = new BlobUploads(api, b.chunkThreshold, b.chunkSize);
    this.tags = new Tags(api);
    this.referrers = new Referrers(api, manifests);
  }

  /** A builder for a client of {@code registry} (host and optional port, e.g. {@code localhost:5000}). */
  public static Builder builder(String registry) {
    return new Builder(registry);
  }

  /** Builds {@link RegistryClient}s. */
  public static final class Builder {
    private final String registry;
    private CredentialProvider credentials = CredentialProvider.anonymous();
    private Boolean plainHttp;
    private RetryPolicy retry = RetryPolicy.defaults();
    private long chunkThreshold = 64L * 1024 * 1024;
    private int chunkSize = 16 * 1024 * 1024;
    private String userAgent = "imagepatch";
    private HttpClient httpClient;
    private Duration stallTimeout = Duration.ofMinutes(2);
    private RegistryLimits limits;

    private Builder(String registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    public Builder credentials(CredentialProvider provider) {
      this.credentials = Objects.requireNonNull(provider);
      return this;
    }

    /**
     * Plain HTTP instead of HTTPS. Loopback registries use plain HTTP unless told otherwise; for
     * any other host this is insecure and logged as such.
     */
    public Builder plainHttp(boolean plain) {
      this.plainHttp = plain;
      return this;
    }

    public Builder retryPolicy(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy);
      return this;
    }

    /**
     * Shares {@code limits} with the other clients of a run: requests at a time per registry host,
     * and the pauses a host asks for with Retry-After. Without it the client has limits of its own,
     * unlimited.
     */
    public Builder limits(RegistryLimits limits) {
      this.limits = Objects.requireNonNull(limits);
      return this;
    }

    /** Blobs larger than {@code threshold} bytes are uploaded in chunks of {@code size} bytes. */
    public Builder chunking(long threshold, int size) {
      if (size <= 0) {
        throw new IllegalArgumentException("chunk size must be positive");
      }
      this.chunkThreshold = threshold;
      this.chunkSize = size;
      return this;
    }

    /**
     * How long the registry may send or take nothing before an exchange is cancelled and retried
     * (default two minutes). Time counts only while waiting on the registry: slow transfers that
     * make progress are never cut off.
     */
    public Builder stallTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("the stall timeout must be positive: " + timeout);
      }
      this.stallTimeout = timeout;
      return this;
    }

    public Builder userAgent(String agent) {
      this.userAgent = agent;
      return this;
    }

    /** Uses this HTTP client (e.g. with a custom SSLContext); it must not follow redirects. */
    public Builder httpClient(HttpClient client) {
      this.httpClient = client;
      return this;
    }

    public RegistryClient build() {
      return new RegistryClient(this);
    }
  }

  public String registry() {
    return registry;
  }

  /** Bytes and blobs this client has moved. */
  public TransferStats stats() {
    return stats;
  }

  /** A view of one repository as an image source and target. */
  public RemoteRepository repository(String repository) {
    return new RemoteRepository(this, repository);
  }

  /**
   * Fetches the manifest or index {@code reference} (tag or digest) names, with every manifest
   * media type accepted. Fetched by digest, the bytes must hash to it; fetched by tag, they must
   * hash to the digest the registry reports.
   */
  public JsonDocument getManifest(String repository, String reference) throws IOException {
    return manifests.get(repository, reference);
  }

  /** The descriptor of a manifest, without its body; empty when the registry does not have it. */
  public Optional<Descriptor> headManifest(String repository, String reference) throws IOException {
    return manifests.head(repository, reference);
  }

  /**
   * Stores a manifest or index under {@code reference}, a tag or its own digest, with its media
   * type as Content-Type. Returns the digest the registry confirmed.
   */
  public Digest putManifest(String repository, String reference, JsonDocument document) throws IOException {
    return manifests.put(repository, reference, document);
  }

  /** Every tag of a repository, following the registry's pagination. */
  public List<String> listTags(String repository) throws IOException {
    return tags.list(repository);
  }

  /**
   * The referrers of {@code subject}: from the referrers API when the registry offers it,
   * otherwise from the fallback tag {@code <alg>-<hex>} that OCI 1.1 clients maintain; an empty
   * index when there are none. {@code artifactType} (may be null) filters the entries.
   */
  public Index referrers(String repository, Digest subject, String artifactType) throws IOException {
    return referrers.list(repository, subject, artifactType);
  }

  /** The size of a blob the repository has; empty when it does not have it. */
  public Optional<Long> headBlob(String repository, Digest digest) throws IOException {
    return blobs.head(repository, digest);
  }

  /**
   * Streams a blob. The stream checks the content against the descriptor's digest and size while
   * it is read and throws {@link DigestMismatchException} at its end on any difference.
   */
  public InputStream openBlob(String repository, Descriptor descriptor) throws IOException {
    return blobs.open(repository, descriptor);
  }

  /**
   * Asks the registry to link a blob from another repository of the same registry, without
   * sending it. Returns false when the registry would not (the caller then uploads).
   */
  public boolean mountBlob(String repository, Digest digest, String fromRepository) throws IOException {
    return uploads.mount(repository, digest, fromRepository);
  }

  /**
   * Uploads a blob: one PUT when it is at most the chunk threshold, PATCH chunks and a closing
   * PUT otherwise. The content is verified against the descriptor while it is sent; the registry
   * checks the digest too and keeps nothing on a mismatch. A failed upload is started over
   * (content reopened) within the retry policy.
   */
  public void pushBlob(String repository, Descriptor descriptor, ImageTarget.BlobContent content)
      throws IOException {
    uploads.push(repository, descriptor, content);
  }

  static boolean isLoopback(String registry) {
    return Failures.isLoopback(registry);
  }

  @Override
  public String toString() {
    return "RegistryClient " + base;
  }
}
