package dev.imagepatch.patch.spi;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.pkg.PackageManager;
import java.io.IOException;
import java.util.List;

/**
 * One package family's part of a native patch (dpkg, apk, rpm). The pipeline reads the image,
 * asks every backend found by {@link java.util.ServiceLoader} whether it {@linkplain #recognizes
 * recognizes} it, and hands the one that does a {@link PackageSession} to fill the patch layer;
 * index fan-out, re-patching, pushing and verifying stay the pipeline's.
 */
public interface PackageBackend {
  /** How messages name it, e.g. {@code native Debian backend}. */
  String describe();

  /** The manager whose database and version order this backend works with. */
  PackageManager packageManager();

  /** What the backend reads of the image as its layers stream by (its effects' needs are added to it). */
  ImageNeeds needs();

  /** The post-install effects the pipeline runs once the packages are in the layer, in order. */
  List<PostInstallEffect> effects();

  /** Whether the image is one this backend patches: its database is there, its os-release fits. */
  boolean recognizes(MergedFilesystem image);

  /** What {@link #recognizes} looks for, for the error when no backend recognizes an image. */
  String looksFor();

  /** Reads the image's package database and prepares to patch it. */
  PackageSession open(MergedFilesystem image, BackendContext context) throws IOException, PatchException;
}
