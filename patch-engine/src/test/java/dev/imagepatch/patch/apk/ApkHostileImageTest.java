package dev.imagepatch.patch.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.pkg.apk.ApkKeys;
import dev.imagepatch.pkg.apk.RepositoryLine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * What a hostile apk image's own files may make imagepatch do: its {@code /etc/apk/repositories}
 * must not make it read the host's filesystem, a key under a subdirectory of {@code /etc/apk/keys}
 * is no key, and a database path leaving the root is a clean refusal naming the file.
 */
class ApkHostileImageTest {
  /** An image of the given files (path without the leading '/', UTF-8 text). */
  private static MergedFilesystem image(Map<String, String> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> f : files.entrySet()) {
        byte[] b = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
      }
    }
    byte[] layer = bytes.toByteArray();
    return MergedFilesystem.read(List.of(() -> new ByteArrayInputStream(layer)), p -> true, p -> false);
  }

  @Test
  void localRepositoriesOfTheImageArePassedOverNotReadFromTheHost() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/apk/repositories", """
        file:///etc
        /root/.ssh
        @local /home/user/repo
        ftp://ftp.example.org/alpine/main
        https://archive.example/alpine/v3.20/main
        """, "etc/apk/repositories.d/evil.list", "file:///proc/self/\n"));
    List<String> skipped = new ArrayList<>();
    List<RepositoryLine> lines = ApkBackend.repositories(fs, RepositoryOptions.none(), skipped::add);
    assertEquals(List.of("https://archive.example/alpine/v3.20/main"),
        lines.stream().map(RepositoryLine::url).toList());
    assertEquals(5, skipped.size(), skipped.toString());
    assertTrue(skipped.get(0).contains("/etc/apk/repositories: file:///etc passed over"), skipped.get(0));
    assertTrue(skipped.get(4).contains("/etc/apk/repositories.d/evil.list"), skipped.get(4));
  }

  @Test
  void anImageWithOnlyLocalRepositoriesIsRefusedSayingSo() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/apk/repositories", "/media/cdrom/apks\n"));
    PatchException e = assertThrows(PatchException.class,
        () -> ApkBackend.repositories(fs, RepositoryOptions.none(), s -> { }));
    assertTrue(e.getMessage().contains("all local (/media/cdrom/apks)"), e.getMessage());
    assertTrue(e.getMessage().contains("--extra-repository"), e.getMessage());
  }

  @Test
  void theUsersOwnRepositoriesMayBeLocal() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/apk/repositories", "/media/cdrom/apks\n"));
    RepositoryOptions req = RepositoryOptions.builder().extraRepository("/srv/apk/main")
        .mirror("/media/cdrom/apks", "file:///srv/mirror/cdrom").build();
    List<String> skipped = new ArrayList<>();
    assertEquals(List.of("file:///srv/mirror/cdrom", "/srv/apk/main"),
        ApkBackend.repositories(fs, req, skipped::add).stream().map(RepositoryLine::url).toList());
    assertEquals(List.of(), skipped);
  }

  @Test
  void aKeyUnderASubdirectoryOfEtcApkKeysIsNoKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
        g.generateKeyPair().getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    Map<String, String> files = new LinkedHashMap<>();
    files.put("etc/apk/keys/good.rsa.pub", pem);
    files.put("etc/apk/keys/sub/nested.rsa.pub", pem);
    ApkKeys keys = ApkBackend.keys(image(files), RepositoryOptions.none());
    assertEquals(List.of("good.rsa.pub"), List.copyOf(keys.names()));
  }

  @Test
  void aTriggerGlobJavaCannotReadMatchesNothing() {
    for (String glob : List.of("[", "/usr/{a,{b}}", "/x[!")) {
      assertEquals(null, ApkLayer.matcher(glob), glob);
    }
    assertTrue(ApkLayer.matcher("/usr/share/ca-certificates/*").matches(java.nio.file.Path.of(
        "/usr/share/ca-certificates/mozilla")));
  }

  @Test
  void aDatabasePathLeavingTheRootIsRefusedNamingTheFile() throws Exception {
    String record = "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:evil\nV:1.0-r0\n";
    for (String fileSection : List.of("F:../../etc\nR:passwd\n", "F:usr/../../x\n", "F:usr\nR:..\n",
        "F:usr\nR:x\ry\n")) {
      MergedFilesystem fs = image(Map.of("lib/apk/db/installed", record + fileSection + "\n"));
      PatchException e = assertThrows(PatchException.class,
          () -> ApkSession.database(fs, "lib/apk/db", "/lib/apk/db/installed"));
      assertTrue(e.getMessage().startsWith("/lib/apk/db/installed line 1: "), e.getMessage());
    }
  }
}
