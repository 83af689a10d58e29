package dev.imagepatch.patch.effects;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of strings iterated in the order of p11-kit's hash table ({@code p11_dict} with
 * {@code p11_dict_str_hash}: MurmurHash3 with seed 42, 9 buckets doubling plus one when the items
 * outnumber them). p11-kit writes the purposes of an OpenSSL {@code TRUSTED CERTIFICATE} in that
 * order, so the order is part of the output.
 */
final class P11StringSet {
  private static final class Entry {
    final String key;
    final int hash;
    Entry next;

    Entry(String key, int hash) {
      this.key = key;
      this.hash = hash;
    }
  }

  private Entry[] buckets = new Entry[9];
  private int size;

  void add(String key) {
    int hash = hash(key);
    int i = Integer.remainderUnsigned(hash, buckets.length);
    Entry e = buckets[i];
    Entry last = null;
    for (; e != null; e = e.next) {
      if (e.hash == hash && e.key.equals(key)) {
        break;
      }
      last = e;
    }
    if (e == null) {
      Entry created = new Entry(key, hash);
      if (last == null) {
        buckets[i] = created;
      } else {
        last.next = created;
      }
      size++;
    }
    if (size > buckets.length) {
      Entry[] grown = new Entry[buckets.length * 2 + 1];
      for (Entry x : entries()) {
        int j = Integer.remainderUnsigned(x.hash, grown.length);
        x.next = grown[j];
        grown[j] = x;
      }
      buckets = grown;
    }
  }

  void remove(String key) {
    int hash = hash(key);
    int i = Integer.remainderUnsigned(hash, buckets.length);
    Entry prev = null;
    for (Entry e = buckets[i]; e != null; prev = e, e = e.next) {
      if (e.hash == hash && e.key.equals(key)) {
        if (prev == null) {
          buckets[i] = e.next;
        } else {
          prev.next = e.next;
        }
        size--;
        return;
      }
    }
  }

  int size() {
    return size;
  }

  /** The keys in iteration order. */
  List<String> keys() {
    List<String> out = new ArrayList<>();
    for (Entry e : entries()) {
      out.add(e.key);
    }
    return out;
  }

  private List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    for (Entry b : buckets) {
      for (Entry e = b; e != null; e = e.next) {
        out.add(e);
      }
    }
    return out;
  }

  /** {@code p11_hash_murmur3} of the string's bytes, as p11-kit has it (the tail length mixed in, not the total). */
  static int hash(String s) {
    byte[] data = s.getBytes(StandardCharsets.UTF_8);
    int h1 = 42;
    final int c1 = 0xcc9e2d51;
    final int c2 = 0x1b873593;
    int i = 0;
    for (; i + 4 <= data.length; i += 4) {
      int k1 = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
      k1 *= c1;
      k1 = Integer.rotateLeft(k1, 15);
      k1 *= c2;
      h1 ^= k1;
      h1 = Integer.rotateLeft(h1, 13);
      h1 = h1 * 5 + 0xe6546b64;
    }
    int len = data.length - i;
    int k1 = 0;
    switch (len) {
      case 3:
        k1 ^= (data[i + 2] & 0xff) << 16;
        // fall through
      case 2:
        k1 ^= (data[i + 1] & 0xff) << 8;
        // fall through
      case 1:
        k1 ^= data[i] & 0xff;
        k1 *= c1;
        k1 = Integer.rotateLeft(k1, 15);
        k1 *= c2;
        h1 ^= k1;
        break;
      default:
        break;
    }
    h1 ^= len;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1;
  }
}
