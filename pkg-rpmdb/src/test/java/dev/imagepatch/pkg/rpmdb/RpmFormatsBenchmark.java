package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.testing.HeapPeaks;
import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.repo.PrimaryReader;
import dev.imagepatch.pkg.rpm.repo.Repomd;
import dev.imagepatch.pkg.rpmdb.bdb.BdbWriter;
import dev.imagepatch.pkg.rpmdb.bdb.RpmBdb;
import dev.imagepatch.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rpm formats benchmark (run by {@code bench/rpm-formats}): the largest real rpm database of the
 * vectors (CBL-Mariner 2.0, 129 packages) read, written back as a new SQLite database with every
 * index (as rpm's install of each header would), and written as Berkeley DB; and the real CentOS
 * Stream 9 AppStream primary (17,649 packages) streamed and verified. RUNS times each, printing
 * wall time and peak heap.
 */
public final class RpmFormatsBenchmark {
  private RpmFormatsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/imagepatch-bench-rpm"));
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path mariner = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    Path appstream = SharedData.path("vectors/rpm/repodata/centos-stream-9-appstream-x86_64-20250113");
    System.out.printf(Locale.ROOT, "max heap %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
    for (int run = 1; run <= runs; run++) {
      Path dir = Files.createTempDirectory(work, "run-");
      HeapPeaks.reset();
      long start = System.nanoTime();
      List<SqliteRpmdb.Package> packages = SqliteRpmdb.read(mariner);
      SortedMap<Integer, Header> headers = new TreeMap<>();
      for (SqliteRpmdb.Package p : packages) {
        headers.put(p.hnum(), p.header());
      }
      double read = seconds(start);
      long readHeap = HeapPeaks.peakMiB();

      HeapPeaks.reset();
      start = System.nanoTime();
      try (SqliteRpmdb db = SqliteRpmdb.create(dir.resolve("rpmdb.sqlite"))) {
        for (Header h : headers.values()) {
          db.add(h);
        }
      }
      double sqlite = seconds(start);
      long sqliteHeap = HeapPeaks.peakMiB();

      HeapPeaks.reset();
      start = System.nanoTime();
      RpmBdb.write(dir.resolve("bdb"), headers, new BdbWriter());
      double bdb = seconds(start);
      long bdbHeap = HeapPeaks.peakMiB();

      HeapPeaks.reset();
      start = System.nanoTime();
      Repomd repomd = Repomd.parse(Files.readAllBytes(appstream.resolve("repodata/repomd.xml")), "repomd.xml");
      Repomd.Data primary = repomd.require("primary", "repomd.xml");
      AtomicLong count = new AtomicLong();
      try (InputStream in = Files.newInputStream(appstream.resolve(primary.location()))) {
        PrimaryReader.read(primary, in, primary.location(), r -> count.incrementAndGet());
      }
      double stream = seconds(start);
      long streamHeap = HeapPeaks.peakMiB();
      System.out.printf(Locale.ROOT, "run %d: read %d headers %.3f s (peak heap %d MiB); write SQLite with every index"
              + " %.3f s (%d MiB); write Berkeley DB, 19 files, %.3f s (%d MiB); stream AppStream primary, %d packages,"
              + " %.2f s (%d MiB)%n", run, headers.size(), read, readHeap, sqlite, sqliteHeap, bdb, bdbHeap,
          count.get(), stream, streamHeap);
    }
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
