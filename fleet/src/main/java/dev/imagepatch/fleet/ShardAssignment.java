package dev.imagepatch.fleet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Which shard of {@code count} patches an image: rendezvous (highest-random-weight) hashing of the
 * source reference, so adding or removing an image moves only that image, and changing the count
 * moves about 1/count of them.
 */
public record ShardAssignment(int index, int count) {
  /** Every image on the one shard: the unsharded run. */
  public static final ShardAssignment ALL = new ShardAssignment(0, 1);

  public ShardAssignment {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("shard " + index + "/" + count + ": want 0 <= I < N");
    }
  }

  /** Parses {@code I/N}, as {@code --shard} takes it. */
  public static ShardAssignment parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("--shard " + text + ": want I/N, e.g. 0/4");
    }
    try {
      return new ShardAssignment(Integer.parseInt(text.substring(0, slash).trim()),
          Integer.parseInt(text.substring(slash + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shard " + text + ": want I/N, e.g. 0/4", e);
    }
  }

  /** True when this shard patches {@code reference} (REGISTRY/REPO:TAG after tag selection). */
  public boolean owns(String reference) {
    return count == 1 || shardOf(reference, count) == index;
  }

  /** The shard with the highest weight for {@code reference}; ties go to the lower index. */
  public static int shardOf(String reference, int count) {
    int best = 0;
    long bestWeight = Long.MIN_VALUE;
    for (int i = 0; i < count; i++) {
      long w = weight(reference, i);
      if (w > bestWeight) {
        best = i;
        bestWeight = w;
      }
    }
    return best;
  }

  // SHA-256 rather than String.hashCode: stable across JVMs and releases, and well mixed.
  private static long weight(String reference, int shard) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((shard + "\0" + reference).getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return v;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
