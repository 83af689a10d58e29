package dev.imagepatch.patch.testing;

import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpmdb.ContainerManifest;
import dev.imagepatch.pkg.rpmdb.RpmDatabase;
import dev.imagepatch.pkg.rpmdb.bdb.BdbWriter;
import dev.imagepatch.pkg.rpmdb.bdb.RpmBdb;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * rpm images written to an OCI layout: the packages installed by the real {@code rpm --root
 * R -i --nodeps --noscripts} into a tree (files, owners and modes as rpm leaves them, its SQLite
 * database at {@code var/lib/rpm}), optionally converted to Berkeley DB (the headers written by
 * {@link RpmBdb}, as RHEL 8 carries them) or replaced by Azure Linux's {@code container-manifest-2}
 * (a distroless image), with {@code /etc/os-release}, {@code /etc/yum.repos.d/fixture.repo} and
 * the repository's key under {@code /etc/pki/rpm-gpg}, then packed as one layer.
 */
public final class FixtureRpmImages {
  private FixtureRpmImages() {}

  /** The database kinds an image may carry. */
  public enum Db { SQLITE, BDB, MANIFEST_ONLY }

  public static Spec rocky(FixtureRpmRepository repo, String repoPath, RpmSpec... installed) {
    return new Spec(repo, repoPath, List.of(installed));
  }

  /** What goes into one image; change the defaults before {@link #write}. */
  public static final class Spec {
    private final FixtureRpmRepository repo;
    private final String repoPath;
    private final List<RpmSpec> installed;
    private Db db = Db.SQLITE;
    private String osRelease = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n"
        + "PRETTY_NAME=\"Rocky Linux 9.4 (Blue Onyx)\"\n";
    private String repoFile;
    private final Map<String, byte[]> extra = new TreeMap<>();
    private final List<String> removed = new ArrayList<>();
    private Path keepRoot;

    private Spec(FixtureRpmRepository repo, String repoPath, List<RpmSpec> installed) {
      this.repo = repo;
      this.repoPath = repoPath;
      this.installed = installed;
    }

    public Spec db(Db kind) {
      this.db = kind;
      return this;
    }

    public Spec osRelease(String text) {
      this.osRelease = text;
      return this;
    }

    /** {@code /etc/yum.repos.d/fixture.repo}; by default one repository, gpgcheck=1, repo_gpgcheck=1. */
    public Spec repoFile(String text) {
      this.repoFile = text;
      return this;
    }

    /** The default repository file for {@code repoPath}. */
    public String defaultRepoFile() {
      return "[fixture]\nname=Fixture $releasever - $basearch\nbaseurl=" + repo.url(repoPath) + "\nenabled=1\n"
          + "gpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fixture\n";
    }

