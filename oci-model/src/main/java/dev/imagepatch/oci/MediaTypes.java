package dev.imagepatch.oci;

import java.util.List;
import java.util.Optional;

/** The OCI and Docker media types imagepatch reads and writes, and how to classify them. */
public final class MediaTypes {
  private MediaTypes() {}

  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String OCI_NONDISTRIBUTABLE_LAYER_TAR =
      "application/vnd.oci.image.layer.nondistributable.v1.tar";
  public static final String OCI_NONDISTRIBUTABLE_LAYER_TAR_GZIP =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  public static final String OCI_NONDISTRIBUTABLE_LAYER_TAR_ZSTD =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
  public static final String DOCKER_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_FOREIGN_LAYER_TAR_GZIP =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
  /** Schema 1 is read only to reject it with a clear message. */
  public static final String DOCKER_MANIFEST_V1_SIGNED =
      "application/vnd.docker.distribution.manifest.v1+prettyjws";
  public static final String DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json";

  /** Every manifest type imagepatch understands, as sent in a registry {@code Accept} header. */
  public static final List<String> MANIFEST_TYPES =
      List.of(OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST);

  public static boolean isIndex(String mediaType) {
    return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
  }

  public static boolean isManifest(String mediaType) {
    return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
  }

  public static boolean isImageConfig(String mediaType) {
    return OCI_CONFIG.equals(mediaType) || DOCKER_CONFIG.equals(mediaType);
  }

  public static boolean isDocker(String mediaType) {
    return mediaType != null && mediaType.startsWith("application/vnd.docker.");
  }

  /** Layers that registries may refuse to store and copies skip unless told otherwise. */
  public static boolean isNonDistributable(String mediaType) {
    return mediaType != null
        && (mediaType.startsWith("application/vnd.oci.image.layer.nondistributable.")
            || mediaType.startsWith("application/vnd.docker.image.rootfs.foreign."));
  }

  /** The layer compression a media type names. */
  public enum Compression { NONE, GZIP, ZSTD }

  /** The compression of a layer media type, or empty when it is not a layer type we know. */
  public static Optional<Compression> layerCompression(String mediaType) {
    if (mediaType == null) {
      return Optional.empty();
    }
    if (mediaType.startsWith("application/vnd.oci.image.layer.")) {
      if (mediaType.endsWith("+gzip")) {
        return Optional.of(Compression.GZIP);
      }
      if (mediaType.endsWith("+zstd")) {
        return Optional.of(Compression.ZSTD);
      }
      return mediaType.endsWith(".tar") ? Optional.of(Compression.NONE) : Optional.empty();
    }
    if (mediaType.startsWith("application/vnd.docker.image.rootfs.")) {
      return Optional.of(mediaType.endsWith(".gzip") ? Compression.GZIP : Compression.NONE);
    }
    return Optional.empty();
  }
}
