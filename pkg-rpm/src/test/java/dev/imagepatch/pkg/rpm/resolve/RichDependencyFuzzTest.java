package dev.imagepatch.pkg.rpm.resolve;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.imagepatch.pkg.rpm.FuzzContracts;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Fuzzes the rich dependency parser with arbitrary text, then resolves an upgrade whose candidate
 * requires, conflicts with and suggests that text.
 *
 * <p>Contract: {@link RichParser#parse} returns or throws an {@link IllegalArgumentException} whose
 * message quotes the text; the upgrade returns a transaction or throws a
 * {@link RpmResolver.ResolutionException} with a message (a requirement that does not parse is one
 * nothing provides). Any other throwable, or a run past Jazzer's timeout, is a finding. Seeds:
 * {@code src/test/resources/dev/imagepatch/pkg/rpm/resolve/RichDependencyFuzzTestInputs/parse/}.
 */
class RichDependencyFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      Dependency d = RichParser.parse(text);
      d.toString();
      Dependency.leaves(d).forEach(Dependency.Simple::isFile);
    } catch (IllegalArgumentException expected) {
      if (!FuzzContracts.requireMessage(expected).getMessage().contains(text)) {
        throw new AssertionError("the message does not quote the dependency: " + expected.getMessage());
      }
    }
    if (text.isEmpty() || text.contains(" ") && !text.startsWith("(")) {
      return; // not a name primary could carry
    }
    RpmRecord candidate = RpmResolverTest.pkg("foo-2-1.x86_64", "R:" + text, "C:" + text, "S:" + text);
    RpmResolver r = RpmResolver.of(List.of(RpmResolverTest.installed("foo-1-1.x86_64"),
        RpmResolverTest.installed("a-1-1.x86_64", "P:b")), List.of(RpmResolver.Repository.of("r", List.of(
            candidate, RpmResolverTest.pkg("b-1-1.x86_64", "P:c"), RpmResolverTest.pkg("x-1-1.noarch")))),
        "x86_64", Set.of());
    try {
      r.upgrade(List.of(RpmResolver.Request.of("foo")));
    } catch (RpmResolver.ResolutionException expected) {
      FuzzContracts.requireMessage(expected);
    }
  }
}
