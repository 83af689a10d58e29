package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * The image as a post-install step sees it: the lower layers with the patch layer written so far
 * over them. Paths are relative to the root, without a leading slash.
 */
public interface LayerTree {
  Optional<FsEntry> entry(String path);

  /** Content of a regular file, empty when it is not one. */
  Optional<byte[]> read(String path) throws IOException;

  /** Names directly inside a directory. */
  Set<String> list(String directory);

  /** The ELF facts of a regular file, empty when it is no ELF file or could not be read. */
  Optional<ElfInfo> elf(String path) throws IOException;
}
