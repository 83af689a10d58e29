package dev.imagepatch.pkg.rpmdb.ndb;

import dev.imagepatch.pkg.rpm.Header;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.Adler32;
import org.apache.commons.compress.utils.SeekableInMemoryByteChannel;

/**
 * An rpm NDB package database ({@code Packages.db}), read as rpm 4.16+'s
 * {@code lib/backend/ndb/rpmpkg.c} reads it. All numbers are unsigned 32-bit little-endian.
 *
 * <pre>
 * file      = header (32 bytes) + slot pages + blob area; its size is a multiple of 16 (a block)
 * header    = "RpmP" magic, version 0, generation, slot page count, next package index, 12 zero bytes
 * slot page = 4096 bytes of 16-byte slots; the first two slots of page 0 are the header
 * slot      = "Slot" magic, package index, block offset, block count; block offset 0 = a free slot
 * blob      = "BlbS" magic, package index, generation, length, the header blob (length bytes),
 *             zero padding to the block count, adler32 (of everything before it), length, "BlbE" magic
 * </pre>
 *
 * <p>Checked on opening as rpm's {@code rpmpkgReadHeader} and {@code rpmpkgReadSlots} check: the
 * magic and version, at most 2^32/256 slot pages, a file size that is a whole number of blocks
 * (fewer than 2^32 - 1) and holds the slot pages, every slot's magic, and every used slot's package index (non-zero), block count (non-zero) and extent
 * (after the slot pages and inside the file). Stricter than rpm, which would only fail on them when
 * writing: no two slots name the same package index, and no two blobs overlap. Checked on reading a
 * blob as {@code rpmpkgReadBlob} and {@code rpmpkgVerifyblob} check: the head magic, the package
 * index the slot names, a length that gives exactly the slot's block count, the adler32 (RFC 1950,
 * over head, header blob and padding), the tail's length and magic. A blob is allocated only after
 * its extent is known to lie inside the file and its length to be at most {@link #MAX_BLOB_BYTES}.
 *
 * <p>Not thread-safe. Closing closes the channel it reads.
 */
public final class NdbPackages implements Closeable {
  /** The file's name in the rpm database directory. */
  public static final String FILE_NAME = "Packages.db";
  /** 'R' 'p' 'm' 'P', little-endian. */
  static final int PKGDB_MAGIC = 'R' | 'p' << 8 | 'm' << 16 | 'P' << 24;
  /** The only version rpm reads. */
  static final int PKGDB_VERSION = 0;
  static final int HEADER_SIZE = 32;
  /** 'S' 'l' 'o' 't'. */
  static final int SLOT_MAGIC = 'S' | 'l' << 8 | 'o' << 16 | 't' << 24;
  static final int SLOT_SIZE = 16;
  static final int BLOCK_SIZE = 16;
  static final int PAGE_SIZE = 4096;
  static final int SLOTS_PER_PAGE = PAGE_SIZE / SLOT_SIZE;
  /** 'B' 'l' 'b' 'S'. */
  static final int BLOB_HEAD_MAGIC = 'B' | 'l' << 8 | 'b' << 16 | 'S' << 24;
  /** 'B' 'l' 'b' 'E'. */
  static final int BLOB_TAIL_MAGIC = 'B' | 'l' << 8 | 'b' << 16 | 'E' << 24;
  static final int BLOB_HEAD_SIZE = 16;
  static final int BLOB_TAIL_SIZE = 12;
  /** 'L' 'Z' 'O' 'B': a blob an rpm built with RPMPKG_LZO compressed. */
  static final int BLOB_LZO_MAGIC = 'L' | 'Z' << 8 | 'O' << 16 | 'B' << 24;
  /** rpm's PKGDB_MAX_SLOTNPAGES: slot and block numbers must fit 32 bits. */
  static final long MAX_SLOT_PAGES = 0xffffffffL / (PAGE_SIZE / BLOCK_SIZE);
  /** The largest header blob read: rpm's headerImport refuses headers above 256 MiB too. */
  public static final long MAX_BLOB_BYTES = 256L << 20;

  private final SeekableByteChannel channel;
  private final String source;
  private final long fileSize;
  private final long generation;
  private final long slotPages;
  private final long nextPackageIndex;
  private final List<Slot> slots;
  private final Map<Long, Slot> byIndex;

  /**
   * A used slot: the package index (rpm's header number) and where its blob lies, in 16-byte blocks.
   * Slot numbers count 16-byte slots from the start of the file (the first used one is 2).
   */
  public record Slot(long slotNumber, long packageIndex, long blockOffset, long blockCount) {
    /** The blob's first byte in the file. */
    public long byteOffset() {
      return blockOffset * BLOCK_SIZE;
    }

