package dev.imagepatch.oci.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerArchiveTest {
  @TempDir
  Path temp;

  @Test
  void layersReadByParallelThreadsEachGetTheirOwnBytes() throws Exception {
    // Large enough that reads of the two layers interleave many times.
    byte[] one = random(1, 6 << 20);
    byte[] two = random(2, 6 << 20);
    Path tar = archive(List.of(one, two));
    try (DockerArchive archive = DockerArchive.open(tar)) {
      Manifest m = assertInstanceOf(Manifest.class, archive.fetchManifest("example/app:v1"));
      assertEquals(List.of(Digest.sha256(one), Digest.sha256(two)),
          m.layers().stream().map(Descriptor::digest).toList());
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Digest>> reads = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
          for (Descriptor layer : m.layers()) {
            // Each stream verifies its digest at the end: a byte read from the other layer fails it.
            reads.add(pool.submit(() -> readAll(archive, layer)));
          }
        }
        for (int i = 0; i < reads.size(); i++) {
          assertEquals(m.layers().get(i % 2).digest(), reads.get(i).get());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aLayerFileTheTarDoesNotHoldIsNamed() throws Exception {
    Path tar = temp.resolve("missing.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
      put(out, "config.json", "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
          .getBytes(StandardCharsets.UTF_8));
      put(out, "manifest.json", "[{\"Config\":\"config.json\",\"RepoTags\":[\"a:b\"],\"Layers\":[\"gone/layer.tar\"]}]"
          .getBytes(StandardCharsets.UTF_8));
    }
    try (DockerArchive archive = DockerArchive.open(tar)) {
      InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> archive.fetchManifest("a:b"));
      assertTrue(e.getMessage().contains("gone/layer.tar") && e.getMessage().contains(tar.toString()), e.getMessage());
    }
  }

  @Test
  void aTarWithoutManifestJsonIsRefusedByName() throws Exception {
    Path tar = temp.resolve("plain.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
      put(out, "etc/hostname", "box\n".getBytes(StandardCharsets.UTF_8));
    }
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> DockerArchive.open(tar));
    assertTrue(e.getMessage().contains(tar + " holds no manifest.json"), e.getMessage());
  }

  private static Digest readAll(DockerArchive archive, Descriptor layer) throws IOException {
    try (InputStream in = archive.openBlob(layer)) {
      byte[] buf = new byte[8192];
      while (in.read(buf) >= 0) {
        // VerifyingInputStream checks size and digest at the end.
      }
    }
    return layer.digest();
  }

  private Path archive(List<byte[]> layers) throws IOException {
    StringBuilder diffIds = new StringBuilder();
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < layers.size(); i++) {
      String sep = i == 0 ? "" : ",";
      diffIds.append(sep).append('"').append(Digest.sha256(layers.get(i))).append('"');
      names.append(sep).append("\"l").append(i).append("/layer.tar\"");
    }
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + diffIds + "]}}";
    Path tar = temp.resolve("saved.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
      put(out, "config.json", config.getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < layers.size(); i++) {
        put(out, "l" + i + "/layer.tar", layers.get(i));
      }
      put(out, "manifest.json", ("[{\"Config\":\"config.json\",\"RepoTags\":[\"example/app:v1\"],\"Layers\":["
          + names + "]}]").getBytes(StandardCharsets.UTF_8));
    }
    return tar;
  }

  private static void put(TarArchiveOutputStream out, String name, byte[] data) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(data.length);
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
  }

  private static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }
}
