package dev.imagepatch.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** What the JSON report readers share: one mapper, streaming helpers, errors with positions. */
final class JsonReports {
  private JsonReports() {}

  static final ObjectMapper MAPPER = new ObjectMapper();

  /** The parser reading a whole report, positioned on its first token (an object). */
  static JsonParser open(InputStream in, String source, String format) throws IOException {
    JsonParser p = MAPPER.createParser(in);
    JsonToken first;
    try {
      first = p.nextToken();
    } catch (JsonProcessingException e) {
      throw invalid(source, e);
    }
    if (first == null) {
      throw new ReportException(source + ": empty file");
    }
    if (first != JsonToken.START_OBJECT) {
      throw new ReportException(source + ": not a " + format + " JSON report: expected an object at line 1, found "
          + first.asString());
    }
    return p;
  }

  static ReportException invalid(String source, JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    return new ReportException(source + ": invalid JSON" + where + ": " + e.getOriginalMessage(), e);
  }

  /** Reads the value under the cursor as a tree: for small objects only (one finding, metadata). */
  static JsonNode tree(JsonParser p) throws IOException {
    return MAPPER.readTree(p);
  }

  /** A text field, or null when absent, null or empty. */
  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
  }

  /** Moves to the next element of an array being streamed; false at its end. */
  static boolean nextElement(JsonParser p, String source, String path) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.END_ARRAY) {
      return false;
    }
    if (t != JsonToken.START_OBJECT) {
      throw new ReportException(source + ": " + path + " must hold objects, found " + (t == null ? "the end" : t.asString())
          + " at line " + p.currentLocation().getLineNr());
    }
    return true;
  }

  static void expectArray(JsonParser p, String source, String path) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return;
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new ReportException(source + ": " + path + " must be an array, at line " + p.currentLocation().getLineNr());
    }
  }
}
