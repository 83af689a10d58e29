package dev.imagepatch.pkg.rpm.repo;

import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.io.Fetch;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * One rpm repository ({@code baseurl}) as dnf reads it: {@code repodata/repomd.xml}, its
 * {@code repomd.xml.asc} verified when present and required with {@code repo_gpgcheck}, and the
 * metadata files it names fetched into the {@link ContentCache} (verified before they are
 * stored) and streamed from there with their content checksums verified.
 */
public final class RpmRepository {
  private final URI base;
  private final Repomd repomd;
  private final ContentCache cache;
  private final HttpClient http;

  private RpmRepository(URI base, Repomd repomd, ContentCache cache, HttpClient http) {
    this.base = base;
    this.repomd = repomd;
    this.cache = cache;
    this.http = http;
  }

  /**
   * Fetches and verifies a repository's repomd.xml. {@code keys} are the repository's gpgkey
   * files (null when none are configured); {@code http} may be null for {@code file:} URLs.
   */
  public static RpmRepository open(URI baseurl, PGPPublicKeyRingCollection keys, boolean repoGpgcheck,
      ContentCache cache, HttpClient http) throws IOException {
    URI base = baseurl.toString().endsWith("/") ? baseurl : URI.create(baseurl + "/");
    URI uri = base.resolve("repodata/repomd.xml");
    byte[] xml = small(http, uri).orElseThrow(() -> new IOException(uri + ": not found: is " + base
        + " an rpm repository?"));
    Optional<byte[]> asc = small(http, base.resolve("repodata/repomd.xml.asc"));
    return new RpmRepository(base, Repomd.verified(xml, asc, keys, repoGpgcheck, uri.toString()), cache, http);
  }

  public URI base() {
    return base;
  }

  public Repomd repomd() {
    return repomd;
  }

  /** Streams primary's packages. */
  public PrimaryReader.Result primary(MetadataSink<RpmRecord> sink) throws IOException {
    Repomd.Data data = repomd.require("primary", base.toString());
    try (InputStream stored = stored(data)) {
      return PrimaryReader.read(data, stored, uri(data).toString(), sink);
    }
  }

  /** Streams filelists' packages. */
  public PrimaryReader.Result filelists(MetadataSink<FilelistsReader.Entry> sink) throws IOException {
    Repomd.Data data = repomd.require("filelists", base.toString());
    try (InputStream stored = stored(data)) {
      return FilelistsReader.read(data, stored, uri(data).toString(), sink);
    }
  }

  /** The module streams, when the repository has modules metadata. */
  public Optional<ModulesYaml> modules() throws IOException {
    Optional<Repomd.Data> data = repomd.data("modules");
    if (data.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream stored = stored(data.get())) {
      return Optional.of(ModulesYaml.read(data.get(), stored, uri(data.get()).toString()));
    }
  }

  /** The URL of a metadata file or package location. */
  public URI uri(Repomd.Data data) {
    return data.locationBase() != null ? URI.create(data.locationBase().endsWith("/") ? data.locationBase()
        : data.locationBase() + "/").resolve(data.location()) : base.resolve(data.location());
  }

  private InputStream stored(Repomd.Data data) throws IOException {
    URI uri = uri(data);
    Checksum checksum = data.checksum();
    checksum.digest(uri.toString()); // a supported type and a well-formed value, else an IOException naming the file
    return Files.newInputStream(cache.get(Checksum.algorithm(checksum.type(), uri.toString()), checksum.hex(),
        data.size(), () -> Fetch.get(http, uri).orElseThrow(() -> new IOException(uri + ": not found (HTTP 404)")),
        uri.toString()));
  }

  private static Optional<byte[]> small(HttpClient http, URI uri) throws IOException {
    Optional<InputStream> in = Fetch.get(http, uri);
    if (in.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream s = in.get()) {
      return Optional.of(Bounded.readAll(s, Repomd.LIMIT, () -> uri + ": larger than " + Repomd.LIMIT + " bytes"));
    }
  }
}
