package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.pkg.rpmdb.RpmIndexes.Index;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Round trip on the real SQLite databases, judged by rpm 4.18: one package upgraded to a newer
 * build and one new package added, written to a copy; rpm reads, queries, verifies and rebuilds
 * it, and the result equals, header for header and index row for index row, the database rpm
 * itself writes when it installs the same two packages.
 */
class SqliteRpmdbRoundTripTest {
  @TempDir
  Path temp;

  static final String PROBE_SPEC = """
      Name: imagepatch-probe
      Version: 1.0
      Release: 1
      Summary: probe
      License: MIT
      Group: Applications/Probe
      BuildArch: noarch
      Prefix: /usr
      Requires: bash
      Requires: (coreutils or busybox)
      Requires: (foo if bar else baz)
      Requires(pre): shadow-utils
      Requires(post): glibc
      Requires(preun): sed
      Provides: probe-cap = 1.0
      Conflicts: probe-old
      Obsoletes: probe-older < 1.0
      Recommends: less
      Suggests: (vim if nano)
      Conflicts: (probe-bad unless (probe-compat with probe-compat-libs))
      Supplements: (probe-x and probe-y)
      Enhances: probe-z
      %description
      probe
      %install
      mkdir -p %{buildroot}/usr/share/imagepatch-probe %{buildroot}/usr/bin
      echo hi > %{buildroot}/usr/share/imagepatch-probe/hello.txt
      echo c > %{buildroot}/usr/share/imagepatch-probe/probe.conf
      printf '#!/bin/sh\\n' > %{buildroot}/usr/bin/imagepatch-probe
      %pre
      true
      %post
      true
      %triggerin -- bash
      true
      %triggerun -- bash, sed
      true
      %filetriggerin -- /usr/lib
      true
      %transfiletriggerin -- /usr/share
      true
      %files
      %attr(0755,root,root) /usr/bin/imagepatch-probe
      /usr/share/imagepatch-probe
      %config(noreplace) /usr/share/imagepatch-probe/probe.conf
      %ghost /usr/share/imagepatch-probe/ghost
      """;

  static Path rpmbuild(Path top, String name, String spec, String target) throws Exception {
    Path specFile = Files.createDirectories(top).resolve(name + ".spec");
    Files.writeString(specFile, spec);
    List<String> cmd = new ArrayList<>(List.of("rpmbuild", "-bb", "--define", "_topdir " + top.toAbsolutePath(),
        "--define", "debug_package %{nil}", "--define", "_build_id_links none"));
    if (target != null) {
      cmd.addAll(List.of("--target", target));
    }
    cmd.add(specFile.toString());
    Judges.Result r = Judges.exec(cmd);
    assertEquals(0, r.exit(), r.err());
    try (var walk = Files.walk(top.resolve("RPMS"))) {
      return walk.filter(p -> p.getFileName().toString().startsWith(name + "-") && p.toString().endsWith(".rpm"))
          .findFirst().orElseThrow();
    }
  }

  static Header installed(Path rpm, Header judged) throws Exception {
    InstalledHeader.Install install = new InstalledHeader.Install(judged.number(Tags.INSTALLTIME).getAsLong(),
        judged.number(Tags.INSTALLTID).getAsLong(), (int) judged.number(Tags.INSTALLCOLOR).getAsLong());
    try (InputStream in = Files.newInputStream(rpm)) {
      return InstalledHeader.of(in, rpm.getFileName().toString(), install);
    }
  }

  static Map<Integer, byte[]> blobs(List<SqliteRpmdb.Package> packages) {
    Map<Integer, byte[]> out = new LinkedHashMap<>();
    for (SqliteRpmdb.Package p : packages) {
      out.put(p.hnum(), p.blob());
    }
    return out;
  }

  static List<String> qa(Path dir) throws Exception {
    List<String> out = new ArrayList<>(List.of(Judges.run("rpm", "--dbpath", dir.toAbsolutePath().toString(), "-qa",
        "--qf", "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n").split("\n")));
    Collections.sort(out);
    return out;
  }

