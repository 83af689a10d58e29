package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Retry-After in each form RFC 9110 lets a registry send, and the bound a policy puts on it. */
class RetryAfterTest {
  private static final Instant NOW = Instant.parse("1994-11-06T08:49:30Z");

  @Test
  void deltaSeconds() {
    assertEquals(Optional.of(Duration.ofSeconds(120)), RetryAfter.parse(" 120 ", NOW));
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("0", NOW));
  }

  @Test
  void theThreeDateFormats() {
    Optional<Duration> seven = Optional.of(Duration.ofSeconds(7));
    assertEquals(seven, RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW));
    assertEquals(seven, RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW));
    assertEquals(seven, RetryAfter.parse("Sun Nov  6 08:49:37 1994", NOW));
  }

  @Test
  void aDateInThePastMeansNoWait() {
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", NOW));
  }

  @Test
  void hugeValuesAreCappedNotOverflowed() {
    assertEquals(Optional.of(RetryAfter.CAP), RetryAfter.parse("99999999999999999999999", NOW));
    assertEquals(Optional.of(RetryAfter.CAP), RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", NOW));
  }

  @Test
  void anythingElseIsIgnored() {
    for (String bad : new String[] {"", "-5", "1.5", "soon", "06 Nov 1994"}) {
      assertEquals(Optional.empty(), RetryAfter.parse(bad, NOW), bad);
    }
  }

  @Test
  void thePolicyBoundsTheWait() {
    assertEquals(Duration.ofMinutes(1), RetryPolicy.defaults().maxRetryAfter());
    RetryPolicy quick = RetryPolicy.of(4, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(5));
    assertEquals(Duration.ofSeconds(5), quick.maxRetryAfter(), "never beyond the total time");
    assertEquals(Duration.ofSeconds(2), quick.withMaxRetryAfter(Duration.ofSeconds(2)).maxRetryAfter());
    assertEquals(Duration.ZERO, RetryPolicy.none().maxRetryAfter());
  }
}
