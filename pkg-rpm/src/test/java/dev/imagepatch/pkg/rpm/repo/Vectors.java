package dev.imagepatch.pkg.rpm.repo;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real repository metadata in the shared vectors, read in place. */
final class Vectors {
  static final String REPODATA = "vectors/rpm/repodata/";
  static final String BASEOS = REPODATA + "centos-stream-9-baseos-x86_64-20220207";
  static final String APPSTREAM = REPODATA + "centos-stream-9-appstream-x86_64-20250113";
  static final String MOCACINNO = REPODATA + "third-party-signed-mocacinno-noarch";

  private Vectors() {}

  static Path dir(String relative) {
    return SharedData.path(relative);
  }

  static Repomd repomd(String repo) throws IOException {
    return Repomd.parse(Files.readAllBytes(dir(repo).resolve("repodata/repomd.xml")), repo + "/repodata/repomd.xml");
  }

  /** The file of a repomd entry, in place. */
  static Path file(String repo, Repomd.Data data) {
    return dir(repo).resolve(data.location());
  }

  /** The one file of the directory whose name ends so. */
  static Path only(Path dir, String suffix) {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + suffix)) {
      Path found = null;
      for (Path p : s) {
        found = p;
      }
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
