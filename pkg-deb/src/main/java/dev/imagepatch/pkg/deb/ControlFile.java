package dev.imagepatch.pkg.deb;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads deb822 control data: paragraphs separated by blank lines, {@code Name: value} fields with
 * continuation lines that start with a blank. Malformed input is refused with the source and line.
 * A whole file can be read into a list, or streamed paragraph by paragraph (Packages indexes are
 * large).
 */
public final class ControlFile {
  private ControlFile() {}

  /** Every paragraph of a small control file. */
  public static List<Paragraph> parse(String text, String source) throws IOException {
    List<Paragraph> out = new ArrayList<>();
    read(new java.io.StringReader(text), source, out::add);
    return out;
  }

  /** Streams the paragraphs of a UTF-8 stream to {@code sink}, one at a time. */
  public static void read(InputStream in, String source, Consumer<Paragraph> sink) throws IOException {
    read(new InputStreamReader(in, StandardCharsets.UTF_8), source, sink);
  }

  static void read(Reader reader, String source, Consumer<Paragraph> sink) throws IOException {
    BufferedReader r = new BufferedReader(reader, 1 << 16);
    List<Paragraph.Field> fields = new ArrayList<>();
    String name = null;
    StringBuilder value = null;
    String line;
    int n = 0;
    try {
    while ((line = readLine(r)) != null) {
      n++;
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1); // CRLF line ends
      }
      if (line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
        throw new IOException(source + ": line " + n + ": carriage return or NUL inside a line, which would read"
            + " as two lines: '" + abbreviate(DpkgFields.printable(line)) + "'");
      }
      if (line.isBlank()) {
        if (name != null) {
          fields.add(new Paragraph.Field(name, value.toString()));
          name = null;
        }
        if (!fields.isEmpty()) {
          sink.accept(new Paragraph(fields));
          fields = new ArrayList<>();
        }
        continue;
      }
      if (line.startsWith("#") && name == null && fields.isEmpty()) {
        continue; // comments are allowed between paragraphs in sources files
      }
      if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        if (name == null) {
          throw new IOException(source + ": line " + n + ": continuation line without a field");
        }
        value.append('\n').append(line);
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException(source + ": line " + n + ": expected 'Field: value', found '" + abbreviate(line) + "'");
      }
      if (name != null) {
        fields.add(new Paragraph.Field(name, value.toString()));
      }
      name = line.substring(0, colon);
      for (Paragraph.Field f : fields) {
        if (f.name().equalsIgnoreCase(name)) {
          throw new IOException(source + ": line " + n + ": duplicate field " + name);
        }
      }
      String rest = line.substring(colon + 1);
      value = new StringBuilder(rest.startsWith(" ") ? rest.substring(1) : rest);
    }
    if (name != null) {
      fields.add(new Paragraph.Field(name, value.toString()));
    }
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": line " + n + ": " + e.getMessage(), e);
    }
    if (!fields.isEmpty()) {
      sink.accept(new Paragraph(fields));
    }
  }

  /** A line ended by '\n' only (a lone '\r' is no line end to dpkg), without it; null at the end. */
  private static String readLine(BufferedReader r) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = r.read()) >= 0) {
      if (c == '\n') {
        return sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static String abbreviate(String line) {
    return line.length() > 60 ? line.substring(0, 60) + "..." : line;
  }
}
