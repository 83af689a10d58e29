package dev.imagepatch.fleet;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A patched tag's template, Copa's {@code target.tag}: {@code {{ .SourceTag }}} is the source's tag
 * and {@code {{ .Date }}} the run's date as {@code YYYYMMDD} (the seed's {@code -patched-YYYYMMDD}).
 */
public final class TagTemplate {
  private static final Pattern FIELD = Pattern.compile("\\{\\{-?\\s*\\.(\\w+)\\s*-?}}");
  static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;
  /** Copa's default. */
  public static final TagTemplate COPA_DEFAULT = parse("{{ .SourceTag }}-patched");
  /** The seed's CronJob's tags, the default of a plain image list. */
  public static final TagTemplate DATED = parse("{{ .SourceTag }}-patched-{{ .Date }}");


  private final String text;

  private TagTemplate(String text) {
    this.text = text;
  }

  /** Reads a template; a field other than SourceTag and Date is an error naming it. */
  public static TagTemplate parse(String text) {
    Matcher m = FIELD.matcher(text);
    while (m.find()) {
      if (!m.group(1).equals("SourceTag") && !m.group(1).equals("Date")) {
        throw new IllegalArgumentException("tag template " + text + ": unknown field ." + m.group(1)
            + " (known: .SourceTag, .Date)");
      }
    }
    if (FIELD.matcher(text).replaceAll("").contains("{{")) {
      throw new IllegalArgumentException("tag template " + text + ": a {{ }} that is not {{ .SourceTag }} or {{ .Date }}");
    }
    return new TagTemplate(text);
  }

  /** The tag for {@code sourceTag} on {@code date}. */
  public String render(String sourceTag, LocalDate date) {
    String d = date.format(DATE);
    return FIELD.matcher(text).replaceAll(r -> Matcher.quoteReplacement(r.group(1).equals("Date") ? d : sourceTag));
  }

  /**
   * The tags this template made for {@code sourceTag} on any date: a date is any eight digits. The
   * versioning suffix ({@code -1}, {@code -2}, ...) is {@link PatchedTag}'s.
   */
  Pattern anyDate(String sourceTag) {
    StringBuilder re = new StringBuilder();
    Matcher m = FIELD.matcher(text);
    int last = 0;
    while (m.find()) {
      re.append(Pattern.quote(text.substring(last, m.start())));
      re.append(m.group(1).equals("Date") ? "(\\d{8})" : Pattern.quote(sourceTag));
      last = m.end();
    }
    re.append(Pattern.quote(text.substring(last)));
    return Pattern.compile(re.toString());
  }

  boolean dated() {
    Matcher m = FIELD.matcher(text);
    while (m.find()) {
      if (m.group(1).equals("Date")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return text;
  }
}
