package dev.imagepatch.oci;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference normalized as Docker does: {@code nginx} is
 * {@code docker.io/library/nginx:latest}, {@code localhost:5000/app@sha256:...} keeps its digest
 * and gets no default tag, and a first component with a dot, a port or the name localhost is a
 * registry.
 */
public final class ImageReference {
  /** The registry Docker assumes when a reference names none. */
  public static final String DOCKER_HUB = "docker.io";

  private static final Pattern DOMAIN = Pattern.compile(
      "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
          + "|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?");
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final int NAME_MAX = 255;

  private final String registry;
  private final String repository;
  private final String tag;
  private final Digest digest;

  private ImageReference(String registry, String repository, String tag, Digest digest) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /** Parses and normalizes; an invalid reference is rejected with the reason. */
  public static ImageReference parse(String value) {
    Objects.requireNonNull(value, "reference");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("invalid image reference: empty");
    }
    String rest = value;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(rest.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid image reference '" + value + "': " + e.getMessage());
      }
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid image reference '" + value + "': bad tag '" + tag + "'");
      }
    }
    String registry;
    String path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? "" : rest.substring(0, slash);
    if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost")
        || !first.equals(first.toLowerCase(java.util.Locale.ROOT)))) {
      registry = first;
      path = rest.substring(slash + 1);
      if (!DOMAIN.matcher(registry).matches()) {
        throw new IllegalArgumentException(
            "invalid image reference '" + value + "': bad registry '" + registry + "'");
      }
    } else {
      registry = DOCKER_HUB;
      path = rest;
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    if (path.isEmpty()) {
      throw new IllegalArgumentException("invalid image reference '" + value + "': no repository");
    }
    for (String component : path.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        String why = component.equals(component.toLowerCase(java.util.Locale.ROOT))
            ? "bad path component '" + component + "'"
            : "repository name must be lowercase ('" + component + "')";
        throw new IllegalArgumentException("invalid image reference '" + value + "': " + why);
      }
    }
    if (registry.length() + 1 + path.length() > NAME_MAX) {
      throw new IllegalArgumentException(
          "invalid image reference '" + value + "': name longer than " + NAME_MAX + " characters");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(registry, path, tag, digest);
  }

  /** A reference to a repository with a tag, already split into its parts. */
  public static ImageReference of(String registry, String repository, String tag) {
    return parse(registry + "/" + repository + ":" + tag);
  }

  /** The registry host (and port) as written, {@code docker.io} when none was. */
  public String registry() {
    return registry;
  }

  /** The repository path, e.g. {@code library/nginx}. */
  public String repository() {
    return repository;
  }

  public Optional<String> tag() {
    return Optional.ofNullable(tag);
  }

  public Optional<Digest> digest() {
    return Optional.ofNullable(digest);
  }

  /** What to ask the registry for: the digest when there is one, otherwise the tag. */
  public String reference() {
    return digest != null ? digest.toString() : tag;
  }

  public ImageReference withTag(String newTag) {
    if (!TAG.matcher(newTag).matches()) {
      throw new IllegalArgumentException("invalid tag '" + newTag + "'");
    }
    return new ImageReference(registry, repository, newTag, null);
  }

  public ImageReference withDigest(Digest newDigest) {
    return new ImageReference(registry, repository, null, newDigest);
  }

  /** {@code registry/repository}. */
  public String name() {
    return registry + "/" + repository;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageReference r && r.registry.equals(registry) && r.repository.equals(repository)
        && Objects.equals(r.tag, tag) && Objects.equals(r.digest, digest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(registry, repository, tag, digest);
  }

  /** The fully normalized form, e.g. {@code docker.io/library/nginx:latest}. */
  @Override
  public String toString() {
    return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
