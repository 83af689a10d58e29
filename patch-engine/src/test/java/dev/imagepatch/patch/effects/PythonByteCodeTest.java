package dev.imagepatch.patch.effects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.oci.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-code of upgraded sources against CPython itself: for an unchanged source under a new
 * modification time, the rewritten .pyc equals what {@code py_compile} writes; the byte-code of a
 * changed source is removed.
 */
class PythonByteCodeTest {
  @TempDir
  Path tmp;

  @Test
  void sameAsPyCompileForUnchangedSourcesRemovedForChangedOnes() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path lib = Files.createDirectories(root.resolve("usr/lib/python3/dist-packages"));
    Files.writeString(lib.resolve("same.py"), "import os\nVALUE = [1, 2, 'three']\ndef f(x):\n    return x * 2\n");
    Files.writeString(lib.resolve("changed.py"), "A = 1\n");
    Files.setLastModifiedTime(lib.resolve("same.py"), FileTime.fromMillis(1_600_000_000_000L));
    compile(lib);
    Path pycache = lib.resolve("__pycache__");
    String samePyc;
    String changedPyc;
    try (Stream<Path> s = Files.list(pycache)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      changedPyc = names.get(0);
      samePyc = names.get(1);
    }

    Path tar = tmp.resolve("base.tar");
    DirectoryLayer.of(root).write(tar, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem fs = MergedFilesystem.read(List.of(() -> Files.newInputStream(tar)), p -> false,
        PythonByteCode::isSource, PythonByteCode::isByteCode, Files.createDirectories(tmp.resolve("spool")),
        LdConfig.SONAMES);
    String dir = "usr/lib/python3/dist-packages/";
    long newTime = 1_790_000_000L;
    byte[] same = Files.readAllBytes(lib.resolve("same.py"));
    LayerBuilder layer = new LayerBuilder();
    PythonByteCode.Outcome o = PythonByteCode.refresh(fs, layer, Map.of(
        dir + "same.py", new PythonByteCode.Source(md5(same), same.length, newTime),
        dir + "changed.py", new PythonByteCode.Source(md5("A = 2\n".getBytes()), 6, newTime)), Set.of(),
        Files.createDirectories(tmp.resolve("staging")), 1_700_000_000L);
    assertEquals(new PythonByteCode.Outcome(1, 1), o);
    assertTrue(layer.entries().containsKey(dir + "__pycache__/.wh." + changedPyc), layer.entries().keySet().toString());

    // CPython's own byte-code for the same source with the new time.
    Files.setLastModifiedTime(lib.resolve("same.py"), FileTime.fromMillis(newTime * 1000));
    compile(lib);
    Path out = tmp.resolve("layer.tar");
    layer.write(out, LayerBuilder.Compression.NONE, Long.MAX_VALUE);
    MergedFilesystem written = MergedFilesystem.read(List.of(() -> Files.newInputStream(out)), p -> true, p -> false);
    assertArrayEquals(Files.readAllBytes(pycache.resolve(samePyc)),
        written.content(dir + "__pycache__/" + samePyc).orElseThrow());
  }

  private static void compile(Path dir) throws Exception {
    Commands.runText("python3", "-c", "import py_compile, sys\nfor f in ('same.py', 'changed.py'):\n"
        + "    py_compile.compile(sys.argv[1] + '/' + f, doraise=True, invalidation_mode="
        + "py_compile.PycInvalidationMode.TIMESTAMP)", dir.toString());
  }

  private static String md5(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
  }
}
