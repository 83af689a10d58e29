package dev.imagepatch.pkg.rpmdb.resolve;

import dev.imagepatch.testing.HeapPeaks;
import dev.imagepatch.pkg.rpm.resolve.ModularFilter;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver;
import dev.imagepatch.pkg.rpm.resolve.RpmSolvable;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Resolution timed against the real CentOS Stream 9 metadata: BaseOS (2022-02-07) and AppStream
 * (2025-01-13, 17,649 packages, with modules.yaml) read and modular-filtered, the resolver's indexes
 * built, then {@code dnf upgrade <names>} resolved for the CBL-Mariner 2.0 database's packages
 * (129): one name, a list with new dependencies, every upgradable name one by one, all at once
 * (which fails, as dnf with best=True does: some upgrades break installed packages), and those that
 * resolve alone all at once. Prints wall
 * time and peak heap of each step; run by bench/rpm-resolve.
 *
 * <p>Arguments: {@code RUNS} (default 3). The shared directory comes from {@code -Dimagepatch.shared}.
 */
public final class RpmResolveBenchmark {
  private RpmResolveBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path shared = Path.of(System.getProperty("imagepatch.shared", "../shared"));
    Path baseos = shared.resolve(CentosStream9.BASEOS);
    Path appstream = shared.resolve(CentosStream9.APPSTREAM);
    Path db = shared.resolve("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0");
    for (int run = 1; run <= runs; run++) {
      HeapPeaks.reset();
      long start = System.nanoTime();
      CentosStream9 metadata = CentosStream9.read(baseos, appstream);
      List<RpmSolvable> installed = CentosStream9.installed(db);
      ModularFilter filter = ModularFilter.of(metadata.modules, Map.of(), Set.of(), Set.of());
      List<RpmResolver.Repository> repos = metadata.repositories(filter);
      double read = seconds(start);
      long readHeap = HeapPeaks.peakMiB();
      int packages = metadata.records.values().stream().mapToInt(List::size).sum();

      start = System.nanoTime();
      RpmResolver resolver = RpmResolver.of(installed, repos, "x86_64", CentosStream9.INSTALLONLY);
      double index = seconds(start);

      start = System.nanoTime();
      int one = resolver.upgrade(List.of(RpmResolver.Request.of("openssl-libs"))).changes().size();
      double single = seconds(start);

      start = System.nanoTime();
      int many = resolver.upgrade(List.of("python3", "coreutils", "curl", "gdbm", "sed").stream()
          .map(RpmResolver.Request::of).toList()).changes().size();
      double list = seconds(start);

      start = System.nanoTime();
      List<RpmResolver.Request> all = resolver.updateAll();
      int ok = 0;
      List<RpmResolver.Request> resolvable = new java.util.ArrayList<>();
      String slowest = "";
      double slowestTime = 0;
      for (RpmResolver.Request q : all) {
        long t = System.nanoTime();
        try {
          resolver.upgrade(List.of(RpmResolver.Request.of(q.name())));
          resolvable.add(RpmResolver.Request.of(q.name()));
          ok++;
        } catch (RpmResolver.ResolutionException e) {
          // as dnf: some upgrades alone break installed packages
        }
        if (seconds(t) > slowestTime) {
          slowestTime = seconds(t);
          slowest = q.name();
        }
      }
      double each = seconds(start);

      start = System.nanoTime();
      String together;
      try {
        together = resolver.upgrade(all.stream().map(q -> RpmResolver.Request.of(q.name())).toList()).changes()
            .size() + " changes";
      } catch (RpmResolver.ResolutionException e) {
        together = "refused";
      }
      double whole = seconds(start);

      start = System.nanoTime();
      int joint = resolver.upgrade(resolvable).changes().size();
      double jointTime = seconds(start);
      long heap = HeapPeaks.peakMiB();
      System.out.printf(Locale.ROOT, "run %d: read and filter %d packages (BaseOS + AppStream, modules.yaml) and the"
              + " 129-package database %.2f s (peak heap %d MiB); index %.3f s; upgrade openssl-libs (%d changes)"
              + " %.3f s; upgrade 5 names (%d changes) %.3f s; updateAll: %d names, each alone %.2f s (%d resolved; slowest %s %.3f s),"
              + " all together %.3f s (%s), the %d that resolve alone together"
              + " %.3f s (%d changes); peak heap %d MiB%n", run, packages, read, readHeap, index, one, single,
          many, list, all.size(), each, ok, slowest, slowestTime, whole, together, resolvable.size(), jointTime, joint, heap);
    }
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
