package dev.imagepatch.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.version.ApkVersion;
import dev.imagepatch.pkg.version.DebianVersion;
import dev.imagepatch.pkg.version.RpmVersion;
import dev.imagepatch.testing.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Every row of the upstream vector files (read in place from the shared data, {@code vectors/}), in
 * both directions: compare(a, b) has the expected sign and compare(b, a) the opposite one.
 */
class VersionVectorsTest {

  private record Row(int line, String a, String b, int expected) {}

  static List<Row> rows(String file) throws IOException {
    List<Row> rows = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(SharedData.path("vectors/" + file), StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.startsWith("#") || line.isEmpty()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        rows.add(new Row(n, f[0], f[1], Integer.parseInt(f[2].strip())));
      }
    }
    return rows;
  }

  private static void check(String file, int expectedRows, BiFunction<String, String, Integer> compare)
      throws IOException {
    List<Row> rows = rows(file);
    assertEquals(expectedRows, rows.size(), file + " rows");
    List<String> failures = new ArrayList<>();
    for (Row row : rows) {
      int forward = Integer.signum(compare.apply(row.a, row.b));
      int backward = Integer.signum(compare.apply(row.b, row.a));
      if (forward != row.expected || backward != -row.expected) {
        failures.add(file + ":" + row.line + " '" + row.a + "' vs '" + row.b + "': expected " + row.expected
            + ", got " + forward + " (reverse " + backward + ")");
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
  }

  @Test
  void dpkg() throws IOException {
    check("dpkg-versions.tsv", 65, DebianVersion.ORDER::compare);
  }

  @Test
  void apt() throws IOException {
    check("deb-versions-apt.tsv", 64, DebianVersion.ORDER::compare);
  }

  @Test
  void apk() throws IOException {
    // apk-tools compares any strings (an invalid tail sorts low); the rows include such strings.
    check("apk-versions.tsv", 738, (a, b) -> ApkVersion.compare(a, b, false));
  }

  @Test
  void rpmvercmp() throws IOException {
    check("rpm-versions.tsv", 91, RpmVersion::rpmvercmp);
  }

  @Test
  void rpmvercmpExtended() throws IOException {
    check("rpm-versions-extended.tsv", 4489, RpmVersion::rpmvercmp);
  }

  @Test
  void rpmEvr() throws IOException {
    check("rpm-evr.tsv", 23, RpmVersion.ORDER::compare);
  }

  /** apk-version.data: ordering, fuzzy matching and validity lines, as apk-tools' own test reads them. */
  @Test
  void apkToolsVersionData() throws IOException {
    List<String> failures = new ArrayList<>();
    int validity = 0;
    int fuzzy = 0;
    try (BufferedReader r = Files.newBufferedReader(SharedData.path("vectors/apk-version.data"),
        StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String[] f = t.split("\\s+");
        if (f.length == 1) {
          validity++;
          boolean wantValid = !f[0].startsWith("!");
          String v = wantValid ? f[0] : f[0].substring(1);
          if (ApkVersion.isValid(v) != wantValid) {
            failures.add(n + ": '" + v + "' should be " + (wantValid ? "valid" : "invalid"));
          }
          continue;
        }
        if (f[1].contains("~")) {
          fuzzy++;
        }
        if (ApkVersion.matches(f[0], f[1], f[2]) != true) {
          failures.add(n + ": " + t);
        }
      }
    }
    assertEquals(31, validity, "validity lines");
    assertEquals(16, fuzzy, "fuzzy lines");
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  @Test
  void invalidVersionsAreRejectedWithTheReason() {
    assertMessage(() -> DebianVersion.ORDER.validate("1.0-"), "invalid dpkg version '1.0-': revision number is empty");
    assertMessage(() -> DebianVersion.ORDER.validate("a:1.0"), "epoch in version is not number");
    assertMessage(() -> DebianVersion.ORDER.validate("1:"), "nothing after colon in version number");
    assertMessage(() -> DebianVersion.ORDER.validate("99999999999:1"), "epoch in version is too big");
    assertMessage(() -> DebianVersion.ORDER.validate("1 0"), "embedded spaces");
    assertMessage(() -> DebianVersion.ORDER.validate(""), "version string is empty");
    assertMessage(() -> DebianVersion.ORDER.compare("1.0", "-1"), "version number is empty");
    assertMessage(() -> ApkVersion.ORDER.compare("1.0", "1.0-r2_pre1"), "invalid apk version '1.0-r2_pre1'");
    assertMessage(() -> RpmVersion.ORDER.validate("x:1.0"), "invalid rpm version 'x:1.0': epoch 'x' is not a number");
    assertMessage(() -> RpmVersion.ORDER.validate("1.0-"), "empty release");
    // dpkg only warns about these, so they are accepted.
    DebianVersion.ORDER.validate("abc");
    DebianVersion.ORDER.validate("1.0_1");
  }

  private static void assertMessage(Runnable r, String part) {
    try {
      r.run();
    } catch (InvalidVersionException e) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
      return;
    }
    throw new AssertionError("no exception, expected: " + part);
  }

  @Test
  void digitRunsOfAnyLengthCompareAsNumbers() {
    String big = "1" + "0".repeat(40);
    String bigger = "2" + "0".repeat(40);
    assertEquals(-1, Integer.signum(DebianVersion.ORDER.compare(big, bigger)));
    assertEquals(-1, Integer.signum(ApkVersion.ORDER.compare(big + "-r0", bigger + "-r0")));
    assertEquals(-1, Integer.signum(RpmVersion.ORDER.compare("1." + big, "1." + bigger)));
    assertEquals(0, DebianVersion.ORDER.compare("00000" + big, big));
    assertFalse(ApkVersion.isValid("1.0_foo"));
    assertEquals("1:1.1.1k-4.el8", RpmVersion.parse("1:1.1.1k-4.el8").toString());
    assertEquals("1.1.1k-4.el8", RpmVersion.parse("0:1.1.1k-4.el8").toString());
  }
}
