package dev.imagepatch.pkg.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deb822 parser and writer, and dpkg's name checks, against values that would break a stanza. */
class ControlFieldsTest {
  @Test
  void aCarriageReturnInsideALineIsRefused() {
    IOException e = assertThrows(IOException.class,
        () -> ControlFile.parse("Package: hello\nVersion: 1.0-2\rPackage: evil\n", "control"));
    assertTrue(e.getMessage().contains("control: line 2: carriage return"), e.getMessage());
  }

  @Test
  void crlfLineEndsStillRead() throws IOException {
    Paragraph p = ControlFile.parse("Package: hello\r\nVersion: 1.0-2\r\n", "x").get(0);
    assertEquals("1.0-2", p.require("Version"));
  }

  @Test
  void aDuplicateFieldIsRefused() {
    IOException e = assertThrows(IOException.class,
        () -> ControlFile.parse("Package: hello\nVersion: 1\npackage: evil\n", "status"));
    assertTrue(e.getMessage().contains("duplicate field package"), e.getMessage());
  }

  @Test
  void aValueThatWouldStartAFieldOrAStanzaIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Paragraph.Field("Version", "1.0\nPackage: evil"));
    assertThrows(IllegalArgumentException.class, () -> new Paragraph.Field("Description", "x\n \n more"));
    assertThrows(IllegalArgumentException.class, () -> new Paragraph.Field("Version", "1.0\r"));
    assertThrows(IllegalArgumentException.class, () -> new Paragraph.Field("Pack:age", "x"));
    assertEquals("Conffiles:\n /etc/x 0123\n", Paragraph.of(List.of(new Paragraph.Field("Conffiles", "\n /etc/x 0123")))
        .toString());
  }

  @Test
  void namesAsDpkgChecksThem() throws IOException {
    assertEquals("libssl3t64", DpkgFields.packageName("libssl3t64", "x"));
    assertEquals("g++-12", DpkgFields.packageName("g++-12", "x"));
    assertEquals("x", DpkgFields.packageName("x", "x"), "dpkg has no minimum length");
    for (String bad : new String[] {"../../tmp/x", "a/b", "-x", ".x", "", "x y", "x\n"}) {
      assertThrows(IOException.class, () -> DpkgFields.packageName(bad, "x"), bad);
    }
    assertEquals("arm64", DpkgFields.architecture("arm64", "x"));
    assertThrows(IOException.class, () -> DpkgFields.architecture("../x", "x"));
    assertThrows(IOException.class, () -> DpkgFields.architecture("amd64/x", "x"));
    assertEquals("1:2.36-9+deb12u4~1", DpkgFields.version("1:2.36-9+deb12u4~1", "x"));
    assertThrows(IOException.class, () -> DpkgFields.version("a:1.0", "x"), "dpkg: epoch is not a number");
    assertThrows(IOException.class, () -> DpkgFields.version("1.0\r", "x"));
  }

  @Test
  void aStatusWithABadPackageNameIsRefused() {
    IOException e = assertThrows(IOException.class, () -> DpkgDatabase.ofStatus(
        "Package: ../../x\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n", "status"));
    assertTrue(e.getMessage().contains("invalid package name '../../x'"), e.getMessage());
  }
}
