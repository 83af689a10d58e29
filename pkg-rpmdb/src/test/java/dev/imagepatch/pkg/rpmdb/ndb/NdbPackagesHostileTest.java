package dev.imagepatch.pkg.rpmdb.ndb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Broken and hostile Packages.db files are refused with an IOException that says what is wrong. */
class NdbPackagesHostileTest {
  /** A minimal header blob: one NAME string entry. */
  static byte[] header(String name) {
    byte[] s = (name + "\0").getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + 16 + s.length).putInt(1).putInt(s.length)
        .putInt(1000).putInt(6).putInt(0).putInt(1).put(s).array();
  }

  static byte[] twoPackages() {
    return new NdbBuilder().add(1, header("alpha")).add(2, header("beta-with-a-longer-name")).build();
  }

  static ByteBuffer le(byte[] file) {
    return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The database opens and reads all its blobs, or the IOException says why not. */
  static String refusal(byte[] file) {
    try (NdbPackages db = NdbPackages.of(file, "test.db")) {
      db.readAll();
    } catch (IOException e) {
      assertTrue(e.getMessage().startsWith("test.db: NDB Packages.db: "), e.getMessage());
      return e.getMessage();
    }
    return fail("accepted");
  }

  static void assertRefused(byte[] file, String expected) {
    String message = refusal(file);
    assertTrue(message.contains(expected), message);
  }

  @Test
  void theBuilderWritesWhatTheReaderReads() throws IOException {
    try (NdbPackages db = NdbPackages.of(twoPackages(), "test.db")) {
      List<NdbPackages.Blob> blobs = db.readAll();
      assertEquals(2, blobs.size());
      assertEquals("alpha", new TinyHeader(blobs.get(0).header()).string(TinyHeader.NAME));
      assertEquals("beta-with-a-longer-name", new TinyHeader(blobs.get(1).header()).string(TinyHeader.NAME));
      assertEquals(2, blobs.get(1).generation());
      assertEquals(3, db.nextPackageIndex());
    }
  }

  @Test
  void emptyAndTruncatedFiles() {
    assertRefused(new byte[0], "truncated: 0 bytes");
    assertRefused(Arrays.copyOf(twoPackages(), 31), "truncated: 31 bytes");
    byte[] file = twoPackages();
    assertRefused(Arrays.copyOf(file, 4096 - 16), "truncated: the header says 1 slot pages");
    assertRefused(Arrays.copyOf(file, file.length - 16), "points past the end of the file");
    assertRefused(Arrays.copyOf(file, file.length - 1), "not a multiple of the 16-byte block");
  }

  @Test
  void everyTruncationOfARealDatabaseIsRefused() {
    byte[] real = SharedData.bytes("vectors/rpm/rpmdb/ndb/sle15sp3-snyk-3pkgs/Packages.db");
    for (int cut = 0; cut < real.length; cut += cut < 4200 ? 1 : 97) {
      refusal(Arrays.copyOf(real, cut));
    }
  }

  @Test
  void badMagicVersionAndSlotPages() {
    byte[] file = twoPackages();
    le(file).putInt(0, 0x00061561); // a Berkeley DB hash magic where 'RpmP' belongs
    assertRefused(file, "not an NDB package database: magic 0x00061561, expected 0x506d7052 ('RpmP')");
    file = twoPackages();
    le(file).putInt(4, 1);
    assertRefused(file, "version 1, rpm reads only version 0");
    file = twoPackages();
    le(file).putInt(12, 0);
    assertRefused(file, "no slot pages");
    file = twoPackages();
    le(file).putInt(12, -1);
    assertRefused(file, "4294967295 slot pages, more than rpm reads (16777215)");
    file = twoPackages();
    le(file).putInt(12, 3);
    assertRefused(file, "truncated: the header says 3 slot pages");
  }

  @Test
  void badSlots() {
    byte[] file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(5), 0x746f6c73);
    assertRefused(file, "slot 7: bad magic 0x746f6c73, expected 0x746f6c53 ('Slot')");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(1) + 8, 1_000_000);
    assertRefused(file, "slot 3 (package index 2) points past the end of the file: blocks 1000000 + ");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(1) + 8, -1).putInt(NdbBuilder.slotPosition(1) + 12, 2);
    assertRefused(file, "slot 3 (package index 2): blocks 4294967295 + 2 overflow rpm's 32-bit block numbers");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(0) + 12, -2_000_000_000);
    assertRefused(file, "slot 2 (package index 1) points past the end of the file: blocks 256 + 2294967296");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(0) + 4, 0);
    assertRefused(file, "a used slot with package index 0");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(0) + 12, 0);
    assertRefused(file, "a used slot with block count 0");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(0) + 8, 100);
    assertRefused(file, "its blob at block 100 lies inside the slot pages (which end at block 256)");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(1) + 4, 1);
    assertRefused(file, "slots 2 and 3 both hold package index 1");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(1) + 8, 257);
    assertRefused(file, "the blobs of slots 2 and 3 overlap");
  }

  @Test
  void badBlobs() {
    int blob = 4096; // the first blob
    byte[] file = twoPackages();
    le(file).putInt(blob, 0x45626c42);
    assertRefused(file, "package index 1 (slot 2): bad blob magic 0x45626c42 at byte 4096, expected 0x53626c42 ('BlbS')");
    file = twoPackages();
    le(file).putInt(blob + 4, 9);
    NdbBuilder.resum(file, blob);
    assertRefused(file, "package index 1 (slot 2): the blob there belongs to package index 9");
    file = twoPackages();
    le(file).putInt(blob + 12, 1000);
    assertRefused(file, "the blob length 1000 needs 65 blocks, the slot has 4");
    file = twoPackages();
    file[blob + 16 + 20] ^= 1; // one bit of the header blob
    assertRefused(file, "package index 1 (slot 2): adler32 mismatch");
    file = twoPackages();
    int tail = blob + 4 * 16 - 12;
    le(file).putInt(tail + 8, 0x53626c42);
    assertRefused(file, "bad blob tail magic 0x53626c42, expected 0x45626c42 ('BlbE')");
    file = twoPackages();
    le(file).putInt(tail + 4, 33);
    assertRefused(file, "the blob tail records length 33, its head 30");
    file = twoPackages();
    le(file).putInt(NdbBuilder.slotPosition(0) + 12, 1);
    assertRefused(file, "1 block(s), too small for a blob's head and tail");
  }

  @Test
  void aHugeLengthIsRefusedBeforeAnyAllocation() {
    byte[] file = twoPackages();
    le(file).putInt(4096 + 12, -1); // 4 GiB - 1
    assertRefused(file, "the blob length 4294967295 needs 268435458 blocks, the slot has 4");
  }

  @Test
  void anLzoCompressedBlobIsRefusedByName() {
    byte[] lzo = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(NdbPackages.BLOB_LZO_MAGIC)
        .putInt(1000).array();
    assertRefused(new NdbBuilder().add(1, lzo).build(), "LZO-compressed");
  }

  @Test
  void randomCorruptionOfARealDatabaseIsReadOrRefusedWithAnIoException() {
    byte[] real = SharedData.bytes("vectors/rpm/rpmdb/ndb/sle15sp3-snyk-3pkgs/Packages.db");
    Random random = new Random(15);
    int refused = 0;
    for (int round = 0; round < 2000; round++) {
      byte[] file = real.clone();
      int flips = 1 + random.nextInt(4);
      for (int i = 0; i < flips; i++) {
        // Half in the header and slot area, half anywhere.
        int at = random.nextBoolean() ? random.nextInt(32 + 5 * 16) : random.nextInt(file.length);
        file[at] = (byte) random.nextInt(256);
      }
      try (NdbPackages db = NdbPackages.of(file, "test.db")) {
        db.readAll();
      } catch (IOException e) {
        refused++;
      }
    }
    assertTrue(refused > 1000, "refused " + refused);
  }

  @Test
  void writingIsRefusedWithTheReason() throws IOException {
    try (NdbPackages db = NdbPackages.of(twoPackages(), "var/lib/rpm/Packages.db")) {
      NdbWriteRefusedException e = db.refuseWrite();
      assertEquals("NDB databases (SUSE) are read, not written: no independent NDB reader is available to judge a"
          + " write (var/lib/rpm/Packages.db)", e.getMessage());
      assertEquals("var/lib/rpm/Packages.db", e.database());
      assertTrue(e instanceof IOException);
    }
  }
}
