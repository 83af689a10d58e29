package dev.imagepatch.patch.effects;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM as p11-kit reads and writes it (trust/pem.c): blocks found by their {@code -----BEGIN X-----}
 * and matching {@code -----END X-----} lines, RFC 1421 headers skipped, base64 with whitespace
 * ignored; written with 64-character lines.
 */
final class TrustPem {
  /** A block: its type and decoded content. */
  record Block(String type, byte[] der) {}

  private TrustPem() {}

  /** {@code p11_pem_parse}: the blocks that decode, in order. */
  static List<Block> parse(byte[] data) {
    String text = new String(data, StandardCharsets.ISO_8859_1);
    List<Block> out = new ArrayList<>();
    int at = 0;
    while (at < text.length()) {
      int pref = text.indexOf("-----BEGIN ", at);
      if (pref < 0) {
        break;
      }
      int typeStart = pref + 11;
      int suff = text.indexOf("-----", typeStart);
      if (suff < 0 || text.substring(pref, suff).indexOf('\n') >= 0) {
        break;
      }
      String type = text.substring(typeStart, suff);
      int beg = suff + 5;
      int end = text.indexOf("-----END ", beg);
      if (end < 0 || !text.startsWith(type + "-----", end + 9)) {
        break;
      }
      if (beg != end) {
        byte[] decoded = block(text.substring(beg, end));
        if (decoded != null) {
          out.add(new Block(type, decoded));
        }
      }
      at = end + 5;
    }
    return out;
  }

  private static byte[] block(String body) {
    // Headers end at a line holding only whitespace.
    int p = 0;
    while (true) {
      int x = body.indexOf('\n', p);
      if (x < 0) {
        break;
      }
      x++;
      boolean found = false;
      while (x < body.length() && isspace(body.charAt(x))) {
        if (body.charAt(x) == '\n') {
          body = body.substring(x);
          found = true;
          break;
        }
        x++;
      }
      if (found) {
        break;
      }
      p = x;
    }
    StringBuilder b = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (!isspace(c)) {
        b.append(c);
      }
    }
    try {
      return Base64.getDecoder().decode(b.toString());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isspace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }

  /** {@code p11_pem_write}. */
  static String write(byte[] der, String type) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder out = new StringBuilder(b64.length() + b64.length() / 64 + 64);
    out.append("-----BEGIN ").append(type).append("-----\n");
    for (int i = 0; i < b64.length(); i += 64) {
      out.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    out.append("-----END ").append(type).append("-----\n");
    return out.toString();
  }
}
