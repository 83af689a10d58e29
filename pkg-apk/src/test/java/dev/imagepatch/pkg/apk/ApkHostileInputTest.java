package dev.imagepatch.pkg.apk;

import static dev.imagepatch.pkg.apk.ApkFixtures.Entry;
import static dev.imagepatch.pkg.apk.ApkFixtures.concat;
import static dev.imagepatch.pkg.apk.ApkFixtures.gzip;
import static dev.imagepatch.pkg.apk.ApkFixtures.signatureMember;
import static dev.imagepatch.pkg.apk.ApkFixtures.tar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile text and repositories: database paths leaving the root, a triggers line of spaces,
 * repository lines that are no URL or another scheme, package names that would read as URLs of
 * their own, and a server answering more bytes than the index says the package has. Each is an
 * exception with a message of the kind the caller maps (IllegalArgumentException for text,
 * IOException for fetches), nothing else.
 */
class ApkHostileInputTest {
  private static final String SUM = "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  @TempDir
  Path cache;

  private HttpServer server;
  private final List<String> requested = new CopyOnWriteArrayList<>();

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/repo";
  }

  /** Serves a signed index of {@code stanzas} and, for every other path, {@code packageBytes} bytes (streamed). */
  private void repository(String stanzas, long packageBytes) {
    byte[] indexMember = gzip(tar(false, List.of(new Entry("APKINDEX", stanzas.getBytes(StandardCharsets.UTF_8)))));
    byte[] index = concat(signatureMember(indexMember), indexMember);
    server.createContext("/", exchange -> {
      requested.add(exchange.getRequestURI().getRawPath());
      if (exchange.getRequestURI().getPath().endsWith("/APKINDEX.tar.gz")) {
        exchange.sendResponseHeaders(200, index.length);
        exchange.getResponseBody().write(index);
      } else {
        exchange.sendResponseHeaders(200, 0); // chunked: no length announced
        try (OutputStream out = exchange.getResponseBody()) {
          byte[] chunk = new byte[1 << 16];
          for (long sent = 0; sent < packageBytes; sent += chunk.length) {
            out.write(chunk);
          }
        } catch (IOException closedByClient) {
          // the client stops reading at its bound
        }
      }
      exchange.close();
    });
  }

  @Test
  void aPackageLargerThanItsIndexSizeIsCutOffThere() throws Exception {
    repository("C:" + SUM + "\nP:big\nV:1.0-r0\nA:x86_64\nS:1000\nI:1000\n\n", 64L << 20);
    ApkRepository repo = ApkRepository.open(new RepositoryLine(base(), null), "x86_64", ApkFixtures.testKeys(),
        false, cache, HttpClient.newHttpClient());
    IOException e = assertThrows(IOException.class, () -> repo.fetch(repo.records().get(0)));
    assertTrue(e.getMessage().contains("larger than 1000 bytes (its size in the index)"), e.getMessage());
    try (Stream<Path> files = Files.walk(cache)) {
      assertEquals(List.of(), files.filter(p -> p.toString().contains("packages") && Files.isRegularFile(p)).toList(),
          "nothing of it kept");
    }
  }

  @Test
  void aPackageNameThatLooksLikeAUrlIsFetchedFromTheRepository() throws Exception {
    repository("C:" + SUM + "\nP:http:evil#x?y\nV:1.0-r0\nA:x86_64\nS:10\nI:10\n\n", 100);
    ApkRepository repo = ApkRepository.open(new RepositoryLine(base(), null), "x86_64", ApkFixtures.testKeys(),
        false, cache, HttpClient.newHttpClient());
    assertThrows(IOException.class, () -> repo.fetch(repo.records().get(0)));
    assertEquals("/repo/x86_64/http:evil%23x%3Fy-1.0-r0.apk", requested.get(requested.size() - 1));
  }

  @Test
  void aRepositoryThatIsNoFetchableUrlIsAnIOException() {
    for (String url : List.of("archive.example/alpine/main", "ftp://ftp.example.org/alpine", "https://a b/c",
        "http:opaque", "https:///no-host", "file://host/share", "file:///x?y", "gopher://x/y", "%zz")) {
      IOException e = assertThrows(IOException.class, () -> ApkRepository.open(new RepositoryLine(url, null),
          "x86_64", ApkKeys.none(), true, cache, HttpClient.newHttpClient()), url);
      assertTrue(e.getMessage().contains("repository"), e.getMessage());
    }
    for (String arch : List.of("..", "x86_64/../..", "")) {
      assertThrows(IOException.class, () -> ApkRepository.indexUri("https://example.org/alpine", arch), arch);
    }
  }

  @Test
  void fileReferencesStayInTheRepository() throws Exception {
    URI index = ApkRepository.indexUri("https://example.org/alpine/main", "x86_64");
    assertEquals("https://example.org/alpine/main/x86_64/libstdc++-13.2.1_git20231014-r0.apk",
        index.resolve(ApkRepository.fileReference("libstdc++-13.2.1_git20231014-r0.apk")).toString());
    assertEquals("https://example.org/alpine/main/x86_64/file:%2F%2F..-1.apk",
        index.resolve(ApkRepository.fileReference("file://..-1.apk")).toString());
  }

  @Test
  void remoteIsHttpOrHttpsOnly() {
    assertTrue(new RepositoryLine("https://archive.example/alpine/v3.20/main", null).isRemote());
    assertTrue(new RepositoryLine("HTTP://example.org/x", "edge").isRemote());
    for (String local : List.of("/media/cdrom/apks", "file:///etc", "ftp://x/y", "http://", "relative/path")) {
      assertFalse(new RepositoryLine(local, null).isRemote(), local);
    }
  }

  @Test
  void databasePathsLeavingTheRootAreRefused() {
    String head = "C:" + SUM + "\nP:evil\nV:1.0-r0\n";
    for (String files : List.of("F:../../etc\nR:passwd\n", "F:a/../../b\n", "F:..\n", "F:usr\nR:..\n", "F:usr\nR:.\n",
        "F:us\rr\nR:x\n", "F:usr\nR:x\ry\n")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> InstalledDatabase.parse(head + files + "\n", "/lib/apk/db/installed"), files);
      assertTrue(e.getMessage().startsWith("/lib/apk/db/installed line 1: "), e.getMessage());
    }
    // what real databases hold still reads
    InstalledDatabase.parse(head + "F:\nR:.dotfile\nF:usr/lib/..x\nR:...\n\n", "/lib/apk/db/installed");
  }

  @Test
  void aTriggersLineOfSpacesIsRefusedWithItsLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TriggersFile.parse(" \n", "/lib/apk/db/triggers"));
    assertTrue(e.getMessage().startsWith("/lib/apk/db/triggers line 1: "), e.getMessage());
  }
}
