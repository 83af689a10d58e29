package dev.imagepatch.oci.registry;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.DigestMismatchException;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.VerifyingInputStream;
import dev.imagepatch.oci.internal.CountingInputStream;
import dev.imagepatch.oci.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for one registry speaking the Distribution API v2 (the OCI distribution spec):
 * manifests by tag or digest with their exact bytes, blobs streamed and verified, uploads
 * (monolithic, or chunked above a size threshold) with cross-repository mounts, tags and
 * referrers. Authentication (anonymous, Basic, bearer tokens) follows the registry's challenges.
 * Connection errors, 5xx and 429 are retried within a {@link RetryPolicy}. Thread-safe.
 */
public final class RegistryClient {
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
  private static final int ERROR_BODY_LIMIT = 8 * 1024;
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

  private final String registry;
  private final URI base;
  private final HttpClient http;
  private final RetryPolicy retry;
  private final Authenticator auth;
  private final long chunkThreshold;
  private final int chunkSize;
  private final String userAgent;
  private final TransferStats stats = new TransferStats();
  private final StallTimer stall;

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
    this.http = b.httpClient != null ? b.httpClient : HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(15))
        .build();
    this.retry = b.retry;
    this.stall = new StallTimer(b.stallTimeout);
    this.chunkThreshold = b.chunkThreshold;
    this.chunkSize = b.chunkSize;
    this.userAgent = b.userAgent;
    this.auth = new Authenticator(registry, b.credentials, this::sendAnonymous);
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

  // ---------------------------------------------------------------- manifests

  /**
   * Fetches the manifest or index {@code reference} (tag or digest) names, with every manifest
   * media type accepted. Fetched by digest, the bytes must hash to it; fetched by tag, they must
   * hash to the digest the registry reports.
   */
  public JsonDocument getManifest(String repository, String reference) throws IOException {
    String op = "get manifest " + reference;
    Call call = new Call("GET", manifestUri(repository, reference), op, repository, pull(repository));
    call.header("Accept", String.join(", ", MediaTypes.MANIFEST_TYPES));
    HttpResponse<InputStream> response = send(call);
    expect(response, call, 200);
    byte[] bytes;
    try (InputStream in = response.body()) {
      bytes = Json.readLimited(in, JsonDocument.MAX_MANIFEST_BYTES, where(repository, reference));
    }
    Digest expected = Digest.isDigest(reference) ? Digest.parse(reference) : null;
    if (expected == null) {
      Optional<String> header = response.headers().firstValue("Docker-Content-Digest");
      if (header.isPresent() && Digest.isDigest(header.get())) {
        expected = Digest.parse(header.get());
      }
    }
    String contentType = response.headers().firstValue("Content-Type").orElse(null);
    return JsonDocument.parseManifest(bytes, contentType, expected, where(repository, reference));
  }

  /** The descriptor of a manifest, without its body; empty when the registry does not have it. */
  public Optional<Descriptor> headManifest(String repository, String reference) throws IOException {
    Call call = new Call("HEAD", manifestUri(repository, reference), "check manifest " + reference,
        repository, pull(repository));
    call.header("Accept", String.join(", ", MediaTypes.MANIFEST_TYPES));
    HttpResponse<InputStream> response = send(call);
    response.body().close();
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    expect(response, call, 200);
    String type = response.headers().firstValue("Content-Type").orElse(MediaTypes.OCI_MANIFEST).split(";")[0];
    Optional<String> digest = response.headers().firstValue("Docker-Content-Digest");
    long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (digest.isEmpty() || !Digest.isDigest(digest.get()) || size < 0) {
      // Without a digest header the only way to know is to fetch it.
      return Optional.of(getManifest(repository, reference).descriptor());
    }
    return Optional.of(Descriptor.of(type, Digest.parse(digest.get()), size));
  }

  /**
   * Stores a manifest or index under {@code reference}, a tag or its own digest, with its media
   * type as Content-Type. Returns the digest the registry confirmed.
   */
  public Digest putManifest(String repository, String reference, JsonDocument document) throws IOException {
    if (Digest.isDigest(reference) && !Digest.parse(reference).equals(document.digest())) {
      throw new IllegalArgumentException("cannot put " + document.digest() + " under digest " + reference);
    }
    String op = "put manifest " + reference;
    byte[] bytes = document.bytes();
    Call call = new Call("PUT", manifestUri(repository, reference), op, repository, push(repository));
    call.header("Content-Type", document.mediaType());
    call.body(() -> new java.io.ByteArrayInputStream(bytes), bytes.length, false);
    HttpResponse<InputStream> response = send(call);
    expect(response, call, 201, 200);
    response.body().close();
    Optional<String> confirmed = response.headers().firstValue("Docker-Content-Digest");
    if (confirmed.isPresent() && Digest.isDigest(confirmed.get())
        && !Digest.parse(confirmed.get()).equals(document.digest())) {
      throw new RegistryException(registry, repository, op, response.statusCode(), null,
          "the registry stored it as " + confirmed.get() + ", not " + document.digest(), null);
    }
    return document.digest();
  }

  /** Every tag of a repository, following the registry's pagination. */
  public List<String> listTags(String repository) throws IOException {
    List<String> tags = new ArrayList<>();
    URI next = base.resolve("/v2/" + repository + "/tags/list?n=1000");
    while (next != null) {
      Call call = new Call("GET", next, "list tags", repository, pull(repository));
      HttpResponse<InputStream> response = send(call);
      expect(response, call, 200);
      byte[] body;
      try (InputStream in = response.body()) {
        body = Json.readLimited(in, 64L << 20, where(repository, "tags"));
      }
      Json.readObject(body, where(repository, "tags list")).path("tags").forEach(t -> tags.add(t.asText()));
      next = response.headers().firstValue("Link").map(link -> {
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? base.resolve(m.group(1)) : null;
      }).orElse(null);
    }
    return tags;
  }

  /**
   * The referrers of {@code subject}: from the referrers API when the registry offers it,
   * otherwise from the fallback tag {@code <alg>-<hex>} that OCI 1.1 clients maintain; an empty
   * index when there are none. {@code artifactType} (may be null) filters the entries.
   */
  public Index referrers(String repository, Digest subject, String artifactType) throws IOException {
    String query = artifactType == null ? "" : "?artifactType=" + enc(artifactType);
    Call call = new Call("GET", base.resolve("/v2/" + repository + "/referrers/" + subject + query),
        "list referrers of " + subject, repository, pull(repository));
    call.header("Accept", MediaTypes.OCI_INDEX);
    HttpResponse<InputStream> response = send(call);
    Index index;
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    if (response.statusCode() == 200 && contentType.startsWith(MediaTypes.OCI_INDEX)) {
      byte[] body;
      try (InputStream in = response.body()) {
        body = Json.readLimited(in, JsonDocument.MAX_MANIFEST_BYTES, where(repository, "referrers"));
      }
      index = Index.parse(body, MediaTypes.OCI_INDEX);
      if (response.headers().firstValue("OCI-Filters-Applied").orElse("").contains("artifactType")) {
        return index;
      }
    } else {
      response.body().close();
      if (response.statusCode() != 404 && response.statusCode() != 400 && response.statusCode() != 405) {
        expect(response, call, 200);
      }
      index = fallbackReferrers(repository, subject);
    }
    if (artifactType == null) {
      return index;
    }
    List<Descriptor> kept = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      if (d.artifactType().map(artifactType::equals).orElse(false)) {
        kept.add(d);
      }
    }
    return index.withManifests(kept);
  }

  /** The index OCI 1.1 clients keep under the tag {@code <alg>-<hex>} where the API is missing. */
  private Index fallbackReferrers(String repository, Digest subject) throws IOException {
    try {
      JsonDocument doc = getManifest(repository, subject.algorithm().id() + "-" + subject.hex());
      if (doc instanceof Index i) {
        return i;
      }
    } catch (RegistryException e) {
      if (e.statusCode() != 404) {
        throw e;
      }
    }
    return Index.create(MediaTypes.OCI_INDEX, List.of());
  }

  // ---------------------------------------------------------------- blobs

  /** The size of a blob the repository has; empty when it does not have it. */
  public Optional<Long> headBlob(String repository, Digest digest) throws IOException {
    Call call = new Call("HEAD", blobUri(repository, digest), "check blob " + digest, repository, pull(repository));
    call.followRedirects = true;
    HttpResponse<InputStream> response = send(call);
    response.body().close();
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    expect(response, call, 200);
    return Optional.of(response.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  /**
   * Streams a blob. The stream checks the content against the descriptor's digest and size while
   * it is read and throws {@link DigestMismatchException} at its end on any difference.
   */
  public InputStream openBlob(String repository, Descriptor descriptor) throws IOException {
    Call call = new Call("GET", blobUri(repository, descriptor.digest()), "get blob " + descriptor.digest(),
        repository, pull(repository));
    call.followRedirects = true;
    HttpResponse<InputStream> response = send(call);
    expect(response, call, 200);
    InputStream counted = new CountingInputStream(response.body(), stats.bytesDownloaded);
    return new VerifyingInputStream(counted, descriptor.digest(), descriptor.size(),
        "blob " + descriptor.digest() + " from " + registry + "/" + repository);
  }

  /**
   * Asks the registry to link a blob from another repository of the same registry, without
   * sending it. Returns false when the registry would not (the caller then uploads).
   */
  public boolean mountBlob(String repository, Digest digest, String fromRepository) throws IOException {
    URI uri = base.resolve("/v2/" + repository + "/blobs/uploads/?mount=" + enc(digest.toString())
        + "&from=" + enc(fromRepository));
    Call call = new Call("POST", uri, "mount blob " + digest + " from " + fromRepository, repository,
        Set.of(pushScope(repository), pullScope(fromRepository)));
    call.body(InputStream::nullInputStream, 0, true);
    HttpResponse<InputStream> response;
    try {
      response = send(call);
    } catch (RegistryException e) {
      // Some registries answer a mount they dislike with 401 or 403; an upload still works.
      log.debug("mount refused, uploading instead: {}", e.getMessage());
      return false;
    }
    response.body().close();
    if (response.statusCode() == 201) {
      stats.blobsMounted.incrementAndGet();
      return true;
    }
    if (response.statusCode() == 202) {
      // The registry opened an upload session instead; drop it, the caller starts its own.
      response.headers().firstValue("Location").ifPresent(location -> cancelUpload(repository, location));
    }
    return false;
  }

  /**
   * Uploads a blob: one PUT when it is at most the chunk threshold, PATCH chunks and a closing
   * PUT otherwise. The content is verified against the descriptor while it is sent; the registry
   * checks the digest too and keeps nothing on a mismatch. A failed upload is started over
   * (content reopened) within the retry policy.
   */
  public void pushBlob(String repository, Descriptor descriptor, ImageTarget.BlobContent content)
      throws IOException {
    String op = "upload blob " + descriptor.digest();
    long deadline = System.nanoTime() + retry.totalTime().toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        uploadOnce(repository, descriptor, content, op);
        stats.blobsUploaded.incrementAndGet();
        return;
      } catch (RegistryException e) {
        if (!isRetryable(e.statusCode()) || attempt >= retry.maxAttempts() || System.nanoTime() > deadline) {
          throw e;
        }
        Duration pause = retry.backoff(attempt);
        log.warn("{}: attempt {} failed ({}); starting over in {} ms", op, attempt, e.getMessage(), pause.toMillis());
        sleep(pause);
      }
    }
  }

  private void uploadOnce(String repository, Descriptor descriptor, ImageTarget.BlobContent content, String op)
      throws IOException {
    Call start = new Call("POST", base.resolve("/v2/" + repository + "/blobs/uploads/"), op + " (start)",
        repository, push(repository));
    start.body(InputStream::nullInputStream, 0, true);
    HttpResponse<InputStream> started = send(start);
    expect(started, start, 202);
    started.body().close();
    URI location = location(started, start);
    Digest digest = descriptor.digest();
    String what = "content for blob " + digest;
    try (InputStream source = new VerifyingInputStream(content.open(), digest, descriptor.size(), what)) {
      if (descriptor.size() <= chunkThreshold) {
        Call put = new Call("PUT", withDigest(location, digest), op, repository, push(repository));
        put.header("Content-Type", "application/octet-stream");
        put.body(() -> counting(source), descriptor.size(), false);
        HttpResponse<InputStream> done = send(put);
        expect(done, put, 201);
        done.body().close();
      } else {
        long offset = 0;
        while (offset < descriptor.size()) {
          long length = Math.min(chunkSize, descriptor.size() - offset);
          Call patch = new Call("PATCH", location, op + " (chunk at " + offset + ")", repository, push(repository));
          patch.header("Content-Type", "application/octet-stream");
          patch.header("Content-Range", offset + "-" + (offset + length - 1));
          patch.body(() -> counting(bounded(source, length)), length, false);
          HttpResponse<InputStream> accepted = send(patch);
          expect(accepted, patch, 202);
          accepted.body().close();
          location = location(accepted, patch);
          offset += length;
        }
        if (source.read() != -1) {
          throw new DigestMismatchException(what + ": longer than " + descriptor.size() + " bytes");
        }
        Call put = new Call("PUT", withDigest(location, digest), op + " (finish)", repository, push(repository));
        put.body(InputStream::nullInputStream, 0, false);
        HttpResponse<InputStream> done = send(put);
        expect(done, put, 201);
        done.body().close();
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private InputStream counting(InputStream in) {
    return new CountingInputStream(in, stats.bytesUploaded);
  }

  /** The next {@code length} bytes of {@code in}; closing the view leaves {@code in} open. */
  private static InputStream bounded(InputStream in, long length) throws IOException {
    return org.apache.commons.io.input.BoundedInputStream.builder().setInputStream(in).setMaxCount(length)
        .setPropagateClose(false).get();
  }

  private void cancelUpload(String repository, String location) {
    try {
      Call call = new Call("DELETE", base.resolve(location), "cancel upload", repository, push(repository));
      send(call).body().close();
    } catch (IOException e) {
      log.debug("could not cancel an unused upload session: {}", e.getMessage());
    }
  }

  // ---------------------------------------------------------------- transport

  /** One request, rebuilt for every attempt. */
  private static final class Call {
    final String method;
    URI uri;
    final String operation;
    final String repository;
    final Set<String> scopes;
    final List<String[]> headers = new ArrayList<>();
    IoSupplier body;
    long bodyLength = -1;
    boolean replayable = true;
    boolean followRedirects;

    Call(String method, URI uri, String operation, String repository, Set<String> scopes) {
      this.method = method;
      this.uri = uri;
      this.operation = operation;
      this.repository = repository;
      this.scopes = scopes;
    }

    void header(String name, String value) {
      headers.add(new String[] {name, value});
    }

    /** A non-replayable body is sent once: its request is not retried (the caller may start over). */
    void body(IoSupplier supplier, long length, boolean canReplay) {
      this.body = supplier;
      this.bodyLength = length;
      this.replayable = canReplay;
    }
  }

  @FunctionalInterface
  private interface IoSupplier {
    InputStream get() throws IOException;
  }

  /** Sends a call with authorization, retries and (for blob reads) redirects. */
  private HttpResponse<InputStream> send(Call call) throws IOException {
    long deadline = System.nanoTime() + retry.totalTime().toNanos();
    boolean authRetried = false;
    boolean sameHost = true;
    int redirects = 0;
    for (int attempt = 1; ; ) {
      HttpRequest.Builder request = HttpRequest.newBuilder(call.uri).header("User-Agent", userAgent);
      call.headers.forEach(h -> request.header(h[0], h[1]));
      Optional<String> authorization = sameHost ? auth.authorization(call.scopes) : Optional.empty();
      authorization.ifPresent(a -> request.header("Authorization", a));
      StallTimer.Watch watch = stall.watch(call.operation + " on " + registry);
      request.method(call.method, publisher(call, watch));
      HttpResponse<InputStream> response;
      try {
        response = exchange(request.build(), watch, call.operation);
      } catch (IOException e) {
        Optional<DigestMismatchException> mismatch = mismatchIn(e);
        if (mismatch.isPresent()) {
          // Our own source was bad: not the registry's fault, and not worth a retry.
          throw mismatch.get();
        }
        if (!call.replayable || attempt >= retry.maxAttempts() || !retryableIo(e)) {
          throw unreachable(call, attempt, e);
        }
        Duration pause = retry.backoff(attempt);
        if (System.nanoTime() + pause.toNanos() > deadline) {
          throw unreachable(call, attempt, e);
        }
        log.warn("{} on {}: {}; retrying in {} ms", call.operation, registry, describe(e), pause.toMillis());
        sleep(pause);
        attempt++;
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(call.operation + " on " + registry + " interrupted");
      }
      int status = response.statusCode();
      if (status == 401 && sameHost && !authRetried) {
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse(null);
        boolean sentBasic = authorization.map(a -> a.startsWith("Basic ")).orElse(false);
        if (auth.onUnauthorized(challenge, call.scopes, sentBasic) && call.replayable) {
          response.body().close();
          authRetried = true;
          continue;
        }
      }
      if (call.followRedirects && isRedirect(status) && redirects < 5) {
        Optional<String> location = response.headers().firstValue("Location");
        response.body().close();
        if (location.isPresent()) {
          URI next = call.uri.resolve(location.get());
          // Storage back ends get no registry credentials.
          sameHost = sameHost && Objects.equals(next.getAuthority(), base.getAuthority());
          call.uri = next;
          redirects++;
          continue;
        }
      }
      if (isRetryable(status) && call.replayable && attempt < retry.maxAttempts()) {
        Duration pause = retryAfter(response).orElse(retry.backoff(attempt));
        if (System.nanoTime() + pause.toNanos() <= deadline) {
          String body = readError(response);
          log.warn("{} on {}: HTTP {}; retrying in {} ms {}", call.operation, registry, status, pause.toMillis(), body);
          sleep(pause);
          attempt++;
          continue;
        }
      }
      return response;
    }
  }

  /** For the token endpoint: no registry authorization, the same retries. */
  private HttpResponse<InputStream> sendAnonymous(HttpRequest.Builder request, String operation) throws IOException {
    HttpRequest built = request.header("User-Agent", userAgent).build();
    Call call = new Call(built.method(), built.uri(), operation, null, Set.of());
    long deadline = System.nanoTime() + retry.totalTime().toNanos();
    for (int attempt = 1; ; attempt++) {
      HttpResponse<InputStream> response;
      try {
        response = exchange(built, stall.watch(operation), operation);
      } catch (IOException e) {
        Duration pause = retry.backoff(attempt);
        if (attempt >= retry.maxAttempts() || !retryableIo(e) || System.nanoTime() + pause.toNanos() > deadline) {
          throw unreachable(call, attempt, e);
        }
        sleep(pause);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(operation + " interrupted");
      }
      if (isRetryable(response.statusCode()) && attempt < retry.maxAttempts()) {
        Duration pause = retryAfter(response).orElse(retry.backoff(attempt));
        if (System.nanoTime() + pause.toNanos() <= deadline) {
          response.body().close();
          sleep(pause);
          continue;
        }
      }
      return response;
    }
  }

  /**
   * One exchange under the stall timer: the request and its body until the response's headers,
   * then the body as the caller reads it. A stall cancels the exchange and ends in an
   * {@link java.net.http.HttpTimeoutException}, retried as any I/O error is.
   */
  private HttpResponse<InputStream> exchange(HttpRequest request, StallTimer.Watch watch, String operation)
      throws IOException, InterruptedException {
    if (Thread.interrupted()) {
      // Interrupted (a patch's timeout): no new request, not even one to be cancelled at once.
      throw new InterruptedException();
    }
    HttpResponse<InputStream> response;
    watch.waiting();
    CompletableFuture<HttpResponse<InputStream>> pending =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
    watch.onStall(() -> pending.cancel(true));
    try {
      response = pending.get();
    } catch (CancellationException e) {
      throw watch.exception();
    } catch (ExecutionException e) {
      if (watch.fired()) {
        throw (IOException) watch.exception().initCause(e.getCause());
      }
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      pending.cancel(true);
      throw e;
    } finally {
      watch.close();
    }
    InputStream body = stall.watch("reading the response to " + operation + " from " + registry)
        .guard(response.body());
    return new Guarded(response, body);
  }

  /** A response whose body is read under the stall timer. */
  private record Guarded(HttpResponse<InputStream> response, InputStream body) implements HttpResponse<InputStream> {
    @Override
    public int statusCode() {
      return response.statusCode();
    }

    @Override
    public HttpRequest request() {
      return response.request();
    }

    @Override
    public Optional<HttpResponse<InputStream>> previousResponse() {
      return response.previousResponse();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return response.headers();
    }

    @Override
    public Optional<javax.net.ssl.SSLSession> sslSession() {
      return response.sslSession();
    }

    @Override
    public URI uri() {
      return response.uri();
    }

    @Override
    public HttpClient.Version version() {
      return response.version();
    }
  }

  private static HttpRequest.BodyPublisher publisher(Call call, StallTimer.Watch watch) {
    if (call.body == null) {
      return HttpRequest.BodyPublishers.noBody();
    }
    if (call.bodyLength == 0) {
      return HttpRequest.BodyPublishers.noBody();
    }
    HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(() -> {
      try {
        return watch.source(call.body.get());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return HttpRequest.BodyPublishers.fromPublisher(stream, call.bodyLength);
  }

  private void expect(HttpResponse<InputStream> response, Call call, int... ok) throws IOException {
    for (int code : ok) {
      if (response.statusCode() == code) {
        return;
      }
    }
    String body = readError(response);
    String detail = switch (response.statusCode()) {
      case 401 -> "unauthorized with " + auth.describeCredential();
      case 403 -> "forbidden for " + auth.describeCredential();
      case 404 -> "not found";
      case 429 -> "too many requests, still refused after " + retry;
      default -> response.statusCode() >= 500 ? "server error, still failing after " + retry : "";
    };
    throw new RegistryException(registry, call.repository, call.operation, response.statusCode(), body, detail, null);
  }

  private static String readError(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      return new String(in.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private RegistryException unreachable(Call call, int attempts, IOException e) {
    return new RegistryException(registry, call.repository, call.operation, 0, null,
        "cannot reach " + call.uri.getScheme() + "://" + call.uri.getAuthority() + " (" + describe(e) + ") after "
            + attempts + (attempts == 1 ? " attempt" : " attempts"), e);
  }

  private static String describe(IOException e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (message == null && t.getMessage() != null && !t.getMessage().isEmpty()) {
        message = t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return message != null ? message : e.getClass().getSimpleName();
  }

  private static Optional<DigestMismatchException> mismatchIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DigestMismatchException d) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  private static boolean retryableIo(IOException e) {
    return !(e instanceof UnknownHostException) && !(e instanceof javax.net.ssl.SSLHandshakeException);
  }

  static boolean isRetryable(int status) {
    return status == 0 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** Retry-After as seconds or an HTTP date. */
  private static Optional<Duration> retryAfter(HttpResponse<?> response) {
    Optional<String> value = response.headers().firstValue("Retry-After");
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String v = value.get().strip();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime when = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(when.getZone()), when);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }

  private URI location(HttpResponse<?> response, Call call) throws RegistryException {
    String location = response.headers().firstValue("Location").orElseThrow(() -> new RegistryException(
        registry, call.repository, call.operation, response.statusCode(), null, "no Location header", null));
    return call.uri.resolve(location);
  }

  private static URI withDigest(URI location, Digest digest) {
    String s = location.toString();
    return URI.create(s + (s.contains("?") ? "&" : "?") + "digest=" + enc(digest.toString()));
  }

  private URI manifestUri(String repository, String reference) {
    return base.resolve("/v2/" + repository + "/manifests/" + reference);
  }

  private URI blobUri(String repository, Digest digest) {
    return base.resolve("/v2/" + repository + "/blobs/" + digest);
  }

  private String where(String repository, String reference) {
    return registry + "/" + repository + ":" + reference;
  }

  private static Set<String> pull(String repository) {
    return Set.of(pullScope(repository));
  }

  private static Set<String> push(String repository) {
    return Set.of(pushScope(repository));
  }

  private static String pullScope(String repository) {
    return "repository:" + repository + ":pull";
  }

  private static String pushScope(String repository) {
    return "repository:" + repository + ":pull,push";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static boolean isLoopback(String registry) {
    String host = registry;
    if (host.startsWith("[")) {
      host = host.substring(1, host.indexOf(']'));
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.equals("localhost") || host.endsWith(".localhost")) {
      return true;
    }
    if (host.matches("[0-9.]+") || host.contains(":")) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "RegistryClient " + base;
  }

}
