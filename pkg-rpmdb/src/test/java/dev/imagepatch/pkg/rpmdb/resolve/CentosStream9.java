package dev.imagepatch.pkg.rpmdb.resolve;

import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.PrimaryReader;
import dev.imagepatch.pkg.rpm.repo.Repomd;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.rpm.resolve.ModularFilter;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver;
import dev.imagepatch.pkg.rpm.resolve.RpmSolvable;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The real CentOS Stream 9 metadata of ../shared/vectors (BaseOS of 2022-02-07, AppStream of
 * 2025-01-13 with its modules.yaml) read as the resolver takes it, each file verified against its
 * repomd.xml checksum on the way.
 */
final class CentosStream9 {
  static final String BASEOS = "vectors/rpm/repodata/centos-stream-9-baseos-x86_64-20220207";
  static final String APPSTREAM = "vectors/rpm/repodata/centos-stream-9-appstream-x86_64-20250113";

  /** dnf's installonlypkgs default (dnf/const.py INSTALLONLYPKGS). */
  static final Set<String> INSTALLONLY = Set.of("kernel", "kernel-PAE", "installonlypkg(kernel)",
      "installonlypkg(kernel-module)", "installonlypkg(vm)", "multiversion(kernel)");

  final Map<String, List<RpmRecord>> records = new LinkedHashMap<>();
  final Map<String, ModulesYaml> modules = new LinkedHashMap<>();

  /** Reads {@code baseos} and {@code appstream} (repository ids as the test's .repo file names them). */
  static CentosStream9 read(Path baseos, Path appstream) throws IOException {
    CentosStream9 c = new CentosStream9();
    c.repository("baseos", baseos);
    c.repository("appstream", appstream);
    return c;
  }

  private void repository(String id, Path dir) throws IOException {
    Repomd repomd = Repomd.parse(Files.readAllBytes(dir.resolve("repodata/repomd.xml")), dir + "/repodata/repomd.xml");
    Repomd.Data primary = repomd.require("primary", dir.toString());
    List<RpmRecord> list = new ArrayList<>();
    try (InputStream in = Files.newInputStream(dir.resolve(primary.location()))) {
      PrimaryReader.read(primary, in, primary.location(), list::add);
    }
    records.put(id, list);
    if (repomd.data("modules").isPresent()) {
      Repomd.Data data = repomd.data("modules").get();
      try (InputStream in = Files.newInputStream(dir.resolve(data.location()))) {
        modules.put(id, ModulesYaml.read(data, in, data.location()));
      }
    }
  }

  /** The repositories with what the modular filter hides removed (priority 99, cost 1000: dnf's defaults). */
  List<RpmResolver.Repository> repositories(ModularFilter filter) {
    List<RpmResolver.Repository> out = new ArrayList<>();
    records.forEach((id, list) -> out.add(RpmResolver.Repository.of(id,
        list.stream().filter(r -> filter.visible(id, r)).toList())));
    return out;
  }

  /** The installed packages of a database directory. */
  static List<RpmSolvable> installed(Path dbDir) throws IOException {
    List<RpmSolvable> out = new ArrayList<>();
    try (RpmDatabase db = RpmDatabase.open(dbDir)) {
      for (RpmDatabase.Installed i : db.packages()) {
        out.add(RpmSolvable.installed(i.header()));
      }
    }
    return out;
  }
}
