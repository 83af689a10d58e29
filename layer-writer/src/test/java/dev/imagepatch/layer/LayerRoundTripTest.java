package dev.imagepatch.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers written by LayerBuilder, read back as a merged filesystem, and checked with GNU tar. */
class LayerRoundTripTest {
  @TempDir
  Path temp;

  private static LayerBuilder.Content text(String s) {
    return () -> new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  private static final String LONG = "usr/share/doc/" + "a-very-long-directory-name-".repeat(5) + "/file.txt";

  private LayerBuilder lower() {
    return new LayerBuilder()
        .directory("etc", 0755, 0, 0, 100)
        .directory("etc/sub", 0755, 0, 0, 100)
        .file("etc/sub/old", 0644, 0, 0, 100, 3, text("old"))
        .file("etc/a", 0644, 0, 0, 100, 5, text("hello"))
        .file("etc/b", 0640, 0, 42, 100, 5, text("world"))
        .symlink("etc/os-release", "../usr/lib/os-release", 0, 0, 100)
        .symlink("lib", "usr/lib", 0, 0, 100)
        .directory("usr", 0755, 0, 0, 100)
        .directory("usr/lib", 0755, 0, 0, 100)
        .file("usr/lib/os-release", 0644, 0, 0, 100, 7, text("ID=test"))
        .file("usr/lib/libx.so.1", 0644, 0, 0, 5_000_000_000L, 3, text("elf"))
        .directory("opt", 0755, 0, 0, 100)
        .file("opt/tool", 0755, 0, 0, 100, 2, text("v1"))
        .file(LONG, 0644, 0, 0, 100, 4, text("long"));
  }

  private LayerBuilder upper() {
    return new LayerBuilder()
        .whiteout("etc/a")
        .file("etc/sub/.wh..wh..opq", 0644, 0, 0, 0, 0, InputStream::nullInputStream)
        .file("etc/sub/new", 0644, 0, 0, 100, 3, text("new"))
        .symlink("opt", "usr/lib", 0, 0, 100)
        .file("usr/lib/libx.so.1", 0644, 0, 0, 200, 4, text("elf2"));
  }

  @Test
  void theMergedViewHonoursWhiteoutsOpaqueDirectoriesAndShadowing() throws Exception {
    Path lower = temp.resolve("lower.tar.gz");
    Path upper = temp.resolve("upper.tar.gz");
    lower().write(lower, LayerBuilder.Compression.GZIP, 1_000_000);
    upper().write(upper, LayerBuilder.Compression.ZSTD, 1_000_000);
    MergedFilesystem fs = MergedFilesystem.read(List.of(
        () -> Layers.uncompressed(Files.newInputStream(lower), MediaTypes.OCI_LAYER_TAR_GZIP),
        () -> Layers.uncompressed(Files.newInputStream(upper), MediaTypes.OCI_LAYER_TAR_ZSTD)),
        p -> p.startsWith("etc/") || p.endsWith("os-release") || p.startsWith("usr/lib/libx"), p -> false);

    assertEquals(Optional.empty(), fs.entry("etc/a"), "whited out");
    assertEquals(Optional.empty(), fs.entry("etc/sub/old"), "under an opaque directory");
    assertEquals("new", new String(fs.content("etc/sub/new").orElseThrow(), StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), fs.entry("opt/tool"), "under a path the upper layer made a symlink");
    assertEquals("elf2", new String(fs.content("lib/libx.so.1").orElseThrow(), StandardCharsets.UTF_8));
    assertEquals("usr/lib/os-release", fs.resolve("etc/os-release").orElseThrow());
    assertEquals("ID=test", new String(fs.content("etc/os-release").orElseThrow(), StandardCharsets.UTF_8));
    assertEquals("usr/lib/x86_64-linux-gnu/libssl.so.3", fs.resolveParent("lib/x86_64-linux-gnu/libssl.so.3"));
    assertEquals("lib", fs.resolveParent("lib"), "the last component is not followed");
    assertEquals(42, fs.entry("etc/b").orElseThrow().gid());
    assertEquals(0640, fs.entry("etc/b").orElseThrow().mode());
    assertTrue(fs.entry(LONG).isPresent(), "a PAX long name reads back");
    assertEquals("5d41402abc4b2a76b9719d911017c592", MergedFilesystem.read(List.of(
        () -> Layers.uncompressed(Files.newInputStream(lower), MediaTypes.OCI_LAYER_TAR_GZIP)),
        p -> false, p -> p.equals("etc/a")).md5("etc/a").orElseThrow(), "md5 of 'hello'");
  }

  @Test
  void writingIsDeterministicAndClampsTimes() throws Exception {
    Path a = temp.resolve("a.tar.gz");
    Path b = temp.resolve("b.tar.gz");
    LayerBuilder.Written wa = lower().write(a, LayerBuilder.Compression.GZIP, 1_000_000);
    LayerBuilder.Written wb = lower().write(b, LayerBuilder.Compression.GZIP, 1_000_000);
    assertEquals(wa, wb);
    assertEquals(Digest.sha256(Files.readAllBytes(a)), wa.digest());
    assertEquals(Files.size(a), wa.size());

    Process p = new ProcessBuilder("tar", "--numeric-owner", "-tvzf", a.toString()).redirectErrorStream(true).start();
    String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), listing);
    List<String> lines = listing.lines().toList();
    assertEquals(14, lines.size(), listing);
    assertTrue(lines.get(0).matches("drwxr-xr-x 0/0 .* etc/"), lines.get(0));
    assertTrue(listing.contains(" " + LONG + "\n"), "GNU tar reads the long name: " + listing);
    assertTrue(listing.contains("lrwxrwxrwx 0/0") && listing.contains("lib -> usr/lib"), listing);
    assertTrue(listing.contains("-rw-r----- 0/42"), listing);
    assertTrue(listing.contains("1970-01-12 13:46 usr/lib/libx.so.1"), "clamped to the epoch: " + listing);
    assertFalse(listing.contains("2128"), listing);
  }
}
