package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** APKINDEX stanzas: real indexes read and written back, apk's index stanza rebuilt from real .PKGINFO files. */
class ApkRecordTest {
  private static final String C1 = "Q1uSiixZfL+2SqiMKMdacETkCYgZE=";

  @Test
  void theRealV316ExcerptReadsAndWritesBackExactly() throws IOException {
    String text = ApkTestData.text("vectors/alpine/APKINDEX-v3.16-main-x86_64.excerpt");
    ApkRecord.IndexRead read = ApkRecord.readIndex(text, "excerpt");
    assertEquals(List.of(), read.passedOver());
    assertEquals(38, read.records().size());
    String back = read.records().stream().map(ApkRecord::text).collect(Collectors.joining("\n"));
    assertEquals(text.strip(), back.strip());
    ApkRecord zsh = read.records().get(0);
    assertEquals("git-zsh-completion", zsh.name());
    assertEquals("5.8.1-r4", zsh.version());
    assertEquals("zsh", zsh.origin());
    assertEquals(List.of(Dependency.parse("zsh=5.8.1-r4", "t"), Dependency.parse("git", "t")), zsh.installIf());
    assertEquals(97492, zsh.size());
    assertEquals(405504, zsh.installedSize());
  }

  @Test
  void everyStanzaOfTheRealFullIndexesIsReadAndOnlyInvalidVersionsArePassedOver() throws IOException {
    for (String[] index : new String[][] {
        {"vectors/alpine/apkindex/APKINDEX-v3.17-main-aarch64.tar.gz", "5004", "1"},
        {"vectors/alpine/apkindex/APKINDEX-v3.16-main-x86_64.tar.gz", "4929", "6"},
        {"vectors/alpine/apkindex/APKINDEX-v2.6-main-x86.tar.gz", "-1", "-1"},
        {"vectors/alpine/apk/v3.7-armhf/APKINDEX.tar.gz", "5648", "-1"}}) {
      String text = ApkTestData.member(ApkTestData.path(index[0]), "APKINDEX");
      ApkRecord.IndexRead read = ApkRecord.readIndex(text, index[0]);
      // apk-tools 2 keeps these (it does not validate V:, e.g. aspell-ru 0.99f7-r1, opensmtpd 6.8.0p2-r4).
      for (String why : read.passedOver()) {
        assertTrue(why.contains("invalid version"), why);
      }
      if (!index[2].equals("-1")) {
        assertEquals(Integer.parseInt(index[2]), read.passedOver().size(), read.passedOver().toString());
      }
      if (!index[1].equals("-1")) {
        assertEquals(Integer.parseInt(index[1]), read.records().size() + read.passedOver().size(), index[0]);
      }
      if (read.passedOver().isEmpty()) {
        assertEquals(text, read.records().stream().map(r -> r.text() + "\n").collect(Collectors.joining()), index[0]);
      }
    }
  }

  @Test
  void ofRebuildsTheRealIndexStanzaFromEachRealPackagesPkgInfo() throws IOException {
    Path dir = ApkTestData.path("vectors/alpine/apk/v3.7-armhf");
    String index = ApkTestData.member(dir.resolve("APKINDEX.tar.gz"), "APKINDEX");
    Map<String, ApkRecord> byNameVersion = new HashMap<>();
    for (ApkRecord r : ApkRecord.parseIndex(index, "v3.7 armhf")) {
      byNameVersion.put(r.name() + "-" + r.version(), r);
    }
    List<Path> apks;
    try (Stream<Path> s = Files.list(dir)) {
      apks = s.filter(p -> p.getFileName().toString().endsWith(".apk")).sorted().toList();
    }
    assertEquals(8, apks.size());
    for (Path apk : apks) {
      PkgInfo info = PkgInfo.parse(ApkTestData.member(apk, ".PKGINFO"), apk.toString());
      ApkRecord real = byNameVersion.get(info.first("pkgname").orElseThrow() + "-" + info.first("pkgver").orElseThrow());
      ApkRecord built = ApkRecord.of(info, real.checksum(), Files.size(apk));
      assertEquals(real.text(), built.text(), apk.toString());
    }
  }

