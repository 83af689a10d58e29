package dev.imagepatch.patch.effects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.testing.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ld.so.cache we write against the one glibc's own {@code ldconfig -r} writes for the same
 * tree of real libraries (this machine's), compared as {@code ldconfig -p -C} lists them and byte
 * for byte, with the soname links each makes and the dangling links each removes.
 */
class LdCacheTest {
  @TempDir
  Path tmp;

  @Test
  void sameCacheAndLinksAsGlibcLdconfig() throws Exception {
    String arch = Commands.runText("dpkg", "--print-architecture").strip();
    String triplet = switch (arch) {
      case "amd64" -> "x86_64-linux-gnu";
      case "arm64" -> "aarch64-linux-gnu";
      default -> throw new IllegalStateException("ld.so.cache is reproduced for amd64 and arm64 hosts, not " + arch);
    };
    Path host = Path.of("/usr/lib", triplet);
    Path root = Files.createDirectories(tmp.resolve("ours"));
    Path usrLib = Files.createDirectories(root.resolve("usr/lib/" + triplet));
    Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
    Files.createDirectories(root.resolve("usr/local/lib"));
    Files.createDirectories(root.resolve("etc/ld.so.conf.d"));
    Files.writeString(root.resolve("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n\n");
    Files.writeString(root.resolve("etc/ld.so.conf.d/libc.conf"), "# libc default configuration\n/usr/local/lib\n");
    Files.writeString(root.resolve("etc/ld.so.conf.d/" + triplet + ".conf"), "# Multiarch support\n/usr/local/lib/"
        + triplet + "\n/lib/" + triplet + "\n/usr/lib/" + triplet + "\n");

    // Real libraries, their soname links as packages ship them, and the cases ldconfig decides.
    for (String lib : List.of("libc.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libz.so.1",
        "libexpat.so.1", "libcrypto.so.3", "libssl.so.3", "libm.so.6", "libpcre2-8.so.0")) {
      Path source = host.resolve(lib);
      if (Files.exists(source)) {
        Path real = source.toRealPath();
        Files.copy(real, usrLib.resolve(real.getFileName().toString()));
        if (!real.getFileName().toString().equals(lib)) {
          Files.createSymbolicLink(usrLib.resolve(lib), Path.of(real.getFileName().toString()));
        }
      }
    }
    Path libz = host.resolve("libz.so.1").toRealPath();
    // Two builds of one soname: the newer by ldconfig's order wins the soname link.
    Files.copy(libz, usrLib.resolve("libz.so.1.10.0"));
    // A development link, a library whose soname link is missing, and a dangling soname link.
    Files.createSymbolicLink(usrLib.resolve("libz.so"), Path.of("libz.so.1"));
    Files.copy(host.resolve("libexpat.so.1").toRealPath(), root.resolve("usr/local/lib/libexpat.so.1.9.9"));
    Files.createSymbolicLink(usrLib.resolve("libgone.so.1"), Path.of("libgone.so.1.0.0"));
    // Not libraries: a linker script and a plain file named like one.
    Files.writeString(usrLib.resolve("libc.so"), "/* GNU ld script */\nGROUP ( libc.so.6 )\n");
    Files.writeString(root.resolve("usr/local/lib/libnotelf.so.1"), "text");

    Path reference = tmp.resolve("reference");
    Commands.runText("cp", "-a", root.toString(), reference.toString());
    Commands.runText("ldconfig", "-r", reference.toString());
    byte[] real = Files.readAllBytes(reference.resolve("etc/ld.so.cache"));

    String generator = LdCache.generator(real).orElseThrow();
    LdCache.Outcome ours = LdCache.run(new DirectoryTree(root), arch, generator);
    assertNull(ours.problem());
    Path cache = tmp.resolve("ours.cache");
    Files.write(cache, ours.cache());
    assertEquals(listing(reference.resolve("etc/ld.so.cache")), listing(cache));
    assertArrayEquals(real, ours.cache(), "byte for byte");

    ours.removed().forEach(p -> root.resolve(p).toFile().delete());
    for (Map.Entry<String, String> l : ours.links().entrySet()) {
      Files.deleteIfExists(root.resolve(l.getKey()));
      Files.createSymbolicLink(root.resolve(l.getKey()), Path.of(l.getValue()));
    }
    assertTrue(ours.links().containsKey("usr/lib/" + triplet + "/libz.so.1"), ours.links().toString());
    assertEquals(Set.of("usr/lib/" + triplet + "/libgone.so.1"), ours.removed());
    assertEquals(links(reference), links(root));
  }

  @Test
  void libcmpOrdersDigitRunsAsNumbers() {
    assertTrue(LdCache.libcmp("libz.so.1.10.0", "libz.so.1.2.13") > 0);
    assertTrue(LdCache.libcmp("libz.so.1", "libz.so.1.2") < 0);
    assertTrue(LdCache.libcmp("liba.so.1", "libb.so.1") < 0);
    assertTrue(LdCache.libcmp("lib9.so", "libx.so") > 0, "a digit sorts after a letter");
    assertEquals(0, LdCache.libcmp("libz.so.01", "libz.so.1"));
  }

  private static String listing(Path cache) throws Exception {
    String out = Commands.runText("ldconfig", "-p", "-C", cache.toString());
    return out.substring(out.indexOf('\n') + 1);
  }

  private static Map<String, String> links(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root.resolve("usr"))) {
      for (Path p : walk.toList()) {
        if (Files.isSymbolicLink(p)) {
          out.put(root.relativize(p).toString(), Files.readSymbolicLink(p).toString());
        }
      }
    }
    return out;
  }
}
