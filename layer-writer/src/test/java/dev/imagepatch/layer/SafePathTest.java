package dev.imagepatch.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafePathTest {
  @TempDir
  Path work;

  @Test
  void normalizesOnce() throws Exception {
    assertEquals("usr/bin/x", SafePath.relative("./usr//./bin/x/"));
    assertEquals("etc/passwd", SafePath.relative("/etc/passwd"));
    assertEquals("", SafePath.relative("./"));
    assertEquals("a..b/c", SafePath.relative("a..b/c"));
  }

  @Test
  void refusesDotDotLineEndsAndNul() throws Exception {
    // Other control characters are allowed, as dpkg allows them in file names.
    assertEquals("a\u0001b", SafePath.relative("a\u0001b"));
    for (String bad : new String[] {"../x", "./usr/../../etc", "/..", "a/\nb", "a\rb", "a\0b"}) {
      SafePath.UnsafePathException e = assertThrows(SafePath.UnsafePathException.class, () -> SafePath.relative(bad));
      assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("\r"), e.getMessage());
    }
  }

  @Test
  void theLayerWriterRefusesEntriesThatLeaveTheRoot() {
    LayerBuilder b = new LayerBuilder();
    assertThrows(IllegalArgumentException.class, () -> b.file("../../tmp/x", 0644, 0, 0, 0, 0, InputStream::nullInputStream));
    assertThrows(IllegalArgumentException.class, () -> b.whiteout("../../../tmp/victim"));
    assertThrows(IllegalArgumentException.class, () -> b.whiteout("etc/ssl/certs/.."), "a whiteout named ..");
    assertThrows(IllegalArgumentException.class, () -> b.hardlink("usr/bin/x", "../../etc/shadow", 0644, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> b.symlink("usr/share/doc/x\n/etc/shadow", "y", 0, 0, 0));
    assertTrue(b.entries().isEmpty());
  }

  @Test
  void theLayerWriterRefusesEntriesUnderItsOwnSymlinks() {
    LayerBuilder b = new LayerBuilder().symlink("usr/lib/x", "/etc", 0, 0, 0)
        .file("usr/lib/x/shadow", 0644, 0, 0, 0, 0, InputStream::nullInputStream);
    Exception e = assertThrows(java.io.IOException.class, () -> b.write(work.resolve("l.tar"),
        LayerBuilder.Compression.NONE, 0));
    assertTrue(e.getMessage().contains("usr/lib/x/shadow") && e.getMessage().contains("symlink"), e.getMessage());
  }

  @Test
  void relativeSymlinkTargetsStayAllowed() throws Exception {
    new LayerBuilder().symlink("lib", "usr/lib", 0, 0, 0).symlink("usr/bin/x", "../lib/x", 0, 0, 0)
        .write(work.resolve("ok.tar"), LayerBuilder.Compression.NONE, 0);
    assertTrue(Files.size(work.resolve("ok.tar")) > 0);
  }
}
