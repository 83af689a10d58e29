package dev.imagepatch.pkg.io;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes a patch may write to its temporary directory, all platforms together: spooled image
 * files and staged package contents are charged as they are written, and the write that passes
 * the limit fails naming it, so a decompression bomb cannot fill the disk.
 */
public final class DiskBudget {
  /** The default: 16 GiB. */
  public static final long DEFAULT_LIMIT = 16L << 30;

  private final long limit;
  private final String option;
  private final AtomicLong used = new AtomicLong();

  /** {@code option} names how a user raises the limit, for the error. */
  public DiskBudget(long limit, String option) {
    if (limit <= 0) {
      throw new IllegalArgumentException("the temporary-file limit must be positive: " + limit);
    }
    this.limit = limit;
    this.option = option;
  }

  /** No limit worth the name, for callers that bound nothing (tests, tools). */
  public static DiskBudget unlimited() {
    return new DiskBudget(Long.MAX_VALUE, "none");
  }

  public long limit() {
    return limit;
  }

  public long used() {
    return used.get();
  }

  /** Charges {@code bytes} written for {@code what}; fails once the total passes the limit. */
  public void charge(long bytes, String what) throws IOException {
    long total = used.addAndGet(bytes);
    if (total > limit) {
      throw new IOException(what + ": the patch's temporary files passed their limit of " + limit + " bytes ("
          + option + ")");
    }
  }
}
