package dev.imagepatch.pkg.rpmdb.ndb;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Adler32;

/**
 * A test-local NDB writer for hostile-input tests: lays out a Packages.db as rpm's rpmpkgPut
 * does (one slot page, blobs appended after it), so single fields can then be broken.
 */
final class NdbBuilder {
  private final List<long[]> packages = new ArrayList<>();
  private final List<byte[]> blobs = new ArrayList<>();

  NdbBuilder add(long packageIndex, byte[] blob) {
    packages.add(new long[] {packageIndex});
    blobs.add(blob);
    return this;
  }

  /** The slot's byte position for the i-th added package. */
  static int slotPosition(int i) {
    return NdbPackages.HEADER_SIZE + i * NdbPackages.SLOT_SIZE;
  }

  byte[] build() {
    int size = NdbPackages.PAGE_SIZE;
    List<Integer> offsets = new ArrayList<>();
    for (byte[] blob : blobs) {
      offsets.add(size);
      size += blocks(blob.length) * NdbPackages.BLOCK_SIZE;
    }
    ByteBuffer f = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    f.putInt(0, NdbPackages.PKGDB_MAGIC).putInt(4, 0).putInt(8, 7).putInt(12, 1).putInt(16, blobs.size() + 1);
    for (int o = NdbPackages.HEADER_SIZE; o < NdbPackages.PAGE_SIZE; o += NdbPackages.SLOT_SIZE) {
      f.putInt(o, NdbPackages.SLOT_MAGIC);
    }
    for (int i = 0; i < blobs.size(); i++) {
      byte[] blob = blobs.get(i);
      int pkgidx = (int) packages.get(i)[0];
      int off = offsets.get(i);
      int blocks = blocks(blob.length);
      int s = slotPosition(i);
      f.putInt(s + 4, pkgidx).putInt(s + 8, off / NdbPackages.BLOCK_SIZE).putInt(s + 12, blocks);
      f.putInt(off, NdbPackages.BLOB_HEAD_MAGIC).putInt(off + 4, pkgidx).putInt(off + 8, pkgidx)
          .putInt(off + 12, blob.length);
      f.put(off + 16, blob);
      int tail = off + blocks * NdbPackages.BLOCK_SIZE - NdbPackages.BLOB_TAIL_SIZE;
      Adler32 adler = new Adler32();
      adler.update(f.array(), off, tail - off);
      f.putInt(tail, (int) adler.getValue()).putInt(tail + 4, blob.length).putInt(tail + 8, NdbPackages.BLOB_TAIL_MAGIC);
    }
    return f.array();
  }

  static int blocks(int length) {
    return (NdbPackages.BLOB_HEAD_SIZE + length + NdbPackages.BLOB_TAIL_SIZE + NdbPackages.BLOCK_SIZE - 1)
        / NdbPackages.BLOCK_SIZE;
  }

  /** Recomputes the adler32 of the blob at byte {@code off} after a field of it was changed. */
  static void resum(byte[] file, int off) {
    ByteBuffer f = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int tail = off + blocks(f.getInt(off + 12)) * NdbPackages.BLOCK_SIZE - NdbPackages.BLOB_TAIL_SIZE;
    Adler32 adler = new Adler32();
    adler.update(file, off, tail - off);
    f.putInt(tail, (int) adler.getValue());
  }
}