    /** The blob's bytes in the file, head, padding and tail included. */
    public long byteLength() {
      return blockCount * BLOCK_SIZE;
    }
  }

  /**
   * A package's blob, verified: its package index, the database generation rpm wrote it at (the
   * blob head's third field, which rpm's salvage uses to pick the newest of two copies; the first
   * NDB code wrote the time there instead) and the header blob (int32 il, int32 dl, index, data; no
   * magic).
   */
  public record Blob(long packageIndex, long generation, byte[] header) {
    /** A blob; the header array is kept, not copied. */
    public Blob {
      Objects.requireNonNull(header, "header");
    }
  }

  /** An installed package: its package index (rpm's header number) and its header, parsed. */
  public record Package(long packageIndex, Header header) {
    /** A package. */
    public Package {
      Objects.requireNonNull(header, "header");
    }
  }

  private NdbPackages(SeekableByteChannel channel, String source) throws IOException {
    this.channel = channel;
    this.source = source;
    this.fileSize = channel.size();
    if (fileSize < HEADER_SIZE) {
      throw corrupt("truncated: " + fileSize + " bytes, less than the 32-byte header");
    }
    ByteBuffer header = readAt(0, HEADER_SIZE, "the header");
    int magic = header.getInt(0);
    if (magic != PKGDB_MAGIC) {
      throw corrupt("not an NDB package database: magic " + hex(magic) + ", expected " + hex(PKGDB_MAGIC)
          + " ('RpmP')");
    }
    long version = u32(header, 4);
    if (version != PKGDB_VERSION) {
      throw corrupt("version " + version + ", rpm reads only version " + PKGDB_VERSION);
    }
    this.generation = u32(header, 8);
    this.slotPages = u32(header, 12);
    this.nextPackageIndex = u32(header, 16);
    if (fileSize % BLOCK_SIZE != 0) {
      throw corrupt("size " + fileSize + " is not a multiple of the 16-byte block (truncated?)");
    }
    if (slotPages > MAX_SLOT_PAGES) {
      throw corrupt(slotPages + " slot pages, more than rpm reads (" + MAX_SLOT_PAGES + ")");
    }
    if (fileSize / BLOCK_SIZE >= 0xffffffffL) {
      throw corrupt("size " + fileSize + " has more blocks than rpm's 32-bit block numbers reach");
    }
    if (slotPages == 0) {
      throw corrupt("no slot pages (the header says 0)");
    }
    if (slotPages * PAGE_SIZE > fileSize) {
      throw corrupt("truncated: the header says " + slotPages + " slot pages (" + slotPages * PAGE_SIZE
          + " bytes), the file has " + fileSize + " bytes");
    }
    long fileBlocks = fileSize / BLOCK_SIZE;
    long firstBlobBlock = slotPages * (PAGE_SIZE / BLOCK_SIZE);
    List<Slot> used = new ArrayList<>();
    Map<Long, Slot> indexes = new HashMap<>();
    long slotNumber = HEADER_SIZE / SLOT_SIZE;
    for (long page = 0; page < slotPages; page++) {
      ByteBuffer buf = readAt(page * PAGE_SIZE, PAGE_SIZE, "slot page " + page);
      for (int o = page == 0 ? HEADER_SIZE : 0; o < PAGE_SIZE; o += SLOT_SIZE, slotNumber++) {
        int slotMagic = buf.getInt(o);
        if (slotMagic != SLOT_MAGIC) {
          throw corrupt("slot " + slotNumber + ": bad magic " + hex(slotMagic) + ", expected " + hex(SLOT_MAGIC)
              + " ('Slot')");
        }
        long blockOffset = u32(buf, o + 8);
        if (blockOffset == 0) {
          continue; // a free slot; rpm ignores its other fields
        }
        long packageIndex = u32(buf, o + 4);
        long blockCount = u32(buf, o + 12);
        String what = "slot " + slotNumber + " (package index " + packageIndex + ")";
        if (blockOffset >= 0xffffffffL - blockCount) {
          throw corrupt(what + ": blocks " + blockOffset + " + " + blockCount + " overflow rpm's 32-bit block numbers");
        }
        if (blockOffset + blockCount > fileBlocks) {
          throw corrupt(what + " points past the end of the file: blocks " + blockOffset + " + " + blockCount + " > "
              + fileBlocks + " (truncated database)");
        }
        if (packageIndex == 0) {
          throw corrupt(what + ": a used slot with package index 0");
        }
        if (blockCount == 0) {
          throw corrupt(what + ": a used slot with block count 0");
        }
        if (blockOffset < firstBlobBlock) {
          throw corrupt(what + ": its blob at block " + blockOffset + " lies inside the slot pages (which end at block "
              + firstBlobBlock + ")");
        }
        Slot slot = new Slot(slotNumber, packageIndex, blockOffset, blockCount);
        Slot previous = indexes.putIfAbsent(packageIndex, slot);
        if (previous != null) {
          throw corrupt("slots " + previous.slotNumber() + " and " + slotNumber + " both hold package index "
              + packageIndex);
        }
        used.add(slot);
      }
    }
    // rpm's rpmpkgList orders the slots by block offset: the order rpm -qa lists the packages in.
    used.sort(Comparator.comparingLong(Slot::blockOffset));
    for (int i = 1; i < used.size(); i++) {
      Slot a = used.get(i - 1);
      Slot b = used.get(i);
      if (a.blockOffset() + a.blockCount() > b.blockOffset()) {
        throw corrupt("the blobs of slots " + a.slotNumber() + " and " + b.slotNumber() + " overlap (blocks "
            + a.blockOffset() + "+" + a.blockCount() + " and " + b.blockOffset() + ")");
      }
    }
    this.slots = List.copyOf(used);
    this.byIndex = indexes;
  }

