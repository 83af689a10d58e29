package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;
import java.io.InputStream;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/** StAX for untrusted metadata: no DTD, no external entities, text coalesced; names matched by local name. */
final class Xml {
  private static final XMLInputFactory FACTORY;

  static {
    XMLInputFactory f = XMLInputFactory.newDefaultFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    FACTORY = f;
  }

  private Xml() {}

  static XMLStreamReader reader(InputStream in, String source) throws IOException {
    try {
      return FACTORY.createXMLStreamReader(in);
    } catch (XMLStreamException e) {
      throw new IOException(source + ": not XML: " + e.getMessage(), e);
    }
  }

  /** An attribute by local name, any namespace; null when absent. */
  static String attribute(XMLStreamReader r, String localName) {
    for (int i = 0; i < r.getAttributeCount(); i++) {
      if (r.getAttributeLocalName(i).equals(localName)) {
        return r.getAttributeValue(i);
      }
    }
    return null;
  }

  /** Skips the current element (the reader on its START_ELEMENT) to its END_ELEMENT. */
  static void skip(XMLStreamReader r) throws XMLStreamException {
    toEnd(r, null);
  }

  /** The text of the current element; nested elements (none expected) are skipped. */
  static String text(XMLStreamReader r) throws XMLStreamException {
    StringBuilder sb = new StringBuilder();
    toEnd(r, sb);
    return sb.toString();
  }

  /**
   * Reads to the current element's END_ELEMENT; its own text (not nested elements') is appended to
   * {@code text} when not null.
   */
  private static void toEnd(XMLStreamReader r, StringBuilder text) throws XMLStreamException {
    int depth = 1;
    while (depth > 0) {
      int e = r.next();
      if (e == XMLStreamReader.START_ELEMENT) {
        depth++;
      } else if (e == XMLStreamReader.END_ELEMENT) {
        depth--;
      } else if (text != null && depth == 1 && (e == XMLStreamReader.CHARACTERS || e == XMLStreamReader.CDATA
          || e == XMLStreamReader.SPACE)) {
        text.append(r.getText());
      }
    }
  }

  static long number(String text, String what, String source) throws IOException {
    if (text == null || text.isBlank()) {
      return -1;
    }
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new IOException(source + ": " + what + " is not a number: '" + text + "'");
    }
  }
}
