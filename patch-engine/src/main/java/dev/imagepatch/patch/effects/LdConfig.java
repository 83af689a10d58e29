package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The ldconfig trigger of any glibc image: a new {@code /etc/ld.so.cache} (and soname links) for
 * the libraries as the layer leaves them, when the image has a cache; without one there is
 * nothing to refresh. See {@link LdCache}.
 */
public final class LdConfig implements PostInstallEffect {
  private final String ldconfigPackage;
  private final List<String> systemDirs;

  /**
   * @param ldconfigPackage the package that ships {@code ldconfig} ({@code libc-bin} on Debian): the
   *     cache names its version, which changes only when that package is upgraded
   */
  public LdConfig(String ldconfigPackage) {
    this(ldconfigPackage, null);
  }

  /**
   * @param ldconfigPackage as {@link #LdConfig(String)}
   * @param systemDirs the directories the image's ldconfig searches after /etc/ld.so.conf's (its
   *     built-in ones: {@code /lib64}, {@code /usr/lib64} on Fedora and RHEL); null for Debian's
   */
  public LdConfig(String ldconfigPackage, List<String> systemDirs) {
    this.ldconfigPackage = ldconfigPackage;
    this.systemDirs = systemDirs == null ? null : List.copyOf(systemDirs);
  }

  /** The ELF facts ldconfig needs of every file named like a shared library, read as it streams by. */
  public static final MergedFilesystem.Probe SONAMES = new MergedFilesystem.Probe() {
    @Override
    public boolean wants(String path) {
      return LdCache.isDso(path.substring(path.lastIndexOf('/') + 1));
    }

    @Override
    public String probe(InputStream content) throws IOException {
      return ElfInfo.read(content).map(ElfInfo::encode).orElse(null);
    }
  };

  @Override
  public String name() {
    return LdCache.TRIGGER;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(p -> p.equals(LdCache.CACHE) || p.equals(LdCache.CONF) || p.startsWith(LdCache.CONF + ".d/"),
        p -> false, p -> false);
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    Optional<byte[]> old = layer.image().content(LdCache.CACHE);
    if (old.isEmpty()) {
      return true;
    }
    Optional<String> generator = LdCache.generator(old.get());
    if (generator.isEmpty()) {
      layer.note("/" + LdCache.CACHE + ": not in glibc's current format, left as it is");
      return false;
    }
    // The cache names the ldconfig that wrote it; an upgraded one writes its own version there.
    String gen = generator.get();
    for (PackageChange c : changes) {
      if (c.name().equals(ldconfigPackage) && c.from() != null) {
        gen = gen.replace("GLIBC " + c.from() + ")", "GLIBC " + c.to() + ")");
      }
    }
    LdCache.Outcome o = LdCache.run(layer.tree(), layer.architecture().name(), gen, systemDirs);
    if (o.problem() != null) {
      layer.note("/" + LdCache.CACHE + " not regenerated: " + o.problem());
      return false;
    }
    o.removed().forEach(layer::whiteout);
    o.links().forEach((link, target) -> layer.builder().symlink(link, target, 0, 0, layer.epoch()));
    if (!Arrays.equals(o.cache(), old.get())) {
      layer.bytes(LdCache.CACHE, 0644, o.cache());
    }
    return true;
  }
}
