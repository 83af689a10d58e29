package dev.imagepatch.patch.debian;

import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The patch layer for one .deb over an image directory, made as the backend makes it (the same
 * predicates, spool and probe): the image as a base layer tar, the patch layer tar beside it, the
 * notes and the layer's entry names.
 */
record LayerRun(Path base, Path layer, List<String> notes, Set<String> entries) {
  static LayerRun of(Path image, Path deb, Path work) throws Exception {
    Path base = work.resolve("base.tar");
    DirectoryLayer.of(image).write(base, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), DebianBackend.KEEP,
        DebianBackend.HASH, DebianBackend.SPOOL, Files.createDirectories(work.resolve("spool")),
        DebianBackend.SONAMES);
    DpkgDatabase db = DpkgDatabase.ofStatus(new String(fs.content("var/lib/dpkg/status").orElseThrow(),
        StandardCharsets.UTF_8), "status");
    DebianLayer layer = new DebianLayer(fs, db, "amd64", Files.createDirectories(work.resolve("staging")),
        1_700_000_000L, Long.MAX_VALUE);
    DebArchive archive = DebArchive.open(deb);
    layer.addAll(List.of(new DebianLayer.Change(db.find(archive.packageName(), "amd64").orElseThrow(), archive)));
    Path tar = work.resolve("layer.tar");
    layer.builder().write(tar, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    return new LayerRun(base, tar, layer.notes(), Set.copyOf(layer.builder().entries().keySet()));
  }

  /** The patch layer alone, every file's content kept. */
  MergedFilesystem layerAlone() throws Exception {
    return MergedFilesystem.read(List.of(() -> Files.newInputStream(layer)), p -> true, p -> false);
  }

  /** The image with the patch layer on top, every file's content kept. */
  MergedFilesystem merged() throws Exception {
    return MergedFilesystem.read(List.of(() -> Files.newInputStream(base), () -> Files.newInputStream(layer)),
        p -> true, p -> false);
  }
}
