package dev.imagepatch.pkg.rpm.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** rpm's rich dependency syntax as rpmrichParse accepts it. */
class RichParserTest {
  @Test
  void simpleTermsKeepTheirParenthesesAndVersions() {
    Dependency d = RichParser.parse("(libc.so.6(GLIBC_2.34)(64bit) or foo >= 1:2.0-3)");
    Dependency.Rich r = (Dependency.Rich) d;
    assertEquals(Dependency.Op.OR, r.op());
    assertEquals(new Dependency.Simple("libc.so.6(GLIBC_2.34)(64bit)", 0, "0", null, null), r.left());
    assertEquals(new Dependency.Simple("foo", Dependency.GT | Dependency.EQ, "1", "2.0", "3"), r.right());
  }

  @Test
  void chainsAndNesting() {
    assertEquals("((a and b) and c)", RichParser.parse("(a and b and c)").toString());
    assertEquals("((a or b) with c)", RichParser.parse("((a or b) with c)").toString());
    assertEquals("(a if b else c)", RichParser.parse("(a if b else c)").toString());
    assertEquals("(a unless b)", RichParser.parse("(a unless b)").toString());
    assertEquals("(glibc-gconv-extra(x86-64) = 2.34-21.el9 if redhat-rpm-config)",
        RichParser.parse("(glibc-gconv-extra(x86-64) = 2.34-21.el9 if redhat-rpm-config)").toString());
    assertEquals("a", RichParser.parse("(a)").toString());
    assertEquals("(a without b)", RichParser.parse("( a   without  b )").toString());
  }

  @Test
  void comparisonsOfEveryKind() {
    for (String op : new String[] {"<", "<=", "=", ">=", ">"}) {
      Dependency.Rich r = (Dependency.Rich) RichParser.parse("(a " + op + " 1 or b)");
      assertEquals("a " + op + " 1", r.left().toString());
    }
    assertEquals("a = 2", ((Dependency.Rich) RichParser.parse("(a == 2 or b)")).left().toString());
  }

  @Test
  void malformedIsRefusedNamingTheText() {
    for (String bad : new String[] {"(a or)", "(a or b", "(a xor b)", "a or b", "(a or b and c)", "(a or b) x",
        "(a <> 1 or b)", "(a >= or b)", "()"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RichParser.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void elseOnlyAfterIfOrUnless() {
    assertThrows(IllegalArgumentException.class, () -> RichParser.parse("(a and b else c)"));
  }
}