  @Test
  void anInvalidStanzaIsPassedOverWithTheReasonAndTheOthersKept() {
    String good = "C:" + C1 + "\nP:good\nV:1.0-r0\n";
    String text = good + "\n"
        + "C:" + C1 + "\nP:noversion\n\n"
        + "C:" + C1 + "\nP:badversion\nV:1.0-x\n\n"
        + "P:nochecksum\nV:1\n\n"
        + "C:" + C1 + "\nP:notafield\nV:1\nthis line is not one\n\n"
        + "C:" + C1 + "\nP:twice\nP:evil\nV:1\n\n"
        + "C:" + C1 + "\nP:../escape\nV:1\n\n"
        + "C:Q1short=\nP:badsum\nV:1\n\n"
        + "C:" + C1 + "\nP:badsize\nV:1\nS:12x\n\n"
        + good;
    ApkRecord.IndexRead read = ApkRecord.readIndex(text, "APKINDEX");
    assertEquals(2, read.records().size());
    List<String> why = read.passedOver();
    assertEquals(8, why.size(), why.toString());
    assertTrue(why.get(0).contains("'noversion'") && why.get(0).contains("no version"), why.get(0));
    assertTrue(why.get(1).contains("invalid version '1.0-x'"), why.get(1));
    assertTrue(why.get(2).contains("no checksum"), why.get(2));
    assertTrue(why.get(3).contains("is not 'K:value'"), why.get(3));
    assertTrue(why.get(4).contains("field P: repeated"), why.get(4));
    assertTrue(why.get(5).contains("invalid package name"), why.get(5));
    assertTrue(why.get(6).contains("not Q1"), why.get(6));
    assertTrue(why.get(7).contains("not a number"), why.get(7));
    assertTrue(why.get(0).startsWith("APKINDEX line 5: "), why.get(0));
  }

  @Test
  void aDependencyApkRefusesEndsTheListAsInApk() {
    ApkRecord r = ApkRecord.parseIndex("C:" + C1 + "\nP:jemalloc-dev\nV:5.3.0-r1\np:a pc:jemalloc=5.3.0_ b\n", "t").get(0);
    assertEquals(List.of(Dependency.parse("a", "t")), r.provides());
    assertEquals("p:a pc:jemalloc=5.3.0_ b\n", r.text().substring(r.text().indexOf("p:")));
  }

  @Test
  void unknownKeysAreKeptInOrder() {
    String text = "C:" + C1 + "\nP:x\nV:1\nZ:future\nA:x86_64\ny:also\n";
    ApkRecord r = ApkRecord.parseIndex(text, "t").get(0);
    assertEquals(text, r.text());
    assertEquals("future", r.get('Z').orElseThrow());
    assertEquals("", r.origin());
    assertEquals(0, r.providerPriority());
  }

  @Test
  void aValueCannotCarryALineEnd() {
    assertThrows(IllegalArgumentException.class, () -> new ApkRecord.Field('T', "x\nP:evil"));
    assertThrows(IllegalArgumentException.class, () -> new ApkRecord.Field('T', "x\0"));
    assertThrows(IllegalArgumentException.class, () -> new ApkRecord.Field(':', "x"));
    ApkRecord.IndexRead read = ApkRecord.readIndex("C:" + C1 + "\nP:x\nV:1\nT:a\0b\n", "t");
    assertFalse(read.passedOver().isEmpty());
    assertEquals("a\rb", ApkRecord.parseIndex("C:" + C1 + "\nP:x\nV:1\nT:a\rb\n", "t").get(0).get('T').orElseThrow());
  }

  @Test
  void ofFollowsApkForMissingAndRepeatedKeys() {
    PkgInfo info = PkgInfo.parse("pkgname = a\npkgver = 2.0-r1\ndepend = b>=1\ndepend = !c so:libd.so.1\n"
        + "provides = cmd:a=2.0-r1\nbuilddate = 0\nprovider_priority = 10\npackager = someone\n"
        + "datahash = 00\nreplaces = old\ntriggers = /usr/lib/*\n", "t");
    ApkRecord r = ApkRecord.of(info, C1, 1234);
    assertEquals("C:" + C1 + "\nP:a\nV:2.0-r1\nS:1234\nI:0\nT:\nU:\nL:\nk:10\nD:b>=1 !c so:libd.so.1\n"
        + "p:cmd:a=2.0-r1\n", r.text());
    assertEquals(10, r.providerPriority());
    assertThrows(IllegalArgumentException.class, () -> ApkRecord.of(info, "nope", 1));
  }
}
