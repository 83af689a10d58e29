package dev.imagepatch.patch.spi;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchResult.PackageChange;
import java.io.IOException;
import java.util.List;

/**
 * A backend at work on one image: its installed database, its repositories (opened with their own
 * signature checks), resolution, and the packages written into the patch layer. The pipeline
 * calls {@link #resolve}, then {@link #install}, runs the family's
 * {@linkplain PackageBackend#effects() effects}, then {@link #writeDatabase}; a session remembers
 * what it resolved and installed between those calls.
 */
public interface PackageSession {
  /** The packages installed in the image, as its database lists them. */
  List<Installed> installed();

  /** A request for every installed package that has a newer version in the repositories (no report). */
  List<Request> updateAll() throws IOException, PatchException;

  /**
   * What the package manager would change to satisfy the requests: upgrades, new dependencies,
   * packages an upgrade would otherwise break. Empty when nothing needs to change.
   */
  List<PackageChange> resolve(List<Request> requests) throws IOException, PatchException;

  /** Fetches and verifies the resolved packages and unpacks them into the layer as the manager would. */
  void install(PatchLayer layer) throws IOException, PatchException;

  /**
   * Writes the package database as the manager leaves it, and tells of the scripts whose effects
   * were not reproduced ({@link PatchLayer#notRun}); effects that ran are {@link PatchLayer#applied}.
   */
  void writeDatabase(PatchLayer layer) throws IOException;

  /**
   * The installed packages of the image with {@code patchLayer} (a patch layer alone, read from
   * where it was written or from an earlier patch) over the image's own layers.
   */
  List<Installed> installedWith(MergedFilesystem patchLayer) throws IOException, PatchException;
}
