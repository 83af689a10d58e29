package dev.imagepatch.oci.registry;

import java.util.concurrent.atomic.AtomicLong;

/** What a {@link RegistryClient} has moved over the wire, counted as the bytes pass. */
public final class TransferStats {
  final AtomicLong bytesUploaded = new AtomicLong();
  final AtomicLong bytesDownloaded = new AtomicLong();
  final AtomicLong blobsUploaded = new AtomicLong();
  final AtomicLong blobsMounted = new AtomicLong();

  /** Blob bytes sent in upload bodies (manifests not included). */
  public long bytesUploaded() {
    return bytesUploaded.get();
  }

  /** Blob bytes received (manifests not included). */
  public long bytesDownloaded() {
    return bytesDownloaded.get();
  }

  public long blobsUploaded() {
    return blobsUploaded.get();
  }

  public long blobsMounted() {
    return blobsMounted.get();
  }

  @Override
  public String toString() {
    return "uploaded " + bytesUploaded + " bytes in " + blobsUploaded + " blobs, mounted " + blobsMounted
        + " blobs, downloaded " + bytesDownloaded + " bytes";
  }
}
