package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The names rpm indexes for a rich dependency (the round trip checks the same against rpm itself). */
class RichDepsTest {
  @Test
  void namesAreSortedDeduplicatedAndConditionsNegated() {
    assertEquals(List.of("busybox", "coreutils"), RichDeps.names("(coreutils or busybox)"));
    assertEquals(List.of("bar", "baz", "foo", "!bar"), RichDeps.names("(foo if bar else baz)"));
    assertEquals(List.of("a", "!b"), RichDeps.names("(a if b)"));
    assertEquals(List.of("a", "!b"), RichDeps.names("(a unless b)"));
    assertEquals(List.of("a", "b", "c"), RichDeps.names("(a >= 1.0 and (b or c = 2) and a)"));
    assertEquals(List.of("x"), RichDeps.names("(x and rpmlib(RichDependencies) <= 4.12.0-1)"));
    assertEquals(List.of("python3dist(bar)", "python3dist(foo)"),
        RichDeps.names("(python3dist(foo) with python3dist(bar))"));
  }

  @Test
  void whatRpmsParserRefusesGivesNoNames() {
    assertEquals(List.of(), RichDeps.names("(a and b or c)"));
    assertEquals(List.of(), RichDeps.names("(a and"));
    assertEquals(List.of(), RichDeps.names("()"));
    assertEquals(List.of(), RichDeps.names("((a and b) with c)"));
    assertEquals(List.of(), RichDeps.names("(a foo b)"));
  }
}