  /** Opens {@code file} read-only and reads its header and slots. */
  public static NdbPackages open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new NdbPackages(channel, file.toString());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Reads the header and slots of the database {@code channel} holds (its whole content, from byte
   * 0); {@code source} names it in messages. The channel is closed with this object, or now if it is
   * refused.
   */
  public static NdbPackages open(SeekableByteChannel channel, String source) throws IOException {
    Objects.requireNonNull(source, "source");
    try {
      return new NdbPackages(Objects.requireNonNull(channel, "channel"), source);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The database in {@code file}, e.g. as read from an image layer; the array is not copied. */
  public static NdbPackages of(byte[] file, String source) throws IOException {
    return open(new SeekableInMemoryByteChannel(file), source);
  }

  /** What messages name this database by. */
  public String source() {
    return source;
  }

  /** The file's size in bytes. */
  public long fileSize() {
    return fileSize;
  }

  /** The header's generation: rpm increments it on every slot write; Index.db records it. */
  public long generation() {
    return generation;
  }

  /** The header's slot page count (4096 bytes each, 256 slots, the first two of page 0 being the header). */
  public long slotPages() {
    return slotPages;
  }

  /** The header's next package index: the header number rpm gives the next package it adds. */
  public long nextPackageIndex() {
    return nextPackageIndex;
  }

  /** The free slots: slot capacity less the used ones (rpm adds a slot page when none is left). */
  public long freeSlots() {
    return slotPages * SLOTS_PER_PAGE - HEADER_SIZE / SLOT_SIZE - slots.size();
  }

  /** The used slots in the order rpm lists the packages ({@code rpm -qa}): by blob offset. */
  public List<Slot> slots() {
    return slots;
  }

  /** The slot of the package with this index (header number), if there is one. */
  public Optional<Slot> slot(long packageIndex) {
    return Optional.ofNullable(byIndex.get(packageIndex));
  }

  /** The blob of the package with this index, verified, if the database has that package. */
  public Optional<Blob> read(long packageIndex) throws IOException {
    Slot slot = byIndex.get(packageIndex);
    return slot == null ? Optional.empty() : Optional.of(read(slot));
  }

  /** Every package's blob, verified, in the order rpm lists them. */
  public List<Blob> readAll() throws IOException {
    List<Blob> blobs = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      blobs.add(read(slot));
    }
    return blobs;
  }

  /**
   * Every installed package in the order rpm lists them, its blob verified and its header parsed
   * by {@link Header#ofBlob} (the header's source names this database and the package index).
   */
  public List<Package> packages() throws IOException {
    List<Package> packages = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      packages.add(parse(read(slot)));
    }
    return packages;
  }

  /** The installed package with this index (header number), if the database has it. */
  public Optional<Package> pkg(long packageIndex) throws IOException {
    Slot slot = byIndex.get(packageIndex);
    return slot == null ? Optional.empty() : Optional.of(parse(read(slot)));
  }

  private Package parse(Blob blob) throws IOException {
    return new Package(blob.packageIndex(),
        Header.ofBlob(blob.header(), source + " package index " + blob.packageIndex()));
  }

