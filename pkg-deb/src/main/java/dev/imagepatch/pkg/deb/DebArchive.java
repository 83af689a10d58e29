package dev.imagepatch.pkg.deb;

import dev.imagepatch.pkg.io.Bounded;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.io.input.BoundedInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lzma.LZMACompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * A Debian binary package ({@code deb(5)}): an ar archive of {@code debian-binary},
 * {@code control.tar[.gz|.xz|.zst]} and {@code data.tar[.gz|.xz|.zst|.bz2|.lzma]}, the
 * compressions dpkg reads for each. The control archive is read
 * when the package is opened (it is small: control, md5sums, conffiles, maintainer scripts); the
 * data archive is streamed on demand, entry by entry, straight from the file.
 */
public final class DebArchive {
  private static final byte[] AR_MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
  private static final long CONTROL_LIMIT = 64L << 20;
  /** The most the control archive's files may hold together, decompressed: 128 MiB. */
  public static final long CONTROL_TOTAL_LIMIT = 128L << 20;
  /** The least a data archive may unpack to, whatever its Installed-Size says: 1 GiB. */
  public static final long DATA_FLOOR = 1L << 30;
  /** The margin a data archive may unpack to beyond its Installed-Size: tar headers and padding. */
  public static final long DATA_MARGIN = 64L << 20;
  /** The most a data archive without an Installed-Size may unpack to: 4 GiB. */
  public static final long DATA_LIMIT_WITHOUT_SIZE = 4L << 30;

  /** A member of the data archive, as the visitor sees it. */
  @FunctionalInterface
  public interface DataVisitor {
    /** Called for each entry in archive order; {@code content} is that entry's bytes (files only). */
    void entry(TarArchiveEntry entry, InputStream content) throws IOException;
  }

  /** A file of the control archive: its bytes, permission bits and modification time. */
  public record ControlMember(byte[] content, int mode, long mtimeSeconds) {}

  private final Path file;
  private final Map<String, ControlMember> members;
  private final Map<String, byte[]> controlMembers;
  private final Paragraph control;
  private final long dataOffset;
  private final long dataSize;
  private final String dataMember;

  private DebArchive(Path file, Map<String, ControlMember> members, Paragraph control, long dataOffset,
      long dataSize, String dataMember) {
    this.file = file;
    this.members = members;
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    members.forEach((k, v) -> bytes.put(k, v.content()));
    this.controlMembers = Collections.unmodifiableMap(bytes);
    this.control = control;
    this.dataOffset = dataOffset;
    this.dataSize = dataSize;
    this.dataMember = dataMember;
  }

  /**
   * Opens a .deb after checking that its SHA256 is {@code expectedSha256} (hex, as a Packages
   * index gives it); a mismatch is an error naming the file and both digests, before anything of
   * the package is used.
   */
  public static DebArchive open(Path file, String expectedSha256) throws IOException {
    String actual = sha256(file);
    if (!actual.equalsIgnoreCase(expectedSha256.strip())) {
      throw new IOException(file + ": SHA256 is " + actual + ", but the repository index says " + expectedSha256.strip());
    }
    return open(file);
  }

