package dev.imagepatch.patch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a package family reaches its repositories, beyond what the image itself says: mirrors,
 * extra repositories and keys, each in the family's own syntax. The Debian backend reads extra
 * repositories as {@code sources.list} lines and keys as OpenPGP keyrings; the apk backend reads
 * {@code /etc/apk/repositories} lines ({@code [@tag] URL}) and RSA public keys (files or
 * directories of {@code *.pub}); the rpm backend reads an extra repository as the path of a
 * {@code .repo} file or a base URL, keys as OpenPGP public key files trusted beside the image's
 * {@code gpgkey=} files, and a mirror's FROM as a URL prefix or a repository id.
 */
public final class RepositoryOptions {
  private static final RepositoryOptions NONE = builder().build();

  private final Map<String, String> mirrors;
  private final List<String> extraRepositories;
  private final List<Path> keys;
  private final boolean ignoreValidUntil;
  private final boolean allowUnsigned;

  private RepositoryOptions(Builder b) {
    this.mirrors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.mirrors));
    this.extraRepositories = List.copyOf(b.extraRepositories);
    this.keys = List.copyOf(b.keys);
    this.ignoreValidUntil = b.ignoreValidUntil;
    this.allowUnsigned = b.allowUnsigned;
  }

  /** No mirrors, no extra repositories, the image's own keys. */
  public static RepositoryOptions none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Repository URI prefixes rewritten (from, to), for air-gapped mirrors; the first match wins. */
  public Map<String, String> mirrors() {
    return mirrors;
  }

  /**
   * {@code url} with the first mirror whose prefix it starts with (the whole URL, or up to a
   * {@code /}) put in place of that prefix; {@code url} itself when none does.
   */
  public String mirrored(String url) {
    for (Map.Entry<String, String> m : mirrors.entrySet()) {
      String from = withoutSlash(m.getKey());
      if (url.equals(from) || url.startsWith(from + "/")) {
        return withoutSlash(m.getValue()) + url.substring(from.length());
      }
    }
    return url;
  }

  private static String withoutSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Repositories added to the image's, in the family's own syntax (a {@code sources.list} line for apt). */
  public List<String> extraRepositories() {
    return extraRepositories;
  }

  /** Keys that replace the image's own for verifying repository metadata. */
  public List<Path> keys() {
    return keys;
  }

  /** Accept repository metadata past its validity (apt's {@code Valid-Until}); insecure, and said so. */
  public boolean ignoreValidUntil() {
    return ignoreValidUntil;
  }

  /**
   * Accept indexes and packages that are unsigned or that no trusted key signed (apk's
   * {@code --allow-untrusted}); their checksums are still checked. Insecure, and said so.
   */
  public boolean allowUnsigned() {
    return allowUnsigned;
  }

  /** Builds {@link RepositoryOptions}. */
  public static final class Builder {
    private final Map<String, String> mirrors = new LinkedHashMap<>();
    private final List<String> extraRepositories = new ArrayList<>();
    private final List<Path> keys = new ArrayList<>();
    private boolean ignoreValidUntil;
    private boolean allowUnsigned;

    private Builder() {}

    public Builder mirror(String from, String to) {
      mirrors.put(from, to);
      return this;
    }

    public Builder extraRepository(String line) {
      extraRepositories.add(line);
      return this;
    }

    public Builder key(Path keyring) {
      keys.add(keyring);
      return this;
    }

    public Builder ignoreValidUntil(boolean ignore) {
      this.ignoreValidUntil = ignore;
      return this;
    }

    public Builder allowUnsigned(boolean allow) {
      this.allowUnsigned = allow;
      return this;
    }

    public RepositoryOptions build() {
      return new RepositoryOptions(this);
    }
  }
}
