package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A registry that stops answering, or stops reading, is given up on after the stall timeout and
 * retried; one that is slow but moving, or a caller that is slow to read, is not cut off.
 */
class RegistryStallTest {
  private static final Duration STALL = Duration.ofSeconds(1);
  private static final byte[] BLOB = random(64 * 1024);
  private static final Descriptor BLOB_DESCRIPTOR =
      Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256(BLOB), BLOB.length);

  private ScriptedServer server;

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void noResponseHeadersIsAStallRetriedThenReportedWithTheOperation() {
    server = new ScriptedServer((request, in, out) -> sleepLong());
    RegistryClient client = client(RetryPolicy.of(2, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofSeconds(20)));
    RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(RegistryException.class, () -> client.getManifest("team/app", "1.0")));
    assertTrue(e.getMessage().contains("get manifest 1.0"), e.getMessage());
    assertTrue(e.getMessage().contains("no data for 1 s while get manifest 1.0 on " + server.host()), e.getMessage());
    assertTrue(e.getMessage().contains("after 2 attempts"), e.getMessage());
    assertEquals(2, server.requests.get());
  }

  @Test
  void aBodyThatStopsMidwayEndsTheReadWithAStallError() throws Exception {
    server = new ScriptedServer((request, in, out) -> {
      out.write(headers(BLOB.length));
      out.write(BLOB, 0, 1000);
      out.flush();
      sleepLong();
    });
    RegistryClient client = client(RetryPolicy.none());
    IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IOException.class, () -> {
      try (InputStream in = client.openBlob("team/app", BLOB_DESCRIPTOR)) {
        in.readAllBytes();
      }
    }));
    HttpTimeoutException stall = assertInstanceOf(HttpTimeoutException.class, e);
    assertTrue(stall.getMessage().contains("reading the response to get blob " + BLOB_DESCRIPTOR.digest()),
        stall.getMessage());
  }

  @Test
  void aSlowBodyThatKeepsMovingIsReadWhole() throws Exception {
    // 24 pieces 100 ms apart: 2.4 s in all, more than twice the stall timeout, never 1 s silent.
    server = new ScriptedServer((request, in, out) -> {
      out.write(headers(BLOB.length));
      int piece = BLOB.length / 24;
      for (int off = 0; off < BLOB.length; off += piece) {
        out.write(BLOB, off, Math.min(piece, BLOB.length - off));
        out.flush();
        Thread.sleep(100);
      }
    });
    RegistryClient client = client(RetryPolicy.none());
    try (InputStream in = client.openBlob("team/app", BLOB_DESCRIPTOR)) {
      assertArrayEquals(BLOB, in.readAllBytes());
    }
  }

  @Test
  void aCallerThatPausesBetweenReadsIsNotAStall() throws Exception {
    server = new ScriptedServer((request, in, out) -> {
      out.write(headers(BLOB.length));
      out.write(BLOB);
      out.flush();
    });
    RegistryClient client = client(RetryPolicy.none());
    try (InputStream in = client.openBlob("team/app", BLOB_DESCRIPTOR)) {
      byte[] first = in.readNBytes(100);
      Thread.sleep(STALL.toMillis() * 3);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.write(first);
      all.write(in.readAllBytes());
      assertArrayEquals(BLOB, all.toByteArray());
    }
  }

  @Test
  void anUploadTheRegistryStopsReadingIsAStallAndStartedOver() {
    // The PUT's body is far larger than the socket buffers: the client blocks once they are full.
    long size = 256L << 20;
    server = new ScriptedServer((request, in, out) -> {
      if (request.startsWith("POST ")) {
        out.write(("HTTP/1.1 202 Accepted\r\nLocation: /v2/team/app/blobs/uploads/u1\r\n"
            + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } else {
        sleepLong();
      }
    });
    RegistryClient client = RegistryClient.builder(server.host())
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofSeconds(30)))
        .chunking(Long.MAX_VALUE, 1 << 20)
        .stallTimeout(STALL)
        .build();
    Descriptor big = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.parse("sha256:" + "0".repeat(64)), size);
    RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(RegistryException.class,
        () -> client.pushBlob("team/app", big, () -> new LargeBlobTest.PseudoRandomStream(size, 1))));
    assertTrue(e.getMessage().contains("no data for 1 s while upload blob"), e.getMessage());
    // POST and PUT, twice: the upload was started over once.
    assertEquals(4, server.requests.get());
  }

  @Test
  void aSlowUploadSourceIsNotAStall() throws Exception {
    server = new ScriptedServer((request, in, out) -> {
      if (request.startsWith("POST ")) {
        out.write(("HTTP/1.1 202 Accepted\r\nLocation: /v2/team/app/blobs/uploads/u1\r\n"
            + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      } else {
        assertArrayEquals(BLOB, in.readNBytes(BLOB.length));
        out.write(("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
    });
    RegistryClient client = client(RetryPolicy.none());
    client.pushBlob("team/app", BLOB_DESCRIPTOR, () -> new InputStream() {
      private final InputStream in = new java.io.ByteArrayInputStream(BLOB);
      private boolean paused;

      @Override
      public int read() throws IOException {
        return in.read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (!paused) {
          paused = true;
          sleep(STALL.toMillis() * 3);
        }
        return in.read(b, off, len);
      }
    });
    assertEquals(2, server.requests.get());
  }

  private RegistryClient client(RetryPolicy retry) {
    return RegistryClient.builder(server.host()).retryPolicy(retry).stallTimeout(STALL).build();
  }

  private static byte[] headers(long length) {
    return ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(7).nextBytes(b);
    return b;
  }

  private static void sleepLong() throws InterruptedException {
    Thread.sleep(60_000);
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException();
    }
  }

  /** An HTTP/1.1 peer that reads a request's head and then does what the test says, per connection. */
  private static final class ScriptedServer implements AutoCloseable {
    interface Script {
      void answer(String requestHead, InputStream in, OutputStream out) throws Exception;
    }

    final AtomicInteger requests = new AtomicInteger();
    private final ServerSocket socket;

    ScriptedServer(Script script) {
      try {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Thread acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket connection = socket.accept();
            Thread handler = new Thread(() -> serve(connection, script));
            handler.setDaemon(true);
            handler.start();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void serve(Socket connection, Script script) {
      try (connection) {
        InputStream in = connection.getInputStream();
        while (true) {
          String head = readHead(in);
          if (head == null) {
            return;
          }
          requests.incrementAndGet();
          script.answer(head, in, connection.getOutputStream());
          if (head.startsWith("PUT ")) {
            // A body the script did not read would be taken for the next request.
            return;
          }
        }
      } catch (Exception e) {
        // the client went away
      }
    }

    private static String readHead(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
          return head.toString();
        }
      }
      return null;
    }

    String host() {
      return "127.0.0.1:" + socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