  /** The blob a slot of this database points to, verified as the class describes. */
  public Blob read(Slot slot) throws IOException {
    if (!slot.equals(byIndex.get(slot.packageIndex()))) {
      throw new IllegalArgumentException("not a slot of " + source + ": " + slot);
    }
    String what = "package index " + slot.packageIndex() + " (slot " + slot.slotNumber() + ")";
    if (slot.blockCount() < (BLOB_HEAD_SIZE + BLOB_TAIL_SIZE + BLOCK_SIZE - 1) / BLOCK_SIZE) {
      throw corrupt(what + ": " + slot.blockCount() + " block(s), too small for a blob's head and tail");
    }
    ByteBuffer head = readAt(slot.byteOffset(), BLOB_HEAD_SIZE, what + ": the blob head");
    int magic = head.getInt(0);
    if (magic != BLOB_HEAD_MAGIC) {
      throw corrupt(what + ": bad blob magic " + hex(magic) + " at byte " + slot.byteOffset() + ", expected "
          + hex(BLOB_HEAD_MAGIC) + " ('BlbS')");
    }
    long blobIndex = u32(head, 4);
    if (blobIndex != slot.packageIndex()) {
      throw corrupt(what + ": the blob there belongs to package index " + blobIndex);
    }
    long blobGeneration = u32(head, 8);
    long length = u32(head, 12);
    long blocks = (BLOB_HEAD_SIZE + length + BLOB_TAIL_SIZE + BLOCK_SIZE - 1) / BLOCK_SIZE;
    if (blocks != slot.blockCount()) {
      throw corrupt(what + ": the blob length " + length + " needs " + blocks + " blocks, the slot has "
          + slot.blockCount());
    }
    if (length > MAX_BLOB_BYTES) {
      throw corrupt(what + ": a header blob of " + length + " bytes, more than rpm reads (" + MAX_BLOB_BYTES + ")");
    }
    int n = (int) length;
    ByteBuffer body = readAt(slot.byteOffset() + BLOB_HEAD_SIZE, n, what + ": the header blob");
    int pad = (int) (slot.byteLength() - BLOB_HEAD_SIZE - length - BLOB_TAIL_SIZE);
    ByteBuffer rest = readAt(slot.byteOffset() + BLOB_HEAD_SIZE + length, pad + BLOB_TAIL_SIZE,
        what + ": the blob tail");
    Adler32 adler = new Adler32();
    adler.update(head.array(), 0, BLOB_HEAD_SIZE);
    adler.update(body.array(), 0, n);
    adler.update(rest.array(), 0, pad);
    long stored = u32(rest, pad);
    if (stored != adler.getValue()) {
      throw corrupt(what + ": adler32 mismatch, the blob tail records " + hex((int) stored) + ", the blob sums to "
          + hex((int) adler.getValue()));
    }
    long tailLength = u32(rest, pad + 4);
    if (tailLength != length) {
      throw corrupt(what + ": the blob tail records length " + tailLength + ", its head " + length);
    }
    int tailMagic = rest.getInt(pad + 8);
    if (tailMagic != BLOB_TAIL_MAGIC) {
      throw corrupt(what + ": bad blob tail magic " + hex(tailMagic) + ", expected " + hex(BLOB_TAIL_MAGIC)
          + " ('BlbE')");
    }
    byte[] header = body.array();
    if (n >= 4 && body.getInt(0) == BLOB_LZO_MAGIC) {
      throw corrupt(what + ": the blob is LZO-compressed (an rpm built with RPMPKG_LZO wrote it), which is not read");
    }
    return new Blob(slot.packageIndex(), blobGeneration, header);
  }

  /** Closes the channel. */
  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Refuses to write this database: see {@link NdbWriteRefusedException}. */
  public NdbWriteRefusedException refuseWrite() {
    return new NdbWriteRefusedException(source);
  }

  private ByteBuffer readAt(long position, int length, String what) throws IOException {
    if (position + length > fileSize) {
      throw corrupt("truncated: " + what + " (bytes " + position + "+" + length + ") lies past the end of the file ("
          + fileSize + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    channel.position(position);
    while (buf.hasRemaining()) {
      if (channel.read(buf) < 0) {
        throw corrupt("truncated: " + what + " ends at byte " + (position + buf.position()) + " of " + fileSize);
      }
    }
    return buf.flip();
  }

  private IOException corrupt(String message) {
    return new IOException(source + ": NDB " + FILE_NAME + ": " + message);
  }

  private static long u32(ByteBuffer buf, int offset) {
    return Integer.toUnsignedLong(buf.getInt(offset));
  }

  private static String hex(int value) {
    return String.format("0x%08x", value);
  }
}
