package dev.imagepatch.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the benchmarks report of memory: the sum of the heap pools' peaks since {@link #reset}
 * (more than the heap ever held at once, since pools peak at different times), and the process's
 * peak resident set.
 */
public final class HeapPeaks {
  private HeapPeaks() {}

  /** Collects, then starts every heap pool's peak afresh. */
  public static void reset() {
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  /** The sum of the heap pools' peaks since {@link #reset}, in bytes. */
  public static long peakBytes() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  /** {@link #peakBytes()} in MiB. */
  public static long peakMiB() {
    return peakBytes() >> 20;
  }

  /** The process's peak resident set ({@code VmHWM}), in MiB; -1 where /proc does not tell. */
  public static long peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }
}
