package dev.imagepatch.oci.registry;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A {@code Retry-After} header (RFC 9110 10.2.3): delta-seconds, or an HTTP-date in any of the
 * three formats a recipient must accept. A date in the past means no wait; a value too large to
 * matter is capped at a day, so arithmetic on it cannot overflow.
 */
final class RetryAfter {
  static final Duration CAP = Duration.ofDays(1);

  private static final List<DateTimeFormatter> DATES = List.of(
      DateTimeFormatter.RFC_1123_DATE_TIME,
      // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
      new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern("EEEE, dd-MMM-")
          .appendValueReduced(java.time.temporal.ChronoField.YEAR, 2, 2, 1970)
          .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US),
      // asctime: Sun Nov  6 08:49:37 1994
      new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern("EEE MMM")
          .appendLiteral(' ').optionalStart().appendLiteral(' ').optionalEnd()
          .appendPattern("d HH:mm:ss yyyy").toFormatter(Locale.US));

  private RetryAfter() {}

  /** The wait a response asks for, if it asks. */
  static Optional<Duration> of(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(v -> parse(v, Instant.now()));
  }

  /** The wait {@code value} asks for at {@code now}; empty when it is not a valid Retry-After. */
  static Optional<Duration> parse(String value, Instant now) {
    String v = value.strip();
    if (v.matches("[0-9]+")) {
      // More digits than a long holds is still a number, and a long one.
      return Optional.of(v.length() > 12 ? CAP : min(Duration.ofSeconds(Long.parseLong(v)), CAP));
    }
    for (DateTimeFormatter format : DATES) {
      try {
        Instant when = format == DateTimeFormatter.RFC_1123_DATE_TIME
            ? java.time.ZonedDateTime.parse(v, format).toInstant()
            : LocalDateTime.parse(v, format).toInstant(ZoneOffset.UTC);
        Duration d = Duration.between(now, when);
        return Optional.of(d.isNegative() ? Duration.ZERO : min(d, CAP));
      } catch (DateTimeParseException e) {
        // try the next format
      }
    }
    return Optional.empty();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
