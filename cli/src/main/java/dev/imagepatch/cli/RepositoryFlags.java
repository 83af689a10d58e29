package dev.imagepatch.cli;

import dev.imagepatch.patch.RepositoryOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The package repositories' options of {@code patch}: one group for every package family, each
 * reading extra repositories and keys in its own syntax (a sources.list line and OpenPGP keyrings
 * for apt).
 */
final class RepositoryFlags {
  @Option(names = "--mirror", paramLabel = "FROM=TO",
      description = "Fetch packages from TO where the image's repositories say FROM (repeatable).")
  Map<String, String> mirrors = Map.of();

  @Option(names = "--keyring", paramLabel = "FILE",
      description = "Trust these keys instead of the image's own for its repositories (repeatable): OpenPGP"
          + " keyrings for apt, RSA public keys (or directories of *.pub) for apk.")
  List<Path> keyrings = new ArrayList<>();

  @Option(names = {"--extra-repository", "--extra-source"}, paramLabel = "LINE",
      description = "One more repository in the image's package family's syntax: for Debian and Ubuntu a"
          + " sources.list line, for Alpine and Wolfi an /etc/apk/repositories line ([@tag] URL) (repeatable).")
  List<String> extraRepositories = new ArrayList<>();

  @Option(names = "--ignore-valid-until",
      description = "INSECURE: accept repository metadata past its Valid-Until (frozen snapshots).")
  boolean ignoreValidUntil;

  @Option(names = "--allow-unsigned",
      description = "INSECURE: accept apk indexes and packages that are unsigned or signed by no trusted key"
          + " (their checksums are still checked).")
  boolean allowUnsigned;

  RepositoryOptions toOptions() {
    if (allowUnsigned) {
      System.err.println("WARNING: --allow-unsigned: unsigned or untrusted apk indexes and packages are accepted;"
          + " anyone who can change them can change what is installed");
    }
    RepositoryOptions.Builder b = RepositoryOptions.builder().ignoreValidUntil(ignoreValidUntil)
        .allowUnsigned(allowUnsigned);
    mirrors.forEach(b::mirror);
    keyrings.forEach(b::key);
    extraRepositories.forEach(b::extraRepository);
    return b.build();
  }
}
