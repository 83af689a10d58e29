package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Checksums and sizes of metadata files verified against repomd while they stream. */
class MetadataFileTest {
  @Test
  void aFlippedByteInPrimaryIsRefusedNamingTheFile() throws IOException {
    Repomd repomd = Vectors.repomd(Vectors.BASEOS);
    Repomd.Data primary = repomd.require("primary", "baseos");
    byte[] bytes = Files.readAllBytes(Vectors.file(Vectors.BASEOS, primary));
    for (int at : new int[] {bytes.length / 2, bytes.length - 3}) {
      byte[] flipped = bytes.clone();
      flipped[at] ^= 0x10;
      IOException e = assertThrows(IOException.class, () -> PrimaryReader.read(primary,
          new ByteArrayInputStream(flipped), primary.location(), r -> { }));
      assertTrue(e.getMessage().contains(primary.location()), e.getMessage());
      assertTrue(e.getMessage().contains("checksum does not match"), e.getMessage());
    }
  }

  @Test
  void aRepomdWhoseOpenChecksumDiffersIsRefused() throws IOException {
    // A valid gzip whose content is not what repomd says: a changed repomd entry for the same file.
    Repomd repomd = Vectors.repomd(Vectors.BASEOS);
    Repomd.Data primary = repomd.require("primary", "baseos");
    Repomd.Data lying = new Repomd.Data(primary.type(), primary.location(), null, primary.checksum(),
        new Checksum("sha256", "00".repeat(32)), primary.size(), primary.openSize(), -1, -1);
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.BASEOS, primary))) {
      IOException e = assertThrows(IOException.class, () -> PrimaryReader.read(lying, in, "primary.xml.gz", r -> { }));
      assertTrue(e.getMessage().contains("open-checksum"), e.getMessage());
    }
    Repomd.Data smaller = new Repomd.Data(primary.type(), primary.location(), null, primary.checksum(),
        primary.openChecksum(), primary.size(), 1 << 20, -1, -1);
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.BASEOS, primary))) {
      IOException e = assertThrows(IOException.class,
          () -> PrimaryReader.read(smaller, in, "primary.xml.gz", r -> { }));
      assertTrue(e.getMessage().contains("more than the 1048576 bytes"), e.getMessage());
    }
  }

  @Test
  void theAppStreamFilelistsStubIsRefusedByItsOpenChecksum() throws IOException {
    // Cut upstream: its stored checksum matches repomd, its content does not.
    Repomd repomd = Vectors.repomd(Vectors.APPSTREAM);
    Repomd.Data filelists = repomd.require("filelists", "appstream");
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.APPSTREAM, filelists))) {
      IOException e = assertThrows(IOException.class,
          () -> FilelistsReader.read(filelists, in, filelists.location(), r -> { }));
      assertTrue(e.getMessage().contains(filelists.location()), e.getMessage());
    }
  }

  @Test
  void baseOsFilelistsStreamWithEveryPrimaryPackage() throws IOException {
    Repomd repomd = Vectors.repomd(Vectors.BASEOS);
    Set<String> primaryIds = new HashSet<>();
    Repomd.Data primary = repomd.require("primary", "baseos");
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.BASEOS, primary))) {
      PrimaryReader.read(primary, in, "primary", r -> primaryIds.add(r.pkgid()));
    }
    Repomd.Data filelists = repomd.require("filelists", "baseos");
    Set<String> ids = new HashSet<>();
    long[] files = new long[1];
    List<RpmFile>[] bash = new List[1];
    PrimaryReader.Result result;
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.BASEOS, filelists))) {
      result = FilelistsReader.read(filelists, in, filelists.location(), e -> {
        ids.add(e.pkgid());
        files[0] += e.files().size();
        if (e.name().equals("bash")) {
          bash[0] = e.files();
        }
      });
    }
    assertEquals(1125, result.read());
    assertEquals(1125, result.declared());
    assertEquals(primaryIds, ids);
    assertTrue(bash[0].contains(new RpmFile("/usr/share/doc/bash/FAQ", "file")), bash[0].toString());
    assertTrue(files[0] > 90_000, Long.toString(files[0]));
  }

  @Test
  void aSmallCreaterepoRepositoryReadsEveryFile() throws IOException {
    Path repo = Vectors.dir("vectors/rpm/repo_02");
    Repomd repomd = Repomd.parse(Files.readAllBytes(repo.resolve("repodata/repomd.xml")), "repo_02");
    Repomd.Data primary = repomd.require("primary", "repo_02");
    List<String> names = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(repo.resolve(primary.location()))) {
      PrimaryReader.read(primary, in, "repo_02 primary", r -> names.add(r.nvra()));
    }
    assertEquals(List.of("fake_bash-1.1.1-1.x86_64", "super_kernel-6.0.1-2.x86_64"), names.stream().sorted().toList());
    Repomd.Data filelists = repomd.require("filelists", "repo_02");
    List<String> paths = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(repo.resolve(filelists.location()))) {
      FilelistsReader.read(filelists, in, "repo_02 filelists", e -> e.files().forEach(f -> paths.add(f.path())));
    }
    assertTrue(!paths.isEmpty());
  }
}
