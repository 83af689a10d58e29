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
 * for apt; an /etc/apk/repositories line and RSA keys for apk; a .repo file or a base URL and
 * OpenPGP key files for rpm).
 */
final class RepositoryFlags {
  @Option(names = "--mirror", paramLabel = "FROM=TO",
      description = "Fetch packages from TO where the image's repositories say FROM (repeatable). For rpm"
          + " images FROM may also be a repository id (the [id] of a .repo file): its base URL becomes TO, as a"
          + " repository with only a metalink or mirrorlist needs.")
  Map<String, String> mirrors = Map.of();

  @Option(names = "--keyring", paramLabel = "FILE",
      description = "Trust these keys instead of the image's own for its repositories (repeatable): OpenPGP"
          + " keyrings for apt, RSA public keys (or directories of *.pub) for apk; for rpm, OpenPGP public key"
          + " files (RPM-GPG-KEY-*) trusted beside the files the image's gpgkey= names, for repomd.xml.asc and"
          + " packages (a gpgkey= over http(s) is never downloaded: give it here).")
  List<Path> keyrings = new ArrayList<>();

  @Option(names = {"--extra-repository", "--extra-source"}, paramLabel = "LINE",
      description = "One more repository in the image's package family's syntax: for Debian and Ubuntu a"
          + " sources.list line, for Alpine and Wolfi an /etc/apk/repositories line ([@tag] URL), for RHEL-family,"
          + " Fedora, Amazon and Azure Linux images the path of a .repo file (dnf's syntax) or a base URL (a"
          + " repository extra-N with gpgcheck=1, checked with --keyring) (repeatable).")
  List<String> extraRepositories = new ArrayList<>();

  @Option(names = "--ignore-valid-until",
      description = "INSECURE: accept repository metadata past its Valid-Until (frozen snapshots).")
  boolean ignoreValidUntil;

  @Option(names = "--allow-unsigned",
      description = "INSECURE: accept apk indexes and packages, and rpm packages of gpgcheck=1 repositories,"
          + " that are unsigned or signed by no trusted key (their checksums are still checked; a bad signature"
          + " is refused always).")
  boolean allowUnsigned;

  RepositoryOptions toOptions() {
    if (allowUnsigned) {
      System.err.println("WARNING: --allow-unsigned: unsigned or untrusted apk indexes and packages and rpm packages are"
          + " accepted;"
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
