package dev.imagepatch.pkg.rpmdb.ndb;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a 256 MiB heap: a sparse file of 300 MiB whose one slot and blob head agree on a 290 MiB
 * header blob is refused by the length cap, not by running out of memory.
 */
@Tag("small-heap")
class NdbPackagesSmallHeapTest {
  @Test
  void aBlobLargerThanRpmReadsIsRefusedWithoutAllocatingIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("Packages.db");
    long length = 290L << 20;
    long blocks = (16 + length + 12 + 15) / 16;
    byte[] first = new NdbBuilder().add(1, NdbPackagesHostileTest.header("x")).build();
    ByteBuffer f = ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN);
    f.putInt(NdbBuilder.slotPosition(0) + 12, (int) blocks);
    f.putInt(4096 + 12, (int) length);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.write(first, 0, 4096 + 16);
      raf.setLength(300L << 20);
    }
    try (NdbPackages db = NdbPackages.open(file)) {
      IOException e = assertThrows(IOException.class, db::readAll);
      assertTrue(e.getMessage().contains("a header blob of 304087040 bytes, more than rpm reads (268435456)"),
          e.getMessage());
    }
  }
}
