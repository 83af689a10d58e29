package dev.imagepatch.oci.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import dev.imagepatch.oci.InvalidDocumentException;

/**
 * The one JSON configuration imagepatch uses for image documents. Reading is strict (duplicate
 * keys are an error: two readers could otherwise disagree on what a document says) and exact
 * (decimals keep their scale, big integers stay exact). Writing is compact and escapes like Go's
 * encoding/json, so a re-serialized document reads like one written by the tools that made it.
 * Internal: not part of the public API.
 */
public final class Json {
  private Json() {}

  public static final ObjectMapper MAPPER = newMapper();

  private static ObjectMapper newMapper() {
    JsonFactory factory = new JsonFactoryBuilder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .characterEscapes(new GoEscapes())
        .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);
    mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    return mapper;
  }

  /** Parses a JSON object; errors name {@code source} and the line and column. */
  public static ObjectNode readObject(byte[] bytes, String source) throws InvalidDocumentException {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new InvalidDocumentException(source + ": invalid JSON at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidDocumentException(source + ": unreadable JSON: " + e.getMessage(), e);
    } catch (NumberFormatException e) {
      // Jackson refuses a decimal it cannot hold exactly (an exponent like 7e7777777777) this way.
      throw new InvalidDocumentException(source + ": invalid JSON: " + e.getMessage(), e);
    }
    if (node == null || node.isMissingNode()) {
      throw new InvalidDocumentException(source + ": empty document");
    }
    if (!node.isObject()) {
      throw new InvalidDocumentException(source + ": expected a JSON object, found " + node.getNodeType());
    }
    return (ObjectNode) node;
  }

  /** Compact bytes of a tree. */
  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
  }

  /**
   * Reads at most {@code limit} bytes. Documents (manifests, configs, index.json) are small and
   * held whole; anything larger than the limit is hostile or not a document.
   */
  public static byte[] readLimited(InputStream in, long limit, String source) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      total += n;
      if (total > limit) {
        throw new InvalidDocumentException(source + ": larger than the " + limit + "-byte limit for documents");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** Go's encoding/json escapes {@code < > &} and U+2028/U+2029 with lowercase hex. */
  private static final class GoEscapes extends CharacterEscapes {
    private final int[] ascii;

    GoEscapes() {
      ascii = standardAsciiEscapesForJSON();
      ascii['<'] = ESCAPE_CUSTOM;
      ascii['>'] = ESCAPE_CUSTOM;
      ascii['&'] = ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return switch (ch) {
        case '<' -> new SerializedString("\\u003c");
        case '>' -> new SerializedString("\\u003e");
        case '&' -> new SerializedString("\\u0026");
        case 0x2028 -> new SerializedString("\\u2028");
        case 0x2029 -> new SerializedString("\\u2029");
        default -> null;
      };
    }
  }
}
