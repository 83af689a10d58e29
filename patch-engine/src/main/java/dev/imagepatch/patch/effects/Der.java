package dev.imagepatch.patch.effects;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough DER to take certificates apart where p11-kit's libtasn1 does: elements as byte
 * ranges of the original encoding (an issuer or a public key is compared and hashed as it was
 * written, never re-encoded), and the few encoders the trust outputs need.
 */
final class Der {
  /** One element: its tag byte and where its header and content lie in {@code data}. */
  record Element(byte[] data, int tag, int start, int contentStart, int end) {
    byte[] encoded() {
      return Arrays.copyOfRange(data, start, end);
    }

    byte[] content() {
      return Arrays.copyOfRange(data, contentStart, end);
    }

    boolean constructed() {
      return (tag & 0x20) != 0;
    }

    /** The elements inside a constructed one. */
    List<Element> children() {
      List<Element> out = new ArrayList<>();
      int at = contentStart;
      while (at < end) {
        Element e = read(data, at, end);
        out.add(e);
        at = e.end();
      }
      return out;
    }
  }

  /** A malformed encoding. */
  static final class Malformed extends RuntimeException {
    Malformed(String why) {
      super(why);
    }
  }

  private Der() {}

  /** The element at {@code at}, which must end by {@code limit}; single-byte tags only, definite lengths. */
  static Element read(byte[] data, int at, int limit) {
    if (at + 2 > limit) {
      throw new Malformed("truncated");
    }
    int tag = data[at] & 0xff;
    if ((tag & 0x1f) == 0x1f) {
      throw new Malformed("multi-byte tag");
    }
    int len = data[at + 1] & 0xff;
    int header = 2;
    long length;
    if (len < 0x80) {
      length = len;
    } else {
      int n = len & 0x7f;
      if (n == 0 || n > 4 || at + 2 + n > limit) {
        throw new Malformed("bad length");
      }
      length = 0;
      for (int i = 0; i < n; i++) {
        length = (length << 8) | (data[at + 2 + i] & 0xff);
      }
      header += n;
    }
    long end = at + header + length;
    if (end > limit) {
      throw new Malformed("element past its end");
    }
    return new Element(data, tag, at, at + header, (int) end);
  }

  /** The single element that is all of {@code data}. */
  static Element whole(byte[] data) {
    Element e = read(data, 0, data.length);
    if (e.end() != data.length) {
      throw new Malformed("trailing data");
    }
    return e;
  }

  /** The length of the first element of {@code data} with its header (p11_asn1_tlv_length), -1 when none. */
  static int tlvLength(byte[] data) {
    try {
      return read(data, 0, data.length).end();
    } catch (Malformed e) {
      return -1;
    }
  }

  static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    parts.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** An OBJECT IDENTIFIER's content octets as dotted text, null when malformed. */
  static String oid(byte[] content) {
    if (content.length == 0 || (content[content.length - 1] & 0x80) != 0) {
      return null;
    }
    StringBuilder b = new StringBuilder();
    long value = 0;
    boolean first = true;
    for (byte x : content) {
      value = (value << 7) | (x & 0x7f);
      if ((x & 0x80) == 0) {
        if (first) {
          int top = value < 40 ? 0 : value < 80 ? 1 : 2;
          b.append(top).append('.').append(value - 40L * top);
          first = false;
        } else {
          b.append('.').append(value);
        }
        value = 0;
      }
    }
    return b.toString();
  }

  /** The full OBJECT IDENTIFIER element for dotted text. */
  static byte[] oid(String dotted) {
    String[] parts = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long first = Long.parseLong(parts[0]) * 40 + Long.parseLong(parts[1]);
    base128(out, first);
    for (int i = 2; i < parts.length; i++) {
      base128(out, Long.parseLong(parts[i]));
    }
    return tlv(0x06, out.toByteArray());
  }

  private static void base128(ByteArrayOutputStream out, long v) {
    int groups = 1;
    for (long t = v >>> 7; t != 0; t >>>= 7) {
      groups++;
    }
    for (int i = groups - 1; i >= 0; i--) {
      int b = (int) ((v >>> (7 * i)) & 0x7f);
      out.write(i == 0 ? b : b | 0x80);
    }
  }
}
