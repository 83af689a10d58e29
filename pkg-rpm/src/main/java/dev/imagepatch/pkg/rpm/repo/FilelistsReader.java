package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A repository's {@code filelists.xml} streamed with StAX, one package's complete file list at a
 * time, for the file dependencies primary's subset does not answer. Verified against repomd.xml
 * as {@link PrimaryReader} is.
 */
public final class FilelistsReader {
  private FilelistsReader() {}

  /** One package's files; {@code pkgid} matches {@link RpmRecord#pkgid()}. */
  public record Entry(String pkgid, String name, String arch, String epoch, String version, String release,
      List<RpmFile> files) {}

  public static PrimaryReader.Result read(Repomd.Data data, InputStream stored, String source,
      MetadataSink<Entry> sink) throws IOException {
    try (InputStream content = MetadataFile.open(data, stored, source)) {
      return read(content, source, sink);
    }
  }

  /** Streams decompressed filelists XML (nothing verified; the stream is read to its end). */
  public static PrimaryReader.Result read(InputStream content, String source, MetadataSink<Entry> sink)
      throws IOException {
    return PrimaryReader.packages(content, source, "filelists", "filelists", FilelistsReader::pkg, sink);
  }

  private static Entry pkg(XMLStreamReader r, String where) throws XMLStreamException, IOException {
    String pkgid = Xml.attribute(r, "pkgid");
    String name = Xml.attribute(r, "name");
    String arch = Xml.attribute(r, "arch");
    PrimaryReader.Evr evr = PrimaryReader.Evr.NONE;
    List<RpmFile> files = new ArrayList<>();
    while (r.nextTag() == XMLStreamReader.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "version" -> evr = PrimaryReader.Evr.read(r);
        case "file" -> {
          String type = Xml.attribute(r, "type");
          files.add(new RpmFile(Xml.text(r), type == null ? "file" : type));
        }
        default -> Xml.skip(r);
      }
    }
    if (pkgid == null || name == null) {
      throw new IOException(where + ": a package without pkgid or name");
    }
    return new Entry(pkgid.toLowerCase(java.util.Locale.ROOT), name, arch, evr.epoch(), evr.version(), evr.release(),
        List.copyOf(files));
  }
}