  static List<String> sqlite(Path file, String... sql) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sqlite3", file.toAbsolutePath().toString()));
    cmd.addAll(List.of(sql));
    return List.of(Judges.run(cmd.toArray(new String[0])).split("\n"));
  }

  @ParameterizedTest
  @CsvSource({"cbl-mariner-2.0,curl", "amazonlinux2023-plain,curl-minimal"})
  void upgradeAndAddAsRpmDoes(String name, String upgraded) throws Exception {
    Judges.require("rpm");
    Judges.require("rpmbuild");
    Judges.require("sqlite3");
    Path original = SqliteRpmdbReadTest.db(name);
    List<SqliteRpmdb.Package> before = SqliteRpmdb.read(original);
    SqliteRpmdb.Package old = null;
    for (SqliteRpmdb.Package p : before) {
      if (p.header().string(Tags.NAME).orElse("").equals(upgraded)) {
        old = p;
      }
    }
    assertNotNull(old, upgraded);
    Header oldHeader = old.header();
    String newerSpec = "Name: " + upgraded + "\nVersion: " + oldHeader.string(Tags.VERSION).orElseThrow()
        + "\nRelease: " + oldHeader.string(Tags.RELEASE).orElseThrow() + ".1\nSummary: newer\nLicense: MIT\n"
        + "%description\nnewer build\n%install\nmkdir -p %{buildroot}/usr/share/" + upgraded + "-imagepatch\n"
        + "echo news > %{buildroot}/usr/share/" + upgraded + "-imagepatch/NEWS\n%files\n/usr/share/" + upgraded
        + "-imagepatch\n";
    Path newer = rpmbuild(temp.resolve("build"), upgraded, newerSpec, oldHeader.string(Tags.ARCH).orElseThrow());
    Path probe = rpmbuild(temp.resolve("build"), "imagepatch-probe", PROBE_SPEC, null);

    // rpm itself: upgrade, then install, into a copy
    Path judgeDir = Files.createDirectories(temp.resolve("judge"));
    Files.copy(original, judgeDir.resolve(SqliteRpmdb.FILE_NAME));
    judgeDir.resolve(SqliteRpmdb.FILE_NAME).toFile().setWritable(true);
    String jd = judgeDir.toAbsolutePath().toString();
    Judges.run("rpm", "--dbpath", jd, "--justdb", "--nodeps", "--noscripts", "--notriggers", "-U", newer.toString());
    Judges.run("rpm", "--dbpath", jd, "--justdb", "--nodeps", "--noscripts", "--notriggers", "-i", probe.toString());
    Map<Integer, byte[]> judged;
    Map<Index, List<String>> judgedRows = new LinkedHashMap<>();
    Header judgedNewer = null;
    Header judgedProbe = null;
    Path judgeCopy = temp.resolve("judge-read.sqlite");
    try (SqliteRpmdb j = SqliteRpmdb.openCopy(judgeDir.resolve(SqliteRpmdb.FILE_NAME), judgeCopy)) {
      List<SqliteRpmdb.Package> packages = j.packages();
      judged = blobs(packages);
      for (SqliteRpmdb.Package p : packages) {
        String n = p.header().string(Tags.NAME).orElse("");
        if (n.equals(upgraded)) {
          judgedNewer = p.header();
        } else if (n.equals("imagepatch-probe")) {
          judgedProbe = p.header();
        }
      }
      for (Index index : Index.values()) {
        judgedRows.put(index, SqliteRpmdbReadTest.sorted(j.indexRows(index)));
      }
    }
    assertNotNull(judgedNewer);
    assertNotNull(judgedProbe);

    // ours, on a copy, with the install times rpm used
    Path ourDir = Files.createDirectories(temp.resolve("ours"));
    Path ours = ourDir.resolve(SqliteRpmdb.FILE_NAME);
    int newerHnum;
    int probeHnum;
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(original, ours)) {
      newerHnum = db.upgrade(old.hnum(), installed(newer, judgedNewer));
      probeHnum = db.add(installed(probe, judgedProbe));
    }
    assertEquals(before.get(before.size() - 1).hnum() + 1, newerHnum);
    assertEquals(newerHnum + 1, probeHnum);
    assertFalse(Files.exists(ourDir.resolve("rpmdb.sqlite-wal")), "-wal left");
    assertFalse(Files.exists(ourDir.resolve("rpmdb.sqlite-shm")), "-shm left");
    assertEquals(List.of(SqliteRpmdb.FILE_NAME), Arrays.stream(ourDir.toFile().list()).toList());

    Map<Integer, byte[]> ourBlobs;
    Map<Index, List<String>> ourRows = new LinkedHashMap<>();
    Path ourCopy = temp.resolve("ours-read.sqlite");
    try (SqliteRpmdb db = SqliteRpmdb.openCopy(ours, ourCopy)) {
      ourBlobs = blobs(db.packages());
      for (Index index : Index.values()) {
        ourRows.put(index, SqliteRpmdbReadTest.sorted(db.indexRows(index)));
      }
    }
    // header for header what rpm wrote (the installed headers byte for byte, hnums as rpm assigns them)
    assertEquals(judged.keySet(), ourBlobs.keySet());
    for (Map.Entry<Integer, byte[]> e : judged.entrySet()) {
      assertArrayEquals(e.getValue(), ourBlobs.get(e.getKey()), name + " hnum " + e.getKey());
    }
    // unchanged packages keep byte-identical blobs
    for (SqliteRpmdb.Package p : before) {
      if (p.hnum() != old.hnum()) {
        assertArrayEquals(p.blob(), ourBlobs.get(p.hnum()), "hnum " + p.hnum());
      }
    }
    assertFalse(ourBlobs.containsKey(old.hnum()));
    // index rows as rpm writes them
    for (Index index : Index.values()) {
      assertEquals(judgedRows.get(index), ourRows.get(index), name + " " + index.table());
    }
    // schema and pragmas as rpm leaves them: the original's, plus sqlite_stat1 when PRAGMA optimize made it
    String schema = "SELECT type||' '||name||' '||sql FROM sqlite_master ORDER BY rowid";
    List<String> judgeSchema = sqlite(judgeDir.resolve(SqliteRpmdb.FILE_NAME), schema);
    assertEquals(judgeSchema, sqlite(ours, schema));
    List<String> originalSchema = new ArrayList<>(sqlite(original, schema));
    if (!originalSchema.contains("table sqlite_stat1 CREATE TABLE sqlite_stat1(tbl,idx,stat)")) {
      originalSchema.add("table sqlite_stat1 CREATE TABLE sqlite_stat1(tbl,idx,stat)");
    }
    assertEquals(originalSchema, judgeSchema);
    assertEquals(List.of("wal", "0"), sqlite(ours, "PRAGMA journal_mode", "PRAGMA user_version"));

    // rpm reads it
    List<String> expected = new ArrayList<>();
    for (SqliteRpmdb.Package p : before) {
      if (p.hnum() != old.hnum()) {
        expected.add(SqliteRpmdbReadTest.nevra(p.header()));
      }
    }
    expected.add(SqliteRpmdbReadTest.nevra(judgedNewer));
    expected.add(SqliteRpmdbReadTest.nevra(judgedProbe));
    Collections.sort(expected);
    Path readDir = Files.createDirectories(temp.resolve("rpm-reads"));
    Files.copy(ours, readDir.resolve(SqliteRpmdb.FILE_NAME));
    assertEquals(expected, qa(readDir));
    String rd = readDir.toAbsolutePath().toString();
    TreeSet<String> names = new TreeSet<>();
    for (String line : expected) {
      names.add(line.split("\t")[0]);
    }
    List<String> q = new ArrayList<>(List.of("rpm", "--dbpath", rd, "-q", "--qf", "%{NAME}\n"));
    q.addAll(names);
    Judges.Result found = Judges.exec(q);
    assertEquals(0, found.exit(), found.err());
    assertEquals(new ArrayList<>(names), new ArrayList<>(new TreeSet<>(List.of(found.out().split("\n")))));
    assertEquals("imagepatch-probe-1.0-1.noarch\n",
        Judges.run("rpm", "--dbpath", rd, "-qf", "/usr/share/imagepatch-probe/hello.txt"));
    assertEquals(upgraded + "\n", Judges.run("rpm", "--dbpath", rd, "-qf", "--qf", "%{NAME}\n",
        "/usr/share/" + upgraded + "-imagepatch/NEWS"));
    assertEquals("imagepatch-probe\n", Judges.run("rpm", "--dbpath", rd, "-q", "--whatprovides", "probe-cap",
        "--qf", "%{NAME}\n"));
    assertEquals("imagepatch-probe\n", Judges.run("rpm", "--dbpath", rd, "-q", "--whatrequires", "busybox",
        "--qf", "%{NAME}\n"));
    Judges.Result verify = Judges.exec(List.of("rpm", "--dbpath", rd, "--verifydb"));
    assertEquals(0, verify.exit(), verify.err());
    assertFalse(verify.err().contains("error"), verify.err());
    Judges.Result rebuild = Judges.exec(List.of("rpm", "--dbpath", rd, "--rebuilddb"));
    assertEquals(0, rebuild.exit(), rebuild.err());
    assertEquals(expected, qa(readDir));
    assertTrue(Files.exists(readDir.resolve(SqliteRpmdb.FILE_NAME)));
  }
}
