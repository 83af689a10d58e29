package dev.imagepatch.oci;

/**
 * How far a reader follows an index: how deep indexes may nest and how many entries one may list.
 * The defaults (8 levels, 1,000 entries) are far above any real image (a multi-arch index is one
 * level of a few dozen entries, attestations included) and low enough that a hostile index cannot
 * exhaust the stack or make a run do the same work thousands of times.
 *
 * @param maxDepth the deepest nesting followed; the root index is level 1
 * @param maxEntries the most entries one index may list
 */
public record IndexLimits(int maxDepth, int maxEntries) {
  /** 8 levels, 1,000 entries per index. */
  public static final IndexLimits DEFAULT = new IndexLimits(8, 1_000);

  public IndexLimits {
    if (maxDepth < 1 || maxEntries < 1) {
      throw new IllegalArgumentException("index limits must be at least 1: depth " + maxDepth + ", entries "
          + maxEntries);
    }
  }

  /**
   * Refuses {@code index}, found at nesting level {@code depth} (the root is 1) in {@code where},
   * when it nests too deep or lists too many entries.
   */
  public void check(Index index, int depth, String where) throws InvalidDocumentException {
    if (depth > maxDepth) {
      throw new InvalidDocumentException(where + ": index " + index.digest() + " is nested " + depth
          + " levels deep; at most " + maxDepth + " are followed");
    }
    if (index.manifests().size() > maxEntries) {
      throw new InvalidDocumentException(where + ": index " + index.digest() + " lists " + index.manifests().size()
          + " entries; at most " + maxEntries + " are accepted");
    }
  }
}
