package dev.imagepatch.pkg.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The CVEs an upgrade fixes, read from a real changelog shipped in a bookworm-security package. */
class DebianChangelogTest {
  private static String openssl() throws IOException {
    try (InputStream in = new GZIPInputStream(DebianChangelogTest.class.getResourceAsStream(
        "/debian/changelog/openssl_3.0.22-1~deb12u2.changelog.Debian.gz"))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void readsEveryEntryOfARealChangelog() throws IOException {
    List<DebianChangelog.Entry> entries = DebianChangelog.parse(openssl());
    assertEquals(55, entries.size());
    DebianChangelog.Entry newest = entries.get(0);
    assertEquals("openssl", newest.source());
    assertEquals("3.0.22-1~deb12u2", newest.version());
    assertEquals("bookworm-security", newest.distributions());
    assertTrue(newest.text().contains("Non-maintainer upload by the LTS Team."), newest.text());
    assertTrue(newest.text().contains(" -- Arnaud Rebillout"), "the trailer belongs to its entry");
    // The note after the last entry is part of it, not an entry of its own.
    assertTrue(entries.get(54).text().contains("Older entries have been removed"));
  }

  @Test
  void cvesOfTheUpgradeFromBookwormToBookwormSecurity() throws IOException {
    List<DebianChangelog.Entry> all = DebianChangelog.parse(openssl());
    List<DebianChangelog.Entry> upgrade = DebianChangelog.between(all, "3.0.20-1~deb12u2", "3.0.22-1~deb12u2");
    assertEquals(List.of("3.0.22-1~deb12u2", "3.0.22-1~deb12u1"), upgrade.stream().map(DebianChangelog.Entry::version)
        .toList());
    assertEquals(List.of("CVE-2026-84782", "CVE-2026-35189", "CVE-2026-54872", "CVE-2026-75805", "CVE-2026-75806",
        "CVE-2026-77696", "CVE-2026-42767", "CVE-2026-54874", "CVE-2026-63072", "CVE-2026-63074", "CVE-2026-63076",
        "CVE-2026-75803"), DebianChangelog.cves(upgrade));
  }

  @Test
  void theFixedVersionBoundsTheEntriesAndAnUpToDatePackageHasNone() throws IOException {
    List<DebianChangelog.Entry> all = DebianChangelog.parse(openssl());
    List<DebianChangelog.Entry> first = DebianChangelog.between(all, "3.0.20-1~deb12u2", "3.0.22-1~deb12u1");
    assertEquals(List.of("3.0.22-1~deb12u1"), first.stream().map(DebianChangelog.Entry::version).toList());
    assertEquals(6, DebianChangelog.cves(first).size());
    assertEquals(List.of(), DebianChangelog.between(all, "3.0.22-1~deb12u2", "3.0.22-1~deb12u2"));
    // An entry that names no CVE (a point-release import) gives none.
    List<DebianChangelog.Entry> pointRelease = DebianChangelog.between(all, "3.0.19-1~deb12u2", "3.0.20-1~deb12u1");
    assertEquals(1, pointRelease.size());
    assertEquals(List.of(), DebianChangelog.cves(pointRelease));
  }

  @Test
  void headersNeedColumnZeroAndParentheses() {
    String text = "tzdata (2026f-0+deb12u1) bookworm-security; urgency=medium\n\n"
        + "  * New upstream release.\n  * Mentions tzdata (2026a) and CVE-2026-1 (too short) in passing.\n\n"
        + " -- Someone <a@b.c>  Mon, 01 Jan 2026 00:00:00 +0000\n\n"
        + "tzdata (2026b-0+deb12u1) bookworm; urgency=medium\n\n  * Fix CVE-2026-12345.\n";
    List<DebianChangelog.Entry> e = DebianChangelog.parse(text);
    assertEquals(2, e.size());
    assertEquals(List.of(), DebianChangelog.cves(DebianChangelog.between(e, "2026b-0+deb12u1", "2026f-0+deb12u1")));
    assertEquals(List.of("CVE-2026-12345"), DebianChangelog.cves(e));
  }

  @Test
  void advisoriesOtherThanCvesNameFixesThatHaveNoCve() {
    // As xz-utils 5.4.1-1+deb12u2 of bookworm-security words it.
    String text = "xz-utils (5.4.1-1+deb12u2) bookworm-security; urgency=medium\n\n"
        + "  * Add upstream v5.4 commits to fix security issues:\n"
        + "    - Includes security fix for GHSA-5qpq-xqfv-j9pg (Closes: #1147318)\n\n"
        + " -- Someone <a@b.c>  Sun, 13 Sep 2026 01:01:01 +0000\n\n"
        + "xz-utils (5.4.1-1+deb12u1) bookworm; urgency=medium\n\n  * Fix for CVE-2026-34743 (DSA-5999-1).\n";
    List<DebianChangelog.Entry> upgrade = DebianChangelog.between(DebianChangelog.parse(text), "5.4.1-1+deb12u1",
        "5.4.1-1+deb12u2");
    assertEquals(List.of(), DebianChangelog.cves(upgrade));
    assertEquals(List.of("GHSA-5qpq-xqfv-j9pg"), DebianChangelog.advisories(upgrade));
    assertEquals(List.of("GHSA-5qpq-xqfv-j9pg", "DSA-5999-1"), DebianChangelog.advisories(DebianChangelog.parse(text)));
  }
}
