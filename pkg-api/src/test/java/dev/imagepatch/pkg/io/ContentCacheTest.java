package dev.imagepatch.pkg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentCacheTest {
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path root;

  @Test
  void sha256ContentIsStoredUnderSha256ByItsHex() throws Exception {
    ContentCache cache = new ContentCache(root);
    String hex = hex("SHA-256", HELLO);
    Path stored = cache.get(hex.toUpperCase(), HELLO.length, () -> new ByteArrayInputStream(HELLO), "hello");
    assertEquals(root.resolve("sha256").resolve(hex), stored);
    assertArrayEquals(HELLO, Files.readAllBytes(stored));
    assertEquals(stored, cache.find(hex).orElseThrow());
    assertEquals(stored, cache.find("SHA-256", hex).orElseThrow());
    // A hit is not downloaded again.
    assertEquals(stored, cache.get(hex, HELLO.length, () -> { throw new AssertionError("downloaded"); }, "hello"));
  }

  @Test
  void otherAlgorithmsHaveTheirOwnDirectory() throws Exception {
    ContentCache cache = new ContentCache(root);
    for (String algorithm : new String[] {"SHA-1", "SHA-224", "SHA-384", "SHA-512"}) {
      String hex = hex(algorithm, HELLO);
      Path stored = cache.get(algorithm, hex, -1, () -> new ByteArrayInputStream(HELLO), "hello");
      assertEquals(root.resolve(algorithm.replace("-", "").toLowerCase()).resolve(hex), stored);
    }
    assertThrows(IllegalArgumentException.class, () -> cache.find("MD5", "00".repeat(16)));
    assertThrows(IllegalArgumentException.class, () -> cache.find("SHA-512", hex("SHA-256", HELLO)));
    assertThrows(IllegalArgumentException.class, () -> cache.find("../x"));
  }

  @Test
  void contentThatDoesNotMatchIsNotStoredAndLeavesNoTemporaryFile() throws Exception {
    ContentCache cache = new ContentCache(root);
    String wrong = "11".repeat(32);
    IOException e = assertThrows(IOException.class,
        () -> cache.get(wrong, HELLO.length, () -> new ByteArrayInputStream(HELLO), "u"));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    String hex = hex("SHA-256", HELLO);
    e = assertThrows(IOException.class, () -> cache.get(hex, 4, () -> new ByteArrayInputStream(HELLO), "u"));
    assertTrue(e.getMessage().contains("larger than the 4 bytes"), e.getMessage());
    e = assertThrows(IOException.class, () -> cache.get(hex, 6, () -> new ByteArrayInputStream(HELLO), "u"));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    assertTrue(cache.find(wrong).isEmpty());
    assertTrue(cache.find(hex).isEmpty());
    try (var s = Files.list(root.resolve("sha256"))) {
      assertEquals(0, s.count(), "no temporary file left behind");
    }
  }

  @Test
  void concurrentAskersShareOneDownload() throws Exception {
    ContentCache cache = ContentCache.at(root);
    assertEquals(cache, ContentCache.at(root.resolve(".")));
    String hex = hex("SHA-512", HELLO);
    AtomicInteger opened = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    ContentCache.Source slow = () -> {
      opened.incrementAndGet();
      return new InputStream() {
        int i;

        @Override
        public int read() throws IOException {
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException();
          }
          return i < HELLO.length ? HELLO[i++] & 0xff : -1;
        }
      };
    };
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      Future<Path> first = pool.submit(() -> cache.get("SHA-512", hex, HELLO.length, slow, "u"));
      while (opened.get() == 0) {
        Thread.sleep(1);
      }
      Future<Path> second = pool.submit(() -> cache.get("SHA-512", hex, HELLO.length, slow, "u"));
      Thread.sleep(50);
      release.countDown();
      assertEquals(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS));
      assertEquals(1, opened.get());
    } finally {
      pool.shutdownNow();
    }
  }

  private static String hex(String algorithm, byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(b));
  }
}
