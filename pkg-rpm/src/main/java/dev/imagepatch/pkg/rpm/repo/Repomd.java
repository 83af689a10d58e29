package dev.imagepatch.pkg.rpm.repo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * A repository's {@code repodata/repomd.xml}: its revision and the metadata files it names, each
 * with the checksum and size of the file as stored and, for compressed files, of its content
 * ({@code open-checksum}, {@code open-size}). Unknown elements and namespaces are passed over;
 * zchunk entries ({@code *_zck}) are left out, as imagepatch reads the plain compressed files.
 *
 * @param revision the {@code <revision>}, empty when absent
 * @param data the data entries in document order, zchunk ones excluded
 * @param signedBy key ids of the good signatures when {@link #verified} checked a {@code .asc}; empty otherwise
 */
public record Repomd(String revision, List<Data> data, List<String> signedBy) {
  /** The largest repomd.xml read: real ones are a few KiB. */
  public static final int LIMIT = 4 << 20;

  public Repomd {
    data = List.copyOf(data);
    signedBy = List.copyOf(signedBy);
  }

  /**
   * One {@code <data type="...">} entry.
   *
   * @param type e.g. primary, filelists, other, modules, updateinfo, group, primary_db
   * @param location the {@code location href}, relative to the repository's base URL
   * @param locationBase the {@code location xml:base}, null when absent
   * @param checksum of the file as stored
   * @param openChecksum of its decompressed content; null when absent (uncompressed files)
   * @param size of the file as stored; -1 when absent
   * @param openSize of its decompressed content; -1 when absent
   * @param timestamp seconds since the epoch; -1 when absent
   * @param databaseVersion the sqlite schema version of *_db entries; -1 when absent
   */
  public record Data(String type, String location, String locationBase, Checksum checksum, Checksum openChecksum,
      long size, long openSize, long timestamp, int databaseVersion) {
    /** The file's name, the last component of its location. */
    public String fileName() {
      return location.substring(location.lastIndexOf('/') + 1);
    }
  }

  /** The entry of a type, e.g. {@code "primary"}. */
  public Optional<Data> data(String type) {
    return data.stream().filter(d -> d.type().equals(type)).findFirst();
  }

  /** The entry of a type, or an error naming the repository. */
  public Data require(String type, String source) throws IOException {
    return data(type).orElseThrow(() -> new IOException(source + ": repomd.xml lists no '" + type + "' metadata"));
  }

  /**
   * Verifies and parses a repository's repomd.xml as dnf does. With {@code repoGpgcheck}, the
   * detached signature must be present and verify against {@code keys}; without it, a signature
   * that is present is still checked when keys are given (a bad one is never accepted).
   */
  public static Repomd verified(byte[] xml, Optional<byte[]> asc, PGPPublicKeyRingCollection keys,
      boolean repoGpgcheck, String source) throws IOException {
    List<String> signedBy = List.of();
    if (asc.isPresent()) {
      if (keys == null) {
        if (repoGpgcheck) {
          throw new IOException(source + ": repo_gpgcheck is on but no keys were given to check repomd.xml.asc");
        }
      } else {
        signedBy = RepomdSignature.verify(xml, asc.get(), keys, source);
      }
    } else if (repoGpgcheck) {
      throw new IOException(source + ": repo_gpgcheck is on but the repository has no repomd.xml.asc");
    }
    Repomd parsed = parse(xml, source);
    return new Repomd(parsed.revision, parsed.data, signedBy);
  }

  /** Parses a repomd.xml without any signature check. */
  public static Repomd parse(byte[] xml, String source) throws IOException {
    if (xml.length > LIMIT) {
      throw new IOException(source + ": repomd.xml larger than " + LIMIT + " bytes");
    }
    try {
      XMLStreamReader r = Xml.reader(new ByteArrayInputStream(xml), source);
      while (r.hasNext() && r.next() != XMLStreamReader.START_ELEMENT) {
        // prolog
      }
      if (!r.isStartElement() || !r.getLocalName().equals("repomd")) {
        throw new IOException(source + ": not a repomd document (root element "
            + (r.isStartElement() ? r.getLocalName() : "missing") + ")");
      }
      String revision = "";
      List<Data> data = new ArrayList<>();
      while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
        switch (r.getLocalName()) {
          case "revision" -> revision = Xml.text(r).strip();
          case "data" -> {
            Data d = data(r, source);
            if (!d.type().endsWith("_zck")) {
              data.add(d);
            }
          }
          default -> Xml.skip(r);
        }
      }
      return new Repomd(revision, data, List.of());
    } catch (XMLStreamException | RuntimeException e) {
      throw new IOException(source + ": malformed repomd.xml: " + e.getMessage(), e);
    }
  }

  private static Data data(XMLStreamReader r, String source) throws XMLStreamException, IOException {
    String type = Xml.attribute(r, "type");
    if (type == null || type.isBlank()) {
      throw new IOException(source + ": a <data> entry without a type");
    }
    String where = source + " (" + type + ")";
    String location = null;
    String base = null;
    Checksum checksum = null;
    Checksum open = null;
    long size = -1;
    long openSize = -1;
    long timestamp = -1;
    long dbVersion = -1;
    while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "location" -> {
          location = Xml.attribute(r, "href");
          base = Xml.attribute(r, "base");
          Xml.skip(r);
        }
        case "checksum" -> checksum = checksum(r, where);
        case "open-checksum" -> open = checksum(r, where);
        case "size" -> size = Xml.number(Xml.text(r), "size", where);
        case "open-size" -> openSize = Xml.number(Xml.text(r), "open-size", where);
        // Seconds, written by some generators with a fraction.
        case "timestamp" -> timestamp = (long) Double.parseDouble(Xml.text(r).strip());
        case "database_version" -> dbVersion = Xml.number(Xml.text(r), "database_version", where);
        default -> Xml.skip(r);
      }
    }
    if (location == null || location.isBlank()) {
      throw new IOException(where + ": no location href");
    }
    if (checksum == null) {
      throw new IOException(where + ": no checksum");
    }
    return new Data(type, location, base, checksum, open, size, openSize, timestamp, (int) dbVersion);
  }

  private static Checksum checksum(XMLStreamReader r, String where) throws XMLStreamException, IOException {
    String type = Xml.attribute(r, "type");
    String hex = Xml.text(r);
    if (type == null) {
      throw new IOException(where + ": a checksum without a type");
    }
    Checksum c = new Checksum(type, hex);
    c.digest(where); // type known, value well-formed
    return c;
  }
}
