package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** A directory on disk as the configuration steps see an image. */
public record DirectoryTree(Path root) implements LayerTree {
  @Override
  public Optional<FsEntry> entry(String path) {
    Path p = root.resolve(path);
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      if (Files.isSymbolicLink(p)) {
        return Optional.of(new FsEntry(path, FsEntry.Type.SYMLINK, 0777, 0, 0, 0, Files.readSymbolicLink(p).toString(),
            0));
      }
      boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
      int mode = Files.isExecutable(p) ? 0755 : dir ? 0755 : 0644;
      return Optional.of(new FsEntry(path, dir ? FsEntry.Type.DIRECTORY : FsEntry.Type.FILE, mode, 0, 0,
          dir ? 0 : Files.size(p), null, 0));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Optional<byte[]> read(String path) throws IOException {
    Path p = root.resolve(path);
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
  }

  @Override
  public Set<String> list(String directory) {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> s = Files.list(root.resolve(directory))) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  @Override
  public Optional<ElfInfo> elf(String path) throws IOException {
    try (InputStream in = Files.newInputStream(root.resolve(path))) {
      return ElfInfo.read(in);
    }
  }
}
