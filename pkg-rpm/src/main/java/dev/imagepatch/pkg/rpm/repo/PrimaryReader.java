package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A repository's {@code primary.xml} streamed with StAX: one {@link RpmRecord} per
 * {@code <package>} handed to a sink as it is read, so memory holds one package at a time
 * whatever the repository's size. Through {@link #read(Repomd.Data, InputStream, String, MetadataSink)}
 * the file's checksums and sizes are verified against repomd.xml on the way; a mismatch fails at
 * the end of the stream, and the caller must then drop what it received.
 */
public final class PrimaryReader {
  private PrimaryReader() {}

  /** What was read: the {@code packages} count the document declares (-1 when absent) and the packages read. */
  public record Result(long declared, long read) {}

  /** Streams the primary file repomd's {@code data} entry names, its stored bytes read from {@code stored}. */
  public static Result read(Repomd.Data data, InputStream stored, String source, MetadataSink<RpmRecord> sink)
      throws IOException {
    try (InputStream content = MetadataFile.open(data, stored, source)) {
      return read(content, source, sink);
    }
  }

  /** Streams decompressed primary XML (nothing verified; the stream is read to its end). */
  public static Result read(InputStream content, String source, MetadataSink<RpmRecord> sink) throws IOException {
    return packages(content, source, "metadata", "primary", PrimaryReader::pkg, sink);
  }

  /**
   * A package's {@code <version epoch= ver= rel=/>}: epoch "0" when absent or empty, version and
   * release null when absent.
   */
  record Evr(String epoch, String version, String release) {
    static final Evr NONE = new Evr("0", null, null);

    /** The element the reader is on, read to its END_ELEMENT. */
    static Evr read(XMLStreamReader r) throws XMLStreamException {
      String e = Xml.attribute(r, "epoch");
      Evr evr = new Evr(e == null || e.isEmpty() ? "0" : e, Xml.attribute(r, "ver"), Xml.attribute(r, "rel"));
      Xml.skip(r);
      return evr;
    }
  }

  /** Reads one {@code <package>} element, the reader on its START_ELEMENT, to its END_ELEMENT. */
  @FunctionalInterface
  interface PackageElement<T> {
    T read(XMLStreamReader r, String where) throws XMLStreamException, IOException;
  }

