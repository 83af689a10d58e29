package dev.imagepatch.oci.copy;

import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.ImageSource;
import dev.imagepatch.oci.ImageTarget;
import dev.imagepatch.oci.layout.DockerArchive;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where an image is, written as on the command line: a registry reference ({@code app:1.0},
 * {@code localhost:5000/app@sha256:...}, optionally prefixed {@code docker://}), an OCI layout
 * {@code oci:DIR[:TAG]}, or a {@code docker save} tar {@code docker-archive:FILE[:REPO:TAG]}.
 */
public final class ImageLocation {
  /** The three kinds of location. */
  public enum Kind { REGISTRY, OCI_LAYOUT, DOCKER_ARCHIVE }

  private final Kind kind;
  private final ImageReference image;
  private final Path path;
  private final String reference;

  private ImageLocation(Kind kind, ImageReference image, Path path, String reference) {
    this.kind = kind;
    this.image = image;
    this.path = path;
    this.reference = reference;
  }

  public static ImageLocation parse(String text) {
    if (text.startsWith("oci:")) {
      String[] pr = splitPathAndReference(text.substring(4), text);
      return new ImageLocation(Kind.OCI_LAYOUT, null, Path.of(pr[0]), pr[1]);
    }
    if (text.startsWith("docker-archive:")) {
      String rest = text.substring("docker-archive:".length());
      // The reference of an archive may itself hold a colon (repo:tag): split at the first one.
      int colon = rest.indexOf(':');
      String file = colon < 0 ? rest : rest.substring(0, colon);
      if (file.isEmpty()) {
        throw new IllegalArgumentException("invalid location '" + text + "': no file");
      }
      return new ImageLocation(Kind.DOCKER_ARCHIVE, null, Path.of(file), colon < 0 ? null : rest.substring(colon + 1));
    }
    String ref = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
    ImageReference image = ImageReference.parse(ref);
    return new ImageLocation(Kind.REGISTRY, image, null, image.reference());
  }

  private static String[] splitPathAndReference(String rest, String whole) {
    int colon = rest.lastIndexOf(':');
    String dir = colon < 0 ? rest : rest.substring(0, colon);
    String ref = colon < 0 ? null : rest.substring(colon + 1);
    if (dir.isEmpty()) {
      throw new IllegalArgumentException("invalid location '" + whole + "': no directory");
    }
    return new String[] {dir, ref == null || ref.isEmpty() ? null : ref};
  }

  public Kind kind() {
    return kind;
  }

  /** The registry reference, for {@link Kind#REGISTRY}. */
  public ImageReference image() {
    return image;
  }

  /** The directory or file, for the other kinds. */
  public Path path() {
    return path;
  }

  /** The tag or digest inside the location; null when none is given. */
  public String reference() {
    return reference;
  }

  /** Opens the location for reading; {@code clients} supplies the client for a registry host. */
  public ImageSource openSource(Function<String, RegistryClient> clients) throws IOException {
    return switch (kind) {
      case REGISTRY -> clients.apply(image.registry()).repository(image.repository());
      case OCI_LAYOUT -> OciLayout.open(path);
      case DOCKER_ARCHIVE -> DockerArchive.open(path);
    };
  }

  /** Opens the location for writing; a docker-archive cannot be written. */
  public ImageTarget openTarget(Function<String, RegistryClient> clients) throws IOException {
    return switch (kind) {
      case REGISTRY -> clients.apply(image.registry()).repository(image.repository());
      case OCI_LAYOUT -> OciLayout.openOrCreate(path);
      case DOCKER_ARCHIVE -> throw new IllegalArgumentException(
          "docker-archive:" + path + " can only be read; write to oci:DIR or a registry");
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case REGISTRY -> image.toString();
      case OCI_LAYOUT -> "oci:" + path + (reference == null ? "" : ":" + reference);
      case DOCKER_ARCHIVE -> "docker-archive:" + path + (reference == null ? "" : ":" + reference);
    };
  }
}
