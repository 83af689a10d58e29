package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.rpm.repo.RpmRepository;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One enabled repository opened as dnf opens it: its base URLs in turn until one answers (never past
 * a failed check), {@code repomd.xml} (its
 * {@code .asc} verified against the repository's keys; required with {@code repo_gpgcheck=1}),
 * primary's packages (source packages and what {@code excludepkgs} names left out) and its module
 * streams.
 */
record OpenRepository(RepoConfig config, RpmRepository repository, RepoKeys keys, List<RpmRecord> records,
    Optional<ModulesYaml> modules) {

  static OpenRepository open(RepoConfig r, MergedFilesystem image, BackendContext context, ContentCache cache)
      throws PatchException {
    if (r.baseurls().isEmpty()) {
      if (r.mirrorlist() != null) {
        throw new PatchException(r.source() + ": repository " + r.id() + " has only a mirrorlist/metalink ("
            + r.mirrorlist() + "), which imagepatch does not follow (the mirror it picks would decide what is"
            + " installed); give its base URL with --mirror " + r.id() + "=URL");
      }
      throw new PatchException(r.source() + ": repository " + r.id() + " has no baseurl");
    }
    List<URI> bases = new ArrayList<>();
    for (String url : r.baseurls()) {
      bases.add(checked(r, url));
    }
    RepoKeys keys = RepoKeys.of(r, image, context.repositories().keys());
    boolean repoGpgcheck = r.repoGpgcheck();
    if (repoGpgcheck && keys.isEmpty()) {
      throw new PatchException(r.source() + ": repo_gpgcheck=1 but no key to check repomd.xml.asc with (no gpgkey="
          + " in the image, no --keyring)");
    }
    for (int i = 0; ; i++) {
      URI base = bases.get(i);
      context.listener().step("reading rpm repository " + r.id() + " (" + base + ")");
      try {
        RpmRepository repo = RpmRepository.open(base, keys.forRepomd(), repoGpgcheck, cache, context.http());
        List<RpmRecord> records = new ArrayList<>();
        repo.primary(rec -> {
          if (!rec.isSource() && r.admits(rec.name())) {
            records.add(rec);
          }
        });
        return new OpenRepository(r, repo, keys, List.copyOf(records), repo.modules());
      } catch (IOException e) {
        if (i + 1 < bases.size() && unreachable(e)) {
          // dnf (librepo) goes on to the next base URL when one cannot be fetched; never past a failed check.
          context.listener().step("repository " + r.id() + ": " + e.getMessage() + "; trying its next baseurl");
          continue;
        }
        throw new PatchException("repository " + r.id() + " (" + r.source() + "): " + e.getMessage());
      }
    }
  }

  /** A base URL as a URI; an image's may only be http(s), the user's also file:. */
  private static URI checked(RepoConfig r, String url) throws PatchException {
    URI base;
    try {
      base = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new PatchException(r.source() + ": baseurl " + url + " is not a URL");
    }
    String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!r.urlFromUser() && !scheme.equals("http") && !scheme.equals("https")
        || !List.of("http", "https", "file").contains(scheme)) {
      throw new PatchException(r.source() + ": baseurl " + url + " is not http(s); an image's local repository names"
          + " the image's filesystem, not this machine's (give it with --extra-repository, or --mirror " + r.id()
          + "=URL)");
    }
    return base;
  }

  /** Whether a failure is the server's (not found, an HTTP error, no connection), not a failed check. */
  static boolean unreachable(IOException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("signature") || m.contains("checksum") || m.contains("digest")) {
      return false;
    }
    return m.contains("not found") || m.matches("(?s).*: HTTP [0-9]{3}.*") || m.contains("ConnectException")
        || m.contains("HttpTimeoutException") || m.contains("UnknownHostException")
        || e instanceof java.net.ConnectException || e instanceof java.net.http.HttpTimeoutException;
  }

  String id() {
    return config.id();
  }
}
