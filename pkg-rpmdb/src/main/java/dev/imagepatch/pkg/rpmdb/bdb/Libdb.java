package dev.imagepatch.pkg.rpmdb.bdb;

import java.nio.charset.StandardCharsets;

/**
 * libdb 5.3's on-disk constants (dbinc/db_page.h, hash.h, btree.h) and its default hash function.
 * Every value here was checked against files libdb itself wrote ({@code db5.3_load}, {@code
 * db5.3_dump -da}) and against real rpm {@code Packages} files.
 */
final class Libdb {
  private Libdb() {}

  static final int HASH_MAGIC = 0x061561;
  static final int BTREE_MAGIC = 0x053162;
  /** Hash and btree format version written by libdb 4.6 through 5.3. */
  static final int VERSION = 9;

  /** Page types (the byte at offset 25 of every page). */
  static final int P_INVALID = 0;
  static final int P_HASH_UNSORTED = 2;
  static final int P_IBTREE = 3;
  static final int P_LBTREE = 5;
  static final int P_OVERFLOW = 7;
  static final int P_HASHMETA = 8;
  static final int P_BTREEMETA = 9;
  static final int P_HASH = 13;

  /** Hash item types (first byte of an item on a hash page). */
  static final int H_KEYDATA = 1;
  static final int H_DUPLICATE = 2;
  static final int H_OFFPAGE = 3;
  static final int H_OFFDUP = 4;

  /** Btree item types (third byte of a BKEYDATA/BOVERFLOW/BINTERNAL, high bit = deleted). */
  static final int B_KEYDATA = 1;
  static final int B_DUPLICATE = 2;
  static final int B_OVERFLOW = 3;
  static final int B_DELETE = 0x80;

  /** Size of the generic page header (LSN, pgno, prev, next, entries, hf_offset, level, type). */
  static final int PAGE_HEADER = 26;
  /** The LSN libdb writes on pages of a database created without logging: file 0, offset 1. */
  static final int LSN_NOT_LOGGED_OFFSET = 1;
  /** A hash-item or btree overflow reference: type byte(s), page number, total length. */
  static final int OVERFLOW_REF = 12;
  /** Number of spare-point slots in the hash meta page. */
  static final int NCACHED = 32;
  /** Btree leaf level; internal pages are one above their children. */
  static final int LEAFLEVEL = 1;
  /** libdb's default btree minimum keys per page. */
  static final int DEFAULT_MINKEY = 2;

  /**
   * The key libdb hashes into the meta page ({@code h_charkey}) so that a file opened with another hash
   * function is refused: {@code "%$sniglet^&"} with its terminating NUL ({@code sizeof(CHARKEY)}),
   * which hashes to 0x5e688dd1 as in every real file.
   */
  static final byte[] CHARKEY = "%$sniglet^&\0".getBytes(StandardCharsets.US_ASCII);

  /** libdb's default hash, {@code __ham_func5}: FNV-1 (multiply by 16777619, then xor) from 0. */
  static int hash(byte[] key) {
    int h = 0;
    for (byte b : key) {
      h *= 16777619;
      h ^= b & 0xff;
    }
    return h;
  }

  /** {@code __db_log2}: the smallest i with 2^i &gt;= n. */
  static int log2(long n) {
    int i = 0;
    for (long limit = 1; limit < n; limit <<= 1) {
      i++;
    }
    return i;
  }

  /** A hash item larger than this goes to overflow pages ({@code ISBIG}: more than a quarter page). */
  static int hashBigThreshold(int pageSize) {
    return pageSize / 4;
  }

  /**
   * A btree key or data item larger than this goes to overflow pages ({@code B_MINKEY_TO_OVFLSIZE}):
   * 1007 bytes on a 4 KiB page with minkey 2.
   */
  static int btreeOverflowSize(int pageSize, int minkey) {
    return (pageSize - PAGE_HEADER) / (minkey * 2) - (align4(3) + 2 + 4);
  }

  static int align4(int n) {
    return (n + 3) & ~3;
  }
}
