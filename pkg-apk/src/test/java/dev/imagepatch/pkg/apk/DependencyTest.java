package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** apk dependency tokens, parsed as apk_blob_pull_dep does and written as apk_blob_push_dep does. */
class DependencyTest {
  @Test
  void theFormsApkWrites() {
    assertEquals(new Dependency("so:libc.musl-x86_64.so.1", false, null, null, null),
        Dependency.parse("so:libc.musl-x86_64.so.1", "t"));
    assertEquals(new Dependency("zsh", false, "=", "5.8.1-r4", null), Dependency.parse("zsh=5.8.1-r4", "t"));
    assertEquals(new Dependency("busybox", true, "<", "1.30", "edge"), Dependency.parse("!busybox@edge<1.30", "t"));
    assertEquals(new Dependency("musl", false, "~", "1.1", null), Dependency.parse("musl~1.1", "t"));
    for (String s : List.of("a<1", "a<=1", "a<~1", "a~1", "a=1", "a>=1", "a>~1", "a>1", "!a", "a@tag", "a@t>=1.2-r3",
        "/bin/sh", "cmd:[", "pc:libcrypto>=1.1.1", "a><Q1uSiixZfL+2SqiMKMdacETkCYgZE=")) {
      assertEquals(s, Dependency.parse(s, "t").toString(), s);
    }
  }

  @Test
  void operatorsAreNormalizedAsApkPrintsThem() {
    assertEquals(">=", Dependency.parse("a=>1", "t").op());
    assertEquals("~", Dependency.parse("a=~1", "t").op());
    assertEquals("<=", Dependency.parse("a=<1", "t").op());
    assertEquals("><", Dependency.parse("a<>Q1x", "t").op());
  }

  @Test
  void whatApkRefusesIsRefusedNamingTheSource() {
    for (String s : List.of("", "a>=", "a>=1.x", "a<>=1", "@tag", "a@", "!", "a b", ">=1")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dependency.parse(s, "pkg"), s);
      assertTrue(e.getMessage().startsWith("pkg: dependency '"), e.getMessage());
    }
  }

  @Test
  void listsSplitOnRunsOfSpaces() {
    assertEquals(List.of(Dependency.parse("a", "t"), Dependency.parse("b>1", "t")), Dependency.parseList(" a  b>1\n", "t"));
    assertEquals(List.of(), Dependency.parseList("", "t"));
  }

  @Test
  void matchesTheVersionConstraintOnly() {
    assertTrue(Dependency.parse("a", "t").matches("1"));
    assertTrue(Dependency.parse("a>=1.1.1d-r0", "t").matches("1.1.1k-r0"));
    assertFalse(Dependency.parse("a<1.1.1d-r0", "t").matches("1.1.1k-r0"));
    assertTrue(Dependency.parse("a~1.1", "t").matches("1.1.22-r4"));
    assertFalse(Dependency.parse("a~1.1", "t").matches("1.2"));
    assertTrue(Dependency.parse("!a<2", "t").matches("1"));
    assertFalse(Dependency.parse("a><Q1x", "t").matches("1"));
  }

  @Test
  void theIndexFormDropsTheTagAsApkPkgWriteIndexEntryDoes() {
    assertEquals("a>=1 !b", Dependency.indexForm(Dependency.parseList("a@edge>=1 !b@x", "t")));
  }
}
