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
 * One enabled repository opened as dnf opens it: its first base URL, {@code repomd.xml} (its
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
    String url = r.baseurls().get(0);
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
    RepoKeys keys = RepoKeys.of(r, image, context.repositories().keys());
    boolean repoGpgcheck = r.repoGpgcheck();
    if (repoGpgcheck && keys.isEmpty()) {
      throw new PatchException(r.source() + ": repo_gpgcheck=1 but no key to check repomd.xml.asc with (no gpgkey="
          + " in the image, no --keyring)");
    }
    context.listener().step("reading rpm repository " + r.id() + " (" + url + ")");
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
      throw new PatchException("repository " + r.id() + " (" + r.source() + "): " + e.getMessage());
    }
  }

  String id() {
    return config.id();
  }
}
