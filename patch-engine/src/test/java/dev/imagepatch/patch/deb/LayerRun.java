package dev.imagepatch.patch.deb;

import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.effects.LdConfig;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.deb.InstalledPackage;
import java.util.ArrayList;

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
    ImageNeeds needs = new DebianBackend().needs();
    for (PostInstallEffect e : DebianBackend.EFFECTS) {
      needs = needs.and(e.needs());
    }
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(base)), needs.keep(),
        needs.hash(), needs.spool(), Files.createDirectories(work.resolve("spool")), LdConfig.SONAMES);
    DpkgDatabase db = DpkgDatabase.ofStatus(new String(fs.content("var/lib/dpkg/status").orElseThrow(),
        StandardCharsets.UTF_8), "status");
    PatchLayer out = new PatchLayer(fs, Architecture.of("amd64", ""), Files.createDirectories(work.resolve("staging")),
        1_700_000_000L, Long.MAX_VALUE);
    DebianLayer layer = new DebianLayer(out, db);
    DebArchive archive = DebArchive.open(deb);
    InstalledPackage old = db.find(archive.packageName(), "amd64").orElseThrow();
    // The steps in the pipeline's order: unpack and configure, the effects, the database.
    layer.unpackAll(List.of(new DebianLayer.Change(old, archive)));
    out.run(DebianBackend.EFFECTS, List.of(new PackageChange(old.name(), "amd64", old.version(), archive.version(),
        "requested")));
    layer.writeDatabase();
    Path tar = work.resolve("layer.tar");
    out.builder().write(tar, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    List<String> notes = new ArrayList<>(out.notes());
    out.scriptsNotRun().forEach(n -> notes.add(n.toString()));
    return new LayerRun(base, tar, notes, Set.copyOf(out.builder().entries().keySet()));
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
