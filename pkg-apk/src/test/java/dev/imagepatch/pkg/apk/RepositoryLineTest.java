package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** /etc/apk/repositories as apk_db_add_repository reads it. */
class RepositoryLineTest {
  @Test
  void theRealMinirootfsFiles() throws IOException {
    for (String v : List.of("3.10.9", "3.20.3")) {
      String rootfs = "vectors/alpine/minirootfs/alpine-minirootfs-" + v + "-x86_64.tar.gz";
      String text = ApkTestData.member(ApkTestData.path(rootfs), "./etc/apk/repositories");
      List<RepositoryLine> repos = RepositoryLine.parse(text, rootfs);
      String minor = v.substring(0, v.lastIndexOf('.'));
      assertEquals(2, repos.size(), text);
      assertTrue(repos.get(0).url().endsWith("/v" + minor + "/main"), repos.toString());
      assertTrue(repos.get(1).url().endsWith("/v" + minor + "/community"), repos.toString());
      assertEquals(null, repos.get(0).tag());
      assertEquals(Optional.empty(), repos.get(0).localPath());
    }
  }

  @Test
  void pinsCommentsBlankLinesAndLocalPaths() {
    String text = "# main first\n\nhttps://archive.example/alpine/v3.10/main\n"
        + "@edge https://archive.example/alpine/edge/main\r\n"
        + "@testing\thttps://archive.example/alpine/edge/testing  \n"
        + "@local:/srv/apks\n"
        + "/media/cdrom/apks\n"
        + "file:///var/cache/repo\n";
    List<RepositoryLine> r = RepositoryLine.parse(text, "repositories");
    assertEquals(List.of(
        new RepositoryLine("https://archive.example/alpine/v3.10/main", null),
        new RepositoryLine("https://archive.example/alpine/edge/main", "edge"),
        new RepositoryLine("https://archive.example/alpine/edge/testing", "testing"),
        new RepositoryLine("/srv/apks", "local"),
        new RepositoryLine("/media/cdrom/apks", null),
        new RepositoryLine("file:///var/cache/repo", null)), r);
    assertEquals(Optional.of("/srv/apks"), r.get(3).localPath());
    assertEquals(Optional.of("/var/cache/repo"), r.get(5).localPath());
    assertEquals("@edge https://archive.example/alpine/edge/main", r.get(1).toString());
    assertEquals(r, RepositoryLine.parse(String.join("\n", r.stream().map(RepositoryLine::toString).toList()), "again"));
  }

  @Test
  void whatApkCouldNotUseIsRefusedNamingTheLine() {
    for (String bad : List.of("@edge\n", "@ https://archive.example/x\n", "  https://archive.example/x\n",
        "https://archive.example/\u0001x\n")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RepositoryLine.parse("# ok\n" + bad, "etc/apk/repositories"), bad);
      assertTrue(e.getMessage().startsWith("etc/apk/repositories line 2: "), e.getMessage());
    }
  }
}