  /** Opens a .deb without a digest check (for packages already verified, or local files). */
  public static DebArchive open(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
      byte[] magic = in.readNBytes(AR_MAGIC.length);
      if (!java.util.Arrays.equals(magic, AR_MAGIC)) {
        throw new IOException(file + ": not a Debian package (no ar archive header)");
      }
      long offset = AR_MAGIC.length;
      Member first = Member.read(in, file, offset);
      if (first == null || !first.name.equals("debian-binary")) {
        throw new IOException(file + ": the first member is not debian-binary");
      }
      String version = new String(in.readNBytes((int) Math.min(first.size, 64)), StandardCharsets.US_ASCII);
      if (!version.startsWith("2.")) {
        throw new IOException(file + ": unsupported package format version " + version.strip());
      }
      skipFully(in, first.size - Math.min(first.size, 64) + (first.size & 1));
      offset = first.dataOffset + first.size + (first.size & 1);
      Map<String, ControlMember> controlMembers = null;
      while (true) {
        Member m = Member.read(in, file, offset);
        if (m == null) {
          throw new IOException(file + ": no data.tar member");
        }
        if (m.name.startsWith("_")) {
          skipFully(in, m.size + (m.size & 1)); // reserved for local additions, ignored as dpkg does
        } else if (m.name.startsWith("control.tar")) {
          if (m.size > CONTROL_LIMIT) {
            throw new IOException(file + ": control archive of " + m.size + " bytes is too large");
          }
          if (compression(m.name, file).equals("bz2")) {
            throw new IOException(file + ": unsupported compression of member " + m.name
                + " (dpkg reads bzip2 only for data.tar)");
          }
          InputStream member = bounded(in, m.size);
          controlMembers = readControl(member, m.name, file);
          // The decompressor may stop at the end of the tar, before the end of the member.
          member.transferTo(java.io.OutputStream.nullOutputStream());
          skipFully(in, m.size & 1);
        } else if (m.name.startsWith("data.tar")) {
          if (controlMembers == null) {
            throw new IOException(file + ": data.tar comes before control.tar");
          }
          compression(m.name, file); // refuse unknown compressions now, not on first use
          ControlMember controlMember = controlMembers.get("control");
          if (controlMember == null) {
            throw new IOException(file + ": control archive has no control file");
          }
          byte[] controlBytes = controlMember.content();
          List<Paragraph> paragraphs = ControlFile.parse(new String(controlBytes, StandardCharsets.UTF_8),
              file + ":control");
          if (paragraphs.size() != 1) {
            throw new IOException(file + ": control file must hold one paragraph, found " + paragraphs.size());
          }
          return new DebArchive(file, Collections.unmodifiableMap(controlMembers), paragraphs.get(0), m.dataOffset,
              m.size, m.name);
        } else {
          throw new IOException(file + ": unexpected member " + m.name);
        }
        offset = m.dataOffset + m.size + (m.size & 1);
      }
    }
  }

  /**
   * The most a control member may hold: {@code control} and {@code conffiles} 1 MiB,
   * {@code md5sums} 64 MiB, any other (maintainer scripts, triggers, shlibs, symbols, templates) 16 MiB.
   */
  public static long controlMemberLimit(String name) {
    return switch (name) {
      case "control", "conffiles" -> 1L << 20;
      case "md5sums" -> 64L << 20;
      default -> 16L << 20;
    };
  }

  private static Map<String, ControlMember> readControl(InputStream member, String name, Path file)
      throws IOException {
    Map<String, ControlMember> out = new LinkedHashMap<>();
    String what = file + ": " + name;
    InputStream all = Bounded.limit(decompress(member, name, file), CONTROL_TOTAL_LIMIT,
        () -> what + " unpacks to more than " + CONTROL_TOTAL_LIMIT + " bytes");
    try (Bounded.HeaderGuard guard = new Bounded.HeaderGuard(all);
         TarArchiveInputStream tar = new TarArchiveInputStream(guard, 512)) {
      TarArchiveEntry e;
      while ((e = guard.next(tar, Bounded.TAR_HEADER_LIMIT, what, tar::getNextEntry)) != null) {
        if (isRegularFile(e)) {
          String n = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
          long limit = controlMemberLimit(n);
          byte[] content = Bounded.readAll(tar, limit, () -> what + ": member " + n + " is larger than its limit of "
              + limit + " bytes");
          out.put(n, new ControlMember(content, e.getMode() & 07777, e.getModTime().getTime() / 1000));
        }
      }
    }
    return out;
  }

  /** True for regular files only: commons-compress's {@code isFile()} is also true for links. */
  public static boolean isRegularFile(TarArchiveEntry e) {
    return e.isFile() && !e.isSymbolicLink() && !e.isLink() && !e.isCharacterDevice() && !e.isBlockDevice()
        && !e.isFIFO();
  }

  public Path file() {
    return file;
  }

  /** The control paragraph (Package, Version, Architecture, Depends, ...). */
  public Paragraph control() {
    return control;
  }

  public String packageName() {
    return control.require("Package");
  }

  public String version() {
    return control.require("Version");
  }

  public String architecture() {
    return control.require("Architecture");
  }

  /** Every file of the control archive by name: control, md5sums, conffiles, preinst, postinst, ... */
  public Map<String, byte[]> controlMembers() {
    return controlMembers;
  }

  /** The control archive's files with their modes and times, as dpkg copies them into info/. */
  public Map<String, ControlMember> controlArchive() {
    return members;
  }

  /** The md5sums file as path (without leading '/') to hex digest, in file order. */
  public Map<String, String> md5sums() throws IOException {
    byte[] bytes = controlMembers.get("md5sums");
    Map<String, String> out = new LinkedHashMap<>();
    if (bytes == null) {
      return out;
    }
    int n = 0;
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      // "<32 hex digits>  <path>", as md5sum writes it.
      if (line.length() < 35 || line.charAt(32) != ' ' || line.charAt(33) != ' ') {
        throw new IOException(file + ": md5sums line " + n + " is not '<md5>  <path>'");
      }
      out.put(line.substring(34), line.substring(0, 32));
    }
    return out;
  }

  /**
   * A line of the conffiles member: an absolute path, and whether the package asks dpkg to remove
   * the file on upgrade instead of shipping it (the {@code remove-on-upgrade} flag of dpkg 1.20).
   */
  public record Conffile(String path, boolean removeOnUpgrade) {}

  /** The conffiles member's entries, in file order. */
  public List<Conffile> conffileEntries() throws IOException {
    byte[] bytes = controlMembers.get("conffiles");
    List<Conffile> out = new ArrayList<>();
    if (bytes == null) {
      return out;
    }
    int n = 0;
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      n++;
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      if (l.startsWith("/")) {
        out.add(new Conffile(l, false));
      } else if (l.startsWith("remove-on-upgrade /")) {
        out.add(new Conffile(l.substring("remove-on-upgrade ".length()).strip(), true));
      } else {
        throw new IOException(file + ": conffiles line " + n + " is neither a path nor 'remove-on-upgrade <path>': "
            + l);
      }
    }
    return out;
  }

  /** The conffiles the package ships: absolute paths, in file order. */
  public List<String> conffiles() throws IOException {
    return conffileEntries().stream().filter(c -> !c.removeOnUpgrade()).map(Conffile::path).toList();
  }

  /** The data archive's compression, from its member name: none, gz, xz, zst, bz2 or lzma. */
  public String dataCompression() throws IOException {
    return compression(dataMember, file);
  }

  /**
   * The most the data archive may unpack to: four times its {@code Installed-Size} (KiB, as dpkg
   * counts it) and {@link #DATA_MARGIN}, or {@link #DATA_LIMIT_WITHOUT_SIZE} when it gives none.
   */
  public long dataLimit() {
    String installed = control.get("Installed-Size").orElse("").strip();
    if (!installed.matches("[0-9]{1,12}")) {
      return DATA_LIMIT_WITHOUT_SIZE;
    }
    // Installed-Size is often stale in hand-built .debs: never less than DATA_FLOOR.
    return Math.max(Long.parseLong(installed) * 1024 * 4 + DATA_MARGIN, DATA_FLOOR);
  }

  /**
   * Streams the data archive's entries to {@code visitor}, in archive order; an archive that
   * unpacks to more than {@link #dataLimit()} fails, and reading stops when the thread is interrupted.
   */
  public void readData(DataVisitor visitor) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.position(dataOffset);
      InputStream raw = bounded(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16), dataSize);
      long limit = dataLimit();
      String what = file + ": " + dataMember;
      InputStream data = Bounded.limit(decompress(raw, dataMember, file), limit, () -> what + " unpacks to more than "
          + limit + " bytes (Installed-Size: " + control.get("Installed-Size").orElse("none") + " KiB; the limit is"
          + " four times the Installed-Size and " + DATA_MARGIN + " bytes, or " + DATA_LIMIT_WITHOUT_SIZE
          + " without one)");
      try (Bounded.HeaderGuard guard = new Bounded.HeaderGuard(data);
           TarArchiveInputStream tar = new TarArchiveInputStream(guard, 512)) {
        TarArchiveEntry e;
        while ((e = guard.next(tar, Bounded.TAR_HEADER_LIMIT, what, tar::getNextEntry)) != null) {
          visitor.entry(e, tar);
        }
      }
    }
  }

  private static String compression(String member, Path file) throws IOException {
    return switch (member) {
      case "data.tar", "control.tar" -> "none";
      default -> {
        String ext = member.substring(member.indexOf(".tar") + 4);
        yield switch (ext) {
          case ".gz" -> "gz";
          case ".xz" -> "xz";
          case ".zst" -> "zst";
          case ".bz2" -> "bz2";
          case ".lzma" -> "lzma";
          default -> throw new IOException(file + ": unsupported compression of member " + member);
        };
      }
    };
  }

  /**
   * dpkg-deb writes tars that end after the two zero blocks, without padding to a full record, so
   * the tar reader is told records are one block: it must not read past the end of the data.
   */
  private static InputStream decompress(InputStream in, String member, Path file) throws IOException {
    return switch (compression(member, file)) {
      case "gz" -> new GzipCompressorInputStream(in, false);
      case "xz" -> new XZCompressorInputStream(in);
      case "zst" -> new ZstdCompressorInputStream(in);
      case "bz2" -> new BZip2CompressorInputStream(in);
      case "lzma" -> new LZMACompressorInputStream(in);
      default -> in;
    };
  }

  /** The next {@code limit} bytes of a stream; closing the view leaves the stream open. */
  private static InputStream bounded(InputStream in, long limit) throws IOException {
    return BoundedInputStream.builder().setInputStream(in).setMaxCount(limit).setPropagateClose(false).get();
  }

  /** The SHA256 of a file, streamed. */
  public static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new EOFException("truncated package");
        }
        s = 1;
      }
      left -= s;
    }
  }

  /** An ar member header: 60 bytes of name, mtime, uid, gid, mode, size and the magic "`\n". */
  private record Member(String name, long size, long dataOffset) {
    static Member read(InputStream in, Path file, long offset) throws IOException {
      byte[] h = in.readNBytes(60);
      if (h.length == 0) {
        return null;
      }
      if (h.length < 60 || h[58] != '`' || h[59] != '\n') {
        throw new IOException(file + ": bad ar member header at offset " + offset);
      }
      String name = new String(h, 0, 16, StandardCharsets.US_ASCII).strip();
      if (name.endsWith("/")) {
        name = name.substring(0, name.length() - 1);
      }
      String sizeText = new String(h, 48, 10, StandardCharsets.US_ASCII).strip();
      long size;
      try {
        size = Long.parseLong(sizeText);
      } catch (NumberFormatException e) {
        throw new IOException(file + ": bad size '" + sizeText + "' of ar member " + name);
      }
      if (size < 0) {
        throw new IOException(file + ": negative size of ar member " + name);
      }
      return new Member(name, size, offset + 60);
    }
  }
}
