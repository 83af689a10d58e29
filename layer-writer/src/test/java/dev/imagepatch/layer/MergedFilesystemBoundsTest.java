package dev.imagepatch.layer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.io.DiskBudget;
import dev.imagepatch.testing.SyntheticTar;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile layers read in a 256 MiB heap: kept contents, tar headers, spooled bytes and time are bounded. */
@Tag("small-heap")
class MergedFilesystemBoundsTest {
  @TempDir
  Path spool;

  @Test
  void manyLargeListFilesPassTheTotalLimitOfKeptContents() {
    SyntheticTar tar = new SyntheticTar();
    for (int i = 0; i < 20; i++) {
      tar.file("var/lib/dpkg/info/pkg" + i + ".list", 60L << 20, (byte) '/');
    }
    IOException e = assertThrows(IOException.class, () -> MergedFilesystem.read(List.of(tar::open),
        p -> p.endsWith(".list"), p -> false));
    assertTrue(e.getMessage().startsWith("layer 1 of 1: var/lib/dpkg/info/pkg"), e.getMessage());
    assertTrue(e.getMessage().contains("limit of " + MergedFilesystem.KEPT_LIMIT + " bytes"), e.getMessage());
  }

  @Test
  void aKeptFileLargerThanThePerFileLimitIsRefused() {
    SyntheticTar tar = new SyntheticTar().file("var/lib/dpkg/status", MergedFilesystem.CONTENT_LIMIT + 1, (byte) 'x');
    IOException e = assertThrows(IOException.class, () -> MergedFilesystem.read(List.of(tar::open),
        p -> true, p -> false));
    assertTrue(e.getMessage().contains("var/lib/dpkg/status: 67108865 bytes is more than a database file should be"
        + " (the limit is 67108864)"), e.getMessage());
  }

  @Test
  void aGigabytePaxHeaderIsRefusedUnread() {
    SyntheticTar tar = new SyntheticTar().paxHeader(1L << 30).file("etc/hostname", 4, (byte) 'h');
    IOException e = assertThrows(IOException.class, () -> MergedFilesystem.read(List.of(tar::open),
        p -> true, p -> false));
    assertTrue(e.getMessage().contains("layer 1 of 1: a tar header (PAX or GNU long name) larger than the 1048576-byte"
        + " limit"), e.getMessage());
  }

  @Test
  void spooledBytesAreChargedToTheDiskBudget() throws Exception {
    SyntheticTar tar = new SyntheticTar().file("etc/bomb", 1L << 30, (byte) 0);
    IOException e = assertThrows(IOException.class, () -> MergedFilesystem.read(List.of(tar::open), p -> false,
        p -> false, p -> p.startsWith("etc/"), spool, MergedFilesystem.NO_PROBE,
        new DiskBudget(64L << 20, "--max-temp-size")));
    assertTrue(e.getMessage().equals("layer 1 of 1: etc/bomb: the patch's temporary files passed their limit of "
        + (64L << 20) + " bytes (--max-temp-size)"), e.getMessage());
    try (Stream<Path> files = Files.list(spool)) {
      long size = 0;
      for (Path p : files.toList()) {
        size += Files.size(p);
      }
      assertTrue(size <= 64L << 20, "spooled " + size);
    }
  }

  @Test
  void anInterruptStopsTheReadingOfALayerAtOnce() throws Exception {
    // 7 GiB to hash: minutes of work, unless the interrupt is heard.
    SyntheticTar tar = new SyntheticTar().file("usr/lib/huge", 7L << 30, (byte) 1);
    AtomicReference<Thread> worker = new AtomicReference<>();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        MergedFilesystem.read(List.of(tar::open), p -> false, p -> true);
        outcome.complete(null);
      } catch (Throwable x) {
        outcome.complete(x);
      }
    });
    worker.set(t);
    t.start();
    Thread.sleep(300);
    t.interrupt();
    Throwable thrown = outcome.get(5, TimeUnit.SECONDS);
    assertTrue(thrown instanceof InterruptedIOException, String.valueOf(thrown));
  }
}
