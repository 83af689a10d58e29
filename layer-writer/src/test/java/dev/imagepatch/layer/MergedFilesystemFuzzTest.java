package dev.imagepatch.layer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

/**
 * Fuzzes the layer reader (tar headers, PAX and GNU long names, whiteouts, links) with arbitrary
 * bytes as the uncompressed tar of a one-layer image, read as the engine reads an image: dpkg's
 * database kept, every other file hashed.
 *
 * <p>Contract: {@link MergedFilesystem#read(List, java.util.function.Predicate,
 * java.util.function.Predicate)} returns the merged filesystem or throws an {@link IOException}
 * (commons-compress's for a corrupt tar header, or a kept file over the size limit); the lookups
 * of a read filesystem ({@code resolve}, {@code resolveParent}, {@code content}, {@code md5},
 * {@code contentsUnder}) never throw, whatever symlinks the layer holds (loops end as "not
 * found"). Any other throwable, or a run past Jazzer's timeout, is a finding. Seeds and regression
 * inputs: {@code src/test/resources/dev/imagepatch/layer/MergedFilesystemFuzzTestInputs/read/}.
 */
class MergedFilesystemFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    MergedFilesystem fs;
    try {
      fs = MergedFilesystem.read(List.of(() -> new ByteArrayInputStream(input)),
          p -> p.startsWith("var/lib/dpkg/"), p -> true);
    } catch (IOException expected) {
      return;
    }
    for (String path : fs.entries().keySet()) {
      fs.resolve(path);
      fs.resolveParent(path);
      fs.content(path);
      fs.md5(path);
    }
    fs.contentsUnder("var/lib/dpkg/info");
  }
}