    /** A file written over what rpm installed (a config file the image changed, ...). */
    public Spec file(String path, String content) {
      extra.put(path, content.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** A path left out of the image (with what is under it). */
    public Spec without(String path) {
      removed.add(path);
      return this;
    }

    /** The image's tree is made in {@code dir} (new) and left there, for a judge to run over. */
    public Spec keepRoot(Path dir) {
      this.keepRoot = dir;
      return this;
    }

    /** Writes the image and tags it; returns its descriptor. */
    public Descriptor write(OciLayout layout, String tag) throws IOException {
      Path root = keepRoot != null ? Files.createDirectories(keepRoot) : Files.createTempDirectory("fixture-rpm-root-");
      try {
        install(root);
        LayerBuilder layer = tree(root);
        return FixtureImages.image(layout, tag, "amd64", layer);
      } finally {
        if (keepRoot == null) {
          delete(root);
        }
      }
    }

    private void install(Path root) throws IOException {
      List<String> cmd = new ArrayList<>(List.of("rpm", "--root", root.toString(), "--dbpath", "/var/lib/rpm",
          "--define", "_db_backend sqlite", "-i", "--nodeps", "--noscripts", "--notriggers", "--nosignature"));
      for (RpmSpec p : installed) {
        cmd.add(repo.build(p).toString());
      }
      FixtureRpmRepository.run(cmd, null);
      Path dbDir = root.resolve("var/lib/rpm");
      if (db != Db.SQLITE) {
        SortedMap<Integer, Header> headers = new TreeMap<>();
        long counter = 0;
        try (RpmDatabase sqlite = RpmDatabase.open(dbDir, RpmDatabase.Format.SQLITE)) {
          for (RpmDatabase.Installed i : sqlite.packages()) {
            headers.put((int) i.hnum(), i.header());
            counter = Math.max(counter, i.hnum());
          }
        }
        delete(dbDir);
        if (db == Db.BDB) {
          Files.createDirectories(dbDir);
          SortedMap<Integer, byte[]> blobs = new TreeMap<>();
          headers.forEach((n, h) -> blobs.put(n, h.blob()));
          RpmBdb.write(dbDir, blobs, RpmBdb.indexes(headers), counter,
              new BdbWriter(ByteOrder.LITTLE_ENDIAN, BdbWriter.DEFAULT_PAGE_SIZE));
        } else {
          ContainerManifest m = ContainerManifest.empty();
          for (Header h : headers.values()) {
            m = m.upsert(ContainerManifest.line(h, ContainerManifest.EpochColumn.LITERAL_NONE));
          }
          Path manifest = root.resolve(ContainerManifest.MANIFEST_2);
          Files.createDirectories(manifest.getParent());
          Files.write(manifest, m.write2());
          Files.write(root.resolve(ContainerManifest.MANIFEST_1), m.write1());
        }
      }
      Map<String, byte[]> files = new LinkedHashMap<>();
      files.put("etc/os-release", osRelease.getBytes(StandardCharsets.UTF_8));
      files.put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\n"
          .getBytes(StandardCharsets.UTF_8));
      files.put("etc/group", "root:x:0:\nbin:x:1:\n".getBytes(StandardCharsets.UTF_8));
      if (db != Db.MANIFEST_ONLY) {
        files.put("etc/yum.repos.d/fixture.repo", (repoFile != null ? repoFile : defaultRepoFile())
            .getBytes(StandardCharsets.UTF_8));
        files.put("etc/pki/rpm-gpg/RPM-GPG-KEY-fixture", repo.publicKey());
      }
      files.putAll(extra);
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path p = root.resolve(f.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, f.getValue());
      }
      for (String r : removed) {
        delete(root.resolve(r));
      }
    }
  }

  /** Every entry of {@code root} in a layer: directories, files, symlinks, with their modes and owners. */
  static LayerBuilder tree(Path root) throws IOException {
    LayerBuilder layer = new LayerBuilder();
    long t = FixtureImages.CREATED;
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        if (p.equals(root)) {
          continue;
        }
        String path = root.relativize(p).toString();
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int mode = mode(a);
        if (a.isSymbolicLink()) {
          layer.symlink(path, Files.readSymbolicLink(p).toString(), 0, 0, t);
        } else if (a.isDirectory()) {
          layer.directory(path, mode, 0, 0, t);
        } else {
          byte[] content = Files.readAllBytes(p);
          layer.file(path, mode, 0, 0, t, content.length, () -> new java.io.ByteArrayInputStream(content));
        }
      }
    }
    return layer;
  }

  private static int mode(PosixFileAttributes a) {
    int m = 0;
    for (PosixFilePermission p : a.permissions()) {
      m |= switch (p) {
        case OWNER_READ -> 0400;
        case OWNER_WRITE -> 0200;
        case OWNER_EXECUTE -> 0100;
        case GROUP_READ -> 040;
        case GROUP_WRITE -> 020;
        case GROUP_EXECUTE -> 010;
        case OTHERS_READ -> 04;
        case OTHERS_WRITE -> 02;
        case OTHERS_EXECUTE -> 01;
      };
    }
    return m;
  }

  static void delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
