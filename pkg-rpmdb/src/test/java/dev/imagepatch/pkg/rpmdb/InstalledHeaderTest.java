package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.Tags;
import dev.imagepatch.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The installed header is, byte for byte, the one rpm 4.18 records when it installs the package. */
class InstalledHeaderTest {
  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {
      "centos/centos-release-4-0.1.x86_64.rpm",
      "centos/centos-release-5-0.0.el5.centos.2.x86_64.rpm",
      "centos/centos-release-6-0.el6.centos.5.x86_64.rpm",
      "centos/centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm",
      "centos/epel-release-7-5.noarch.rpm",
      "opensuse/mc-4.8.15-10.3.1.x86_64.rpm",
      "opensuse/mc-4.8.21-2.1.x86_64.rpm",
      "opensuse/python311-pytest-xprocess-0.23.0-2.4.noarch.rpm",
      "opensuse/ruby2.6-rubygem-fast_gettext-2.0.1-1.1.x86_64.rpm",
      "fedora-unsigned/xrootd-devel-5.5.4-1.fc37.x86_64.rpm"})
  void isWhatRpmRecords(String name) throws Exception {
    Path rpm = SharedData.path("vectors/rpm/packages/" + name);
    Path dir = Files.createDirectories(temp.resolve("db"));
    String d = dir.toAbsolutePath().toString();
    Judges.run("rpm", "--dbpath", d, "--initdb");
    Judges.run("rpm", "--dbpath", d, "--justdb", "--nodeps", "--noscripts", "--notriggers", "--ignorearch",
        "--ignoreos", "-i", rpm.toString());
    List<SqliteRpmdb.Package> packages = SqliteRpmdb.read(dir.resolve(SqliteRpmdb.FILE_NAME));
    assertEquals(1, packages.size());
    Header judged = packages.get(0).header();
    InstalledHeader.Install install = new InstalledHeader.Install(judged.number(Tags.INSTALLTIME).getAsLong(),
        judged.number(Tags.INSTALLTID).getAsLong(), (int) judged.number(Tags.INSTALLCOLOR).getAsLong());
    Header ours;
    try (InputStream in = Files.newInputStream(rpm)) {
      ours = InstalledHeader.of(in, name, install);
    }
    assertArrayEquals(judged.blob(), ours.blob(), name);
    assertArrayEquals(judged.blob(), InstalledHeader.of(RpmPackage.open(rpm), install).blob(), name);
    assertEquals(1, packages.get(0).hnum());
  }

  /** What real installs added to the package headers in the real databases is what InstalledHeader adds. */
  @ParameterizedTest
  @ValueSource(strings = {"cbl-mariner-2.0", "amazonlinux2023-plain"})
  void realInstalledHeadersCarryTheTagsItAdds(String db) throws Exception {
    Set<Integer> known = Set.of(Tags.SIGSIZE, Tags.SIGPGP, Tags.SIGMD5, Tags.SIGGPG, Tags.ARCHIVESIZE,
        Tags.FILESIGNATURES, Tags.FILESIGNATURELENGTH, Tags.VERITYSIGNATURES, Tags.VERITYSIGNATUREALGO,
        Tags.SHA1HEADER, Tags.SHA256HEADER, Tags.DSAHEADER, Tags.RSAHEADER, Tags.LONGSIGSIZE, Tags.LONGARCHIVESIZE,
        Tags.INSTALLTIME, Tags.INSTALLTID, Tags.INSTALLCOLOR, Tags.FILESTATES, Tags.INSTPREFIXES, Tags.SOURCERPM,
        Tags.SOURCEPACKAGE);
    Set<Integer> seen = new TreeSet<>();
    for (SqliteRpmdb.Package p : SqliteRpmdb.read(SqliteRpmdbReadTest.db(db))) {
      Header h = p.header();
      if (h.string(Tags.NAME).orElse("").equals("gpg-pubkey")) {
        continue; // imported keys are not installed packages
      }
      Header region = h.immutableRegion();
      for (Header.Entry e : h.entries()) {
        if (!region.has(e.tag()) && e.tag() != Tags.HEADERIMMUTABLE) {
          seen.add(e.tag());
        }
      }
      // a normal install: every file installed, states all 0
      long[] states = h.numbers(Tags.FILESTATES);
      assertEquals(h.strings(Tags.BASENAMES).size(), states.length);
      for (long s : states) {
        assertEquals(0, s);
      }
      assertTrue(h.has(Tags.INSTALLTID) && h.has(Tags.INSTALLTIME) && h.has(Tags.INSTALLCOLOR));
    }
    for (int tag : seen) {
      assertTrue(known.contains(tag), db + ": installed headers carry tag " + tag);
    }
  }
}
