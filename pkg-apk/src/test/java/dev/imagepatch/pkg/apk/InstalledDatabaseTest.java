package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;

/** lib/apk/db/installed: every real database round-trips, and apk's file section is rebuilt from a real rootfs. */
class InstalledDatabaseTest {
  private static final String ROOTFS = "vectors/alpine/minirootfs/alpine-minirootfs-3.10.9-x86_64.tar.gz";

  private static List<Path> realDatabases() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(ApkTestData.path("vectors/alpine/installed"))) {
      s.sorted().forEach(out::add);
    }
    try (Stream<Path> s = Files.list(ApkTestData.path("vectors/wolfi/installed"))) {
      s.sorted().forEach(out::add);
    }
    out.add(ApkTestData.path("vectors/alpine/lib/apk/db/installed"));
    return out;
  }

  @Test
  void everyRealDatabaseIsWrittenBackByteForByte() throws IOException {
    List<Path> dbs = realDatabases();
    assertEquals(11, dbs.size());
    for (Path p : dbs) {
      byte[] bytes = Files.readAllBytes(p);
      InstalledDatabase db = InstalledDatabase.parse(new String(bytes, StandardCharsets.UTF_8), p.toString());
      assertTrue(db.packages().size() >= 10, p.toString());
      assertArrayEquals(bytes, db.write().getBytes(StandardCharsets.UTF_8), p.toString());
    }
  }

  @Test
  void theRecordsReadAsApkReadsThem() throws IOException {
    InstalledDatabase db = InstalledDatabase.parse(ApkTestData.text("vectors/alpine/installed/installed-3.10.9-x86_64"), "t");
    InstalledPackage musl = db.find("musl").orElseThrow();
    assertEquals("1.1.22-r4", musl.version());
    assertEquals(List.of("lib", "usr", "usr/lib"), musl.directories());
    assertEquals(new FileRecord("lib/libc.musl-x86_64.so.1", 0, 0, 0777, "Q17yJ3JFNypA4mxhJJr0ou6CzsJVI="),
        musl.files().get(0));
    assertEquals(new FileRecord("lib/ld-musl-x86_64.so.1", 0, 0, 0755, "Q1TTLtUopPeiF9JrA0cgKQZYggG+c="),
        musl.files().get(1));
    assertEquals("musl", musl.header().origin());
    assertEquals("5c22bb085e8e49c9cb402315efad998f7f992dff", musl.header().commit());
    InstalledPackage busybox = db.find("busybox").orElseThrow();
    assertEquals(new FileRecord("etc/securetty", 0, 0, 0644, "Q14VDshgWFleuDbp4jqXk+UNES65Q="),
        busybox.files().stream().filter(f -> f.path().equals("etc/securetty")).findFirst().orElseThrow());
  }

  @Test
  void replaceRemovesTheOldRecordAndAppendsTheNewAsApkDoes() throws IOException {
    InstalledDatabase old = InstalledDatabase.parse(ApkTestData.text("vectors/alpine/installed/installed-3.10.3-x86_64"), "old");
    InstalledDatabase fresh = InstalledDatabase.parse(ApkTestData.text("vectors/alpine/installed/installed-3.10.9-x86_64"), "new");
    List<String> upgraded = List.of("musl", "libcrypto1.1");
    InstalledDatabase db = old.replace(
        upgraded.stream().map(n -> old.find(n).orElseThrow()).toList(),
        upgraded.stream().map(n -> fresh.find(n).orElseThrow()).toList());
    List<String> names = db.packages().stream().map(InstalledPackage::name).toList();
    assertEquals(old.packages().size(), names.size());
    assertEquals(upgraded, names.subList(names.size() - 2, names.size()));
    assertEquals("1.1.1k-r0", db.find("libcrypto1.1").orElseThrow().version());
    String text = db.write();
    assertTrue(text.endsWith(fresh.find("libcrypto1.1").orElseThrow().text() + "\n"));
    assertEquals(db.write(), InstalledDatabase.parse(text, "again").write());
    assertThrows(IllegalArgumentException.class, () -> old.replace(List.of(), List.of(fresh.find("musl").orElseThrow())));
  }

  @Test
  void aBrokenRecordIsRefusedNamingTheLine() {
    String c = "C:Q1uSiixZfL+2SqiMKMdacETkCYgZE=\nP:x\nV:1\n";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InstalledDatabase.parse(c + "R:file\n\n", "installed"));
    assertTrue(e.getMessage().contains("installed line 1: R:file before any F:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InstalledDatabase.parse(c + "F:etc\nR:a\na:0:0:9x\n\n", "db"));
    assertTrue(e.getMessage().contains("not uid:gid:mode"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InstalledDatabase.parse(c + "nonsense\n\n", "db"));
    assertTrue(e.getMessage().contains("db line 4: not 'K:value'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InstalledDatabase.parse(c + "\n" + c + "\n", "db"));
    assertTrue(e.getMessage().contains("installed twice"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InstalledDatabase.parse(c + "F:etc\nR:../x\n\n", "db"));
    assertTrue(e.getMessage().contains("not a file name"), e.getMessage());
  }

  /** One entry of the rootfs tar. */
  private record RootEntry(ApkEntry.Type type, int mode, long uid, long gid, String link, String sha1) {}

  private static String norm(String name) {
    String n = name.startsWith("./") ? name.substring(2) : name;
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n;
  }

  @Test
  void installedRebuildsTheFileSectionOfEveryPackageOfTheReal3109Rootfs() throws IOException, NoSuchAlgorithmException {
    Map<String, RootEntry> root = new HashMap<>();
    String installedText = null;
    try (InputStream in = Files.newInputStream(ApkTestData.path(ROOTFS));
         TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String path = norm(e.getName());
        ApkEntry.Type type;
        String sha1 = null;
        if (e.isDirectory()) {
          type = ApkEntry.Type.DIRECTORY;
        } else if (e.isSymbolicLink()) {
          type = ApkEntry.Type.SYMLINK;
        } else if (e.isLink()) {
          type = ApkEntry.Type.FILE;
          sha1 = root.get(norm(e.getLinkName())).sha1();
        } else {
          type = ApkEntry.Type.FILE;
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          tar.transferTo(b);
          sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b.toByteArray()));
          if (path.equals("lib/apk/db/installed")) {
            installedText = b.toString(StandardCharsets.UTF_8);
          }
        }
        // The rootfs tar has no APK-TOOLS.checksum.SHA1 records: a symlink's checksum is left for
        // installed() to compute from its target, as a package's PAX record would give it.
        root.put(path, new RootEntry(type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
            e.isSymbolicLink() ? e.getLinkName() : null, sha1));
      }
    }
    InstalledDatabase db = InstalledDatabase.parse(installedText, ROOTFS);
    assertEquals(14, db.packages().size());
    int files = 0;
    int missingDev = 0;
    int changedAfterInstall = 0;
    for (InstalledPackage real : db.packages()) {
      List<ApkEntry> entries = new ArrayList<>();
      String dir = null;
      for (ApkRecord.Field f : real.lines()) {
        String path;
        if (f.key() == 'F') {
          dir = f.value();
          path = dir;
        } else if (f.key() == 'R') {
          path = dir.isEmpty() ? f.value() : dir + "/" + f.value();
          files++;
        } else {
          continue;
        }
        RootEntry r = root.get(path);
        if (r == null && f.key() == 'F' && path.startsWith("dev/")) {
          // The minirootfs tar leaves out what is under /dev: its directory entry as the package has it.
          r = new RootEntry(ApkEntry.Type.DIRECTORY, 0755, 0, 0, null, null);
          missingDev++;
        }
        assertTrue(r != null, real.name() + ": " + path + " is not in the rootfs");
        // Two things the minirootfs build changed after apk installed them: /etc/shadow's content
        // (root's password field) and /proc's mode (0555). Their entries are as the package had them.
        if (path.equals("etc/shadow")) {
          String z = real.files().stream().filter(x -> x.path().equals("etc/shadow")).findFirst().orElseThrow().checksum();
          assertTrue(!z.equals(InstalledPackage.q1(HexFormat.of().parseHex(r.sha1()))));
          r = new RootEntry(r.type(), r.mode(), r.uid(), r.gid(), null,
              HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(z.substring(2))));
          changedAfterInstall++;
        } else if (path.equals("proc")) {
          assertEquals(0555, r.mode());
          r = new RootEntry(r.type(), 0755, r.uid(), r.gid(), null, null);
          changedAfterInstall++;
        }
        entries.add(new ApkEntry(path, r.type(), r.mode(), r.uid(), r.gid(), 0, 0, r.link(), r.sha1(), Map.of()));
      }
      InstalledPackage built = InstalledPackage.installed(real.header(), entries, null);
      assertEquals(real.fileSection(), built.fileSection(), real.name());
      assertEquals(real.text(), built.text(), real.name());
    }
    assertEquals(78, files);
    assertEquals(2, changedAfterInstall);
    assertEquals(2, missingDev);
  }

  @Test
  void installedAddsTheRepositoryTagAndReplacesFromPkgInfoAndRefusesImpliedDirectories() {
    ApkRecord index = ApkRecord.parseIndex("C:Q1uSiixZfL+2SqiMKMdacETkCYgZE=\nP:x\nV:1-r0\nA:x86_64\nS:1\nI:2\nT:t\nU:u\nL:MIT\n"
        + "Z:unknown-index-field\nD:so:libc.musl-x86_64.so.1\n", "t").get(0);
    PkgInfo info = PkgInfo.parse("pkgname = x\nreplaces = old\nreplaces_priority = 5\n", "t");
    List<ApkEntry> entries = List.of(
        new ApkEntry("etc", ApkEntry.Type.DIRECTORY, 0755, 0, 0, 0, 0, null, null, Map.of()),
        new ApkEntry("etc/x.conf", ApkEntry.Type.FILE, 0600, 0, 42, 0, 3, null, "0123456789abcdef0123456789abcdef01234567",
            Map.of()),
        new ApkEntry("etc/.keep_x", ApkEntry.Type.FILE, 0644, 0, 0, 0, 0, null, null, Map.of()),
        new ApkEntry("var", ApkEntry.Type.DIRECTORY, 0700, 0, 0, 0, 0, null, null, Map.of()),
        new ApkEntry("etc/y", ApkEntry.Type.HARDLINK, 0600, 0, 42, 0, 0, "etc/x.conf", null, Map.of()));
    InstalledPackage p = InstalledPackage.installed(index, info, entries, "edge");
    assertEquals("C:Q1uSiixZfL+2SqiMKMdacETkCYgZE=\nP:x\nV:1-r0\nA:x86_64\nS:1\nI:2\nT:t\nU:u\nL:MIT\n"
        + "D:so:libc.musl-x86_64.so.1\nr:old\nq:5\ns:edge\nF:etc\nR:x.conf\na:0:42:600\nZ:Q1ASNFZ4mrze8BI0VniavN7wEjRWc=\n"
        + "R:y\na:0:42:600\nZ:Q1ASNFZ4mrze8BI0VniavN7wEjRWc=\nF:var\nM:0:0:700\n", p.text());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InstalledPackage.installed(index,
        List.of(new ApkEntry("usr/bin/x", ApkEntry.Type.FILE, 0755, 0, 0, 0, 0, null, null, Map.of())), null));
    assertTrue(e.getMessage().contains("no directory entry for usr/bin"), e.getMessage());
  }
}
