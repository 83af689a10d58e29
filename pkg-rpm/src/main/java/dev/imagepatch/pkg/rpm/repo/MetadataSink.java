package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;

/** Receives the records of a streamed metadata file, one at a time. */
@FunctionalInterface
public interface MetadataSink<T> {
  void accept(T record) throws IOException;
}