  /**
   * Streams a metadata document of {@code <package>} elements under a {@code root} element with a
   * {@code packages} count ({@code kind} names it in errors); the stream is read to its end.
   */
  static <T> Result packages(InputStream content, String source, String root, String kind,
      PackageElement<T> element, MetadataSink<T> sink) throws IOException {
    long count = 0;
    long declared;
    try {
      XMLStreamReader r = Xml.reader(content, source);
      while (r.hasNext() && r.next() != XMLStreamReader.START_ELEMENT) {
        // prolog
      }
      if (!r.isStartElement() || !r.getLocalName().equals(root)) {
        throw new IOException(source + ": not " + kind + " metadata (root element "
            + (r.isStartElement() ? r.getLocalName() : "missing") + ")");
      }
      declared = Xml.number(Xml.attribute(r, "packages"), "packages", source);
      while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
        if (r.getLocalName().equals("package")) {
          count++;
          sink.accept(element.read(r, source + " (package " + count + ")"));
        } else {
          Xml.skip(r);
        }
      }
      r.close();
    } catch (XMLStreamException e) {
      throw failure(source, e, content);
    }
    content.transferTo(OutputStream.nullOutputStream());
    return new Result(declared, count);
  }

  /**
   * The error for a parse that failed: a checksum or bound failure of the underlying stream keeps
   * its message; otherwise the rest of the content is read, so that a corrupt file is reported as
   * not matching repomd.xml rather than as malformed XML.
   */
  static IOException failure(String source, Exception e, InputStream content) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
    }
    IOException malformed = new IOException(source + ": malformed metadata: " + e.getMessage(), e);
    try {
      content.transferTo(OutputStream.nullOutputStream());
    } catch (IOException io) {
      io.addSuppressed(malformed);
      return io;
    }
    return malformed;
  }

  private static RpmRecord pkg(XMLStreamReader r, String where) throws XMLStreamException, IOException {
    String name = null;
    String arch = null;
    Evr evr = Evr.NONE;
    Checksum checksum = null;
    String location = null;
    String base = null;
    long packageSize = -1;
    long installed = -1;
    long archive = -1;
    long fileTime = -1;
    long buildTime = -1;
    Format f = new Format();
    while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "name" -> name = Xml.text(r).strip();
        case "arch" -> arch = Xml.text(r).strip();
        case "version" -> evr = Evr.read(r);
        case "checksum" -> {
          String type = Xml.attribute(r, "type");
          checksum = new Checksum(type == null ? "" : type, Xml.text(r));
        }
        case "time" -> {
          fileTime = Xml.number(Xml.attribute(r, "file"), "time file", where);
          buildTime = Xml.number(Xml.attribute(r, "build"), "time build", where);
          Xml.skip(r);
        }
        case "size" -> {
          packageSize = Xml.number(Xml.attribute(r, "package"), "size package", where);
          installed = Xml.number(Xml.attribute(r, "installed"), "size installed", where);
          archive = Xml.number(Xml.attribute(r, "archive"), "size archive", where);
          Xml.skip(r);
        }
        case "location" -> {
          location = Xml.attribute(r, "href");
          base = Xml.attribute(r, "base");
          Xml.skip(r);
        }
        case "format" -> format(r, f, where);
        default -> Xml.skip(r);
      }
    }
    if (name == null || arch == null || evr.version() == null || evr.release() == null || checksum == null
        || location == null) {
      throw new IOException(where + (name == null ? "" : " " + name)
          + ": a package without name, arch, version, release, checksum or location");
    }
    return new RpmRecord(name, arch, evr.epoch(), evr.version(), evr.release(), checksum, location, base, packageSize,
        installed, archive, fileTime, buildTime, f.sourceRpm, f.headerStart, f.headerEnd, f.list("provides"),
        f.list("requires"), f.list("conflicts"), f.list("obsoletes"), f.list("recommends"), f.list("suggests"),
        f.list("supplements"), f.list("enhances"), List.copyOf(f.files));
  }

  private static final class Format {
    String sourceRpm;
    long headerStart = -1;
    long headerEnd = -1;
    final java.util.Map<String, List<RpmDependency>> deps = new java.util.HashMap<>();
    final List<RpmFile> files = new ArrayList<>();

    List<RpmDependency> list(String kind) {
      List<RpmDependency> l = deps.get(kind);
      return l == null ? List.of() : List.copyOf(l);
    }
  }

  private static final java.util.Set<String> KINDS = java.util.Set.of("provides", "requires", "conflicts",
      "obsoletes", "recommends", "suggests", "supplements", "enhances");

  private static void format(XMLStreamReader r, Format f, String where) throws XMLStreamException, IOException {
    while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
      String local = r.getLocalName();
      if (local.equals("sourcerpm")) {
        String s = Xml.text(r).strip();
        f.sourceRpm = s.isEmpty() ? null : s;
      } else if (local.equals("header-range")) {
        f.headerStart = Xml.number(Xml.attribute(r, "start"), "header-range start", where);
        f.headerEnd = Xml.number(Xml.attribute(r, "end"), "header-range end", where);
        Xml.skip(r);
      } else if (local.equals("file")) {
        String type = Xml.attribute(r, "type");
        f.files.add(new RpmFile(Xml.text(r), type == null ? "file" : type));
      } else if (KINDS.contains(local)) {
        List<RpmDependency> list = f.deps.computeIfAbsent(local, k -> new ArrayList<>());
        entries(r, list, where);
      } else {
        Xml.skip(r);
      }
    }
  }

  private static void entries(XMLStreamReader r, List<RpmDependency> list, String where)
      throws XMLStreamException, IOException {
    while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
      if (r.getLocalName().equals("entry")) {
        String name = Xml.attribute(r, "name");
        if (name == null) {
          throw new IOException(where + ": a dependency entry without a name");
        }
        String pre = Xml.attribute(r, "pre");
        list.add(new RpmDependency(name, RpmDependency.Flags.of(Xml.attribute(r, "flags"), where),
            Xml.attribute(r, "epoch"), Xml.attribute(r, "ver"), Xml.attribute(r, "rel"),
            pre != null && (pre.equals("1") || pre.equalsIgnoreCase("true"))));
      }
      Xml.skip(r);
    }
  }
}
