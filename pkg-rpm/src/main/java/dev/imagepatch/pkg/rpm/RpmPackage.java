package dev.imagepatch.pkg.rpm;

import dev.imagepatch.pkg.io.Bounded;
import dev.imagepatch.pkg.io.Tap;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lzma.LZMACompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * An rpm package file: the 96-byte lead, the signature header (padded to 8 bytes), the header and
 * the payload, a cpio archive (newc {@code 070701}, or rpm's stripped {@code 07070X} entries for
 * packages with files of 4 GiB or more) compressed as PAYLOADCOMPRESSOR says (gzip, bzip2, xz,
 * lzma, zstd; none when the tag is absent and the payload is not gzip, as rpm's gzip reader passes
 * plain data through).
 *
 * <p>{@link #open} reads the lead and both headers and checks the header digests the signature
 * header carries (SHA256HEADER, SHA1HEADER); {@link #payload} streams the payload and checks, by its
 * end, the payload digest (PAYLOADDIGEST over the compressed payload, PAYLOADDIGESTALT over the
 * uncompressed one), the MD5 over header and payload (the signature header's MD5 tag, rpm's SIGMD5),
 * the sizes, and every regular file's content against FILEDIGESTS. Every failure names the package.
 * OpenPGP signatures are {@link RpmSignatures}'s.
 */
public final class RpmPackage {
  private static final byte[] LEAD_MAGIC = {(byte) 0xed, (byte) 0xab, (byte) 0xee, (byte) 0xdb};
  static final int LEAD_SIZE = 96;
  /** The most a payload entry's name may hold (rpm's paths are at most PATH_MAX, 4096). */
  static final int NAME_LIMIT = 1 << 16;
  /** The most memory an xz or lzma payload's decoder may take, in KiB (256 MiB). */
  static final int XZ_MEMORY_KIB = 256 << 10;
  /** Besides the files' sizes, what a cpio payload may add per file (header, name, padding). */
  static final long PER_FILE_OVERHEAD = 110 + NAME_LIMIT + 8;

  /** A file as the header describes it. */
  public record RpmFile(String path, int mode, String user, String group, long size, long mtime, String digest,
      String linkTo, int flags, int rdev, int inode, String lang, String caps) {
    public boolean isConfig() {
      return (flags & Tags.FILE_CONFIG) != 0;
    }

    public boolean isDoc() {
      return (flags & Tags.FILE_DOC) != 0;
    }

    public boolean isGhost() {
      return (flags & Tags.FILE_GHOST) != 0;
    }

    public boolean isLicense() {
      return (flags & Tags.FILE_LICENSE) != 0;
    }

    public boolean isNoReplace() {
      return (flags & Tags.FILE_NOREPLACE) != 0;
    }

    public boolean isMissingOk() {
      return (flags & Tags.FILE_MISSINGOK) != 0;
    }

    public boolean isRegular() {
      return (mode & 0170000) == 0100000;
    }

    public boolean isDirectory() {
      return (mode & 0170000) == 0040000;
    }

    public boolean isSymlink() {
      return (mode & 0170000) == 0120000;
    }
  }

  /**
   * A payload entry: its path as the header names it ({@code /usr/bin/x}; {@code foo.spec} in a
   * source package), the cpio metadata, and the header's file for it. Hard links come as rpm writes
   * them: every name of the set, the content with the last one only ({@code size} 0 for the others).
   */
  public record PayloadEntry(String path, int mode, long size, int inode, int nlink, long mtime, RpmFile file) {
    public boolean isRegular() {
      return (mode & 0170000) == 0100000;
    }
  }

  /** Called for each payload entry in archive order; {@code content} is its data (regular files). */
  @FunctionalInterface
  public interface PayloadVisitor {
    void entry(PayloadEntry entry, InputStream content) throws IOException;
  }

  private final Path file;
  private final String source;
  private final byte[] lead;
  private final Header signature;
  private final Header header;
  private final long headerOffset;
  private final long payloadOffset;
  private final long fileSize;
  private final List<RpmFile> files;
  private final Map<String, Integer> fileIndex;

  private RpmPackage(Path file, byte[] lead, Header signature, Header header, long headerOffset,
      long payloadOffset, long fileSize) throws IOException {
    this.file = file;
    this.source = file.toString();
    this.lead = lead;
    this.signature = signature;
    this.header = header;
    this.headerOffset = headerOffset;
    this.payloadOffset = payloadOffset;
    this.fileSize = fileSize;
    this.files = Collections.unmodifiableList(readFiles(header, source));
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      index.put(files.get(i).path(), i);
    }
    this.fileIndex = index;
  }

  /** Reads the lead and headers of {@code file} and checks the header digests; the payload is read on demand. */
  public static RpmPackage open(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream raw = Files.newInputStream(file);
         InputStream in = new BufferedInputStream(raw)) {
      byte[] lead = in.readNBytes(LEAD_SIZE);
      if (lead.length < LEAD_SIZE) {
        throw new IOException(file + ": not an rpm package (" + lead.length + " bytes, shorter than the lead)");
      }
      if (!Arrays.equals(lead, 0, 4, LEAD_MAGIC, 0, 4)) {
        throw new IOException(file + ": not an rpm package (no lead magic ed ab ee db)");
      }
      int major = lead[4] & 0xff;
      if (major < 3 || major > 4) {
        throw new IOException(file + ": unsupported rpm lead version " + major);
      }
      int sigType = ((lead[78] & 0xff) << 8) | (lead[79] & 0xff);
      if (sigType != 5) {
        throw new IOException(file + ": unsupported signature type " + sigType + " in the lead (rpm reads 5, a header)");
      }
      Header signature = Header.read(in, file + " (signature header)", Header.SIGNATURE_MAX_ENTRIES,
          Header.SIGNATURE_MAX_DATA);
      int dl = signature.blob().length - 8 - 16 * signature.entries().size();
      int pad = (8 - dl % 8) % 8;
      if (in.readNBytes(pad).length != pad) {
        throw new IOException(file + ": truncated after the signature header");
      }
      long headerOffset = LEAD_SIZE + 8L + signature.blob().length + pad;
      Header header = Header.read(in, file.toString());
      long payloadOffset = headerOffset + 8 + header.blob().length;
      RpmPackage p = new RpmPackage(file, lead, signature, header, headerOffset, payloadOffset, size);
      p.checkHeaderDigests();
      return p;
    }
  }

  private void checkHeaderDigests() throws IOException {
    byte[] bytes = header.withMagic();
    for (int[] tagAlgo : new int[][] {{Tags.SHA256HEADER, Tags.DIGEST_SHA256}, {Tags.SHA1HEADER, Tags.DIGEST_SHA1}}) {
      Optional<String> expected = signature.string(tagAlgo[0]);
      if (expected.isPresent()) {
        String actual = HexFormat.of().formatHex(digest(tagAlgo[1]).digest(bytes));
        if (!actual.equalsIgnoreCase(expected.get())) {
          throw new IOException(source + ": header " + algorithmName(tagAlgo[1]) + " digest is " + actual
              + ", but the signature header says " + expected.get() + " (the header was altered)");
        }
      }
    }
  }

  static MessageDigest digest(int algo) throws IOException {
    try {
      return MessageDigest.getInstance(algorithmName(algo));
    } catch (NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }

  static String algorithmName(int algo) throws IOException {
    return switch (algo) {
      case Tags.DIGEST_MD5 -> "MD5";
      case Tags.DIGEST_SHA1 -> "SHA-1";
      case Tags.DIGEST_SHA256 -> "SHA-256";
      case Tags.DIGEST_SHA384 -> "SHA-384";
      case Tags.DIGEST_SHA512 -> "SHA-512";
      case Tags.DIGEST_SHA224 -> "SHA-224";
      default -> throw new IOException("unknown rpm digest algorithm " + algo);
    };
  }

  /**
   * The files a header lists (a package's, or an installed one from a database), with the same
   * checks on their paths as {@link #open}; errors name the header's source.
   */
  public static List<RpmFile> files(Header h) throws IOException {
    return Collections.unmodifiableList(readFiles(h, h.source()));
  }

  private static List<RpmFile> readFiles(Header h, String source) throws IOException {
    List<String> paths;
    List<String> basenames = h.strings(Tags.BASENAMES);
    if (!basenames.isEmpty()) {
      List<String> dirnames = h.strings(Tags.DIRNAMES);
      long[] dirindexes = h.numbers(Tags.DIRINDEXES);
      if (dirindexes.length != basenames.size()) {
        throw new IOException(source + ": " + basenames.size() + " BASENAMES but " + dirindexes.length
            + " DIRINDEXES");
      }
      paths = new ArrayList<>(basenames.size());
      for (int i = 0; i < basenames.size(); i++) {
        if (dirindexes[i] >= dirnames.size()) {
          throw new IOException(source + ": DIRINDEXES[" + i + "] = " + dirindexes[i] + " past the "
              + dirnames.size() + " DIRNAMES");
        }
        paths.add(dirnames.get((int) dirindexes[i]) + basenames.get(i));
      }
    } else {
      paths = h.strings(Tags.OLDFILENAMES);
    }
    // A later backend writes these paths into a layer (the payload's cpio names are matched to
    // them, so they are the only names a payload can use): refuse those that could not be a file of
    // the image, as the project's SafePath and dpkg do: a ".." component, a NUL, a newline or a
    // carriage return, and, in a binary package, a path that is not absolute (rpmbuild writes
    // DIRNAMES absolute; only a source package's files are bare names).
    boolean sourcePackage = !h.has(Tags.SOURCERPM);
    for (String path : paths) {
      checkPath(path, sourcePackage, source);
    }
    int n = paths.size();
    long[] modes = arrayOf(h, Tags.FILEMODES, n, source);
    long[] sizes = h.has(Tags.LONGFILESIZES) ? arrayOf(h, Tags.LONGFILESIZES, n, source)
        : arrayOf(h, Tags.FILESIZES, n, source);
    long[] mtimes = arrayOf(h, Tags.FILEMTIMES, n, source);
    long[] flags = arrayOf(h, Tags.FILEFLAGS, n, source);
    long[] rdevs = arrayOf(h, Tags.FILERDEVS, n, source);
    long[] inodes = arrayOf(h, Tags.FILEINODES, n, source);
    List<String> users = stringsOf(h, Tags.FILEUSERNAME, n, source);
    List<String> groups = stringsOf(h, Tags.FILEGROUPNAME, n, source);
    List<String> digests = stringsOf(h, Tags.FILEDIGESTS, n, source);
    List<String> links = stringsOf(h, Tags.FILELINKTOS, n, source);
    List<String> langs = stringsOf(h, Tags.FILELANGS, n, source);
    List<String> caps = stringsOf(h, Tags.FILECAPS, n, source);
    List<RpmFile> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new RpmFile(paths.get(i), (int) modes[i], users.get(i), groups.get(i), sizes[i], mtimes[i],
          digests.get(i), links.get(i), (int) flags[i], (int) rdevs[i], (int) inodes[i], langs.get(i), caps.get(i)));
    }
    return out;
  }

  private static void checkPath(String path, boolean sourcePackage, String source) throws IOException {
    String why = null;
    if (path.isEmpty()) {
      why = "is empty";
    } else if (path.indexOf('\0') >= 0 || path.indexOf('\n') >= 0 || path.indexOf('\r') >= 0) {
      why = "holds a NUL, newline or carriage return";
    } else if (!sourcePackage && !path.startsWith("/")) {
      why = "is not absolute";
    } else {
      for (String component : path.split("/", -1)) {
        if (component.equals("..")) {
          why = "has a '..' component";
          break;
        }
      }
    }
    if (why != null) {
      throw new IOException(source + ": file path " + printable(path) + " " + why + " (refused: it could name a"
          + " file outside the image's root)");
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder("'");
    s.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.append("'").toString();
  }

  private static long[] arrayOf(Header h, int tag, int n, String source) throws IOException {
    if (!h.has(tag)) {
      return new long[n];
    }
    long[] v = h.numbers(tag);
    if (v.length != n) {
      throw new IOException(source + ": tag " + tag + " has " + v.length + " values for " + n + " files");
    }
    return v;
  }

  private static List<String> stringsOf(Header h, int tag, int n, String source) throws IOException {
    if (!h.has(tag)) {
      return Collections.nCopies(n, "");
    }
    List<String> v = h.strings(tag);
    if (v.size() != n) {
      throw new IOException(source + ": tag " + tag + " has " + v.size() + " values for " + n + " files");
    }
    return v;
  }

  public Path file() {
    return file;
  }

  /** The 96-byte lead as read. */
  public byte[] lead() {
    return lead.clone();
  }

  public Header signatureHeader() {
    return signature;
  }

  public Header header() {
    return header;
  }

  public String name() {
    return header.string(Tags.NAME).orElse("");
  }

  public OptionalLong epoch() {
    return header.number(Tags.EPOCH);
  }

  public String version() {
    return header.string(Tags.VERSION).orElse("");
  }

  public String release() {
    return header.string(Tags.RELEASE).orElse("");
  }

  /** The architecture; "src" for a source package, as rpm names its file. */
  public String arch() {
    return isSource() ? "src" : header.string(Tags.ARCH).orElse("");
  }

  /** A source package has no SOURCERPM (rpm's own test, headerIsSource). */
  public boolean isSource() {
    return !header.has(Tags.SOURCERPM);
  }

  /** name-[epoch:]version-release.arch, as {@code rpm -q --qf '%{NEVRA}'} prints it for binary packages. */
  public String nevra() {
    String e = epoch().isPresent() ? epoch().getAsLong() + ":" : "";
    return name() + "-" + e + version() + "-" + release() + "." + header.string(Tags.ARCH).orElse("");
  }

  /** The files the header lists, in header order. */
  public List<RpmFile> files() {
    return files;
  }

  /** FILEDIGESTALGO, MD5 (1) when absent as rpm reads it. */
  public int fileDigestAlgorithm() {
    return (int) header.number(Tags.FILEDIGESTALGO).orElse(Tags.DIGEST_MD5);
  }

  /** PAYLOADCOMPRESSOR as the header says it; absent means gzip-or-plain, reported as "gzip" like rpm does. */
  public String payloadCompressor() {
    return header.string(Tags.PAYLOADCOMPRESSOR).orElse("gzip");
  }

  /** Where the header's magic starts in the file. */
  public long headerOffset() {
    return headerOffset;
  }

  /** Where the payload starts in the file. */
  public long payloadOffset() {
    return payloadOffset;
  }

  /** The compressed payload's bytes as they are in the file, read lazily. */
  InputStream rawPayload() throws IOException {
    InputStream in = Files.newInputStream(file);
    try {
      in.skipNBytes(payloadOffset);
    } catch (EOFException e) {
      in.close();
      throw new IOException(source + ": truncated before its payload");
    }
    return new BufferedInputStream(in, 1 << 16);
  }

  /** Reads the whole payload and checks every digest and size; see {@link #payload}. */
  public void verify() throws IOException {
    payload((e, c) -> {});
  }

  /**
   * Streams the payload's entries to {@code visitor} in archive order, checking each regular file's
   * content against FILEDIGESTS and, once the payload ends, the payload digests, the header+payload
   * MD5 and sizes. Entries are handed over as they come: when this throws, what the visitor kept is
   * not to be used.
   */
  public void payload(PayloadVisitor visitor) throws IOException {
    String format = header.string(Tags.PAYLOADFORMAT).orElse("cpio");
    if (!format.equals("cpio")) {
      throw new IOException(source + ": unsupported payload format " + format);
    }
    MessageDigest md5 = digest(Tags.DIGEST_MD5);
    md5.update(header.withMagic());
    Optional<String> payloadDigest = first(header.strings(Tags.PAYLOADDIGEST));
    Optional<String> payloadDigestAlt = first(header.strings(Tags.PAYLOADDIGESTALT));
    int payloadAlgo = (int) header.number(Tags.PAYLOADDIGESTALGO).orElse(Tags.DIGEST_SHA256);
    MessageDigest compressedDigest = payloadDigest.isPresent() ? digest(payloadAlgo) : null;
    MessageDigest plainDigest = payloadDigestAlt.isPresent() ? digest(payloadAlgo) : null;
    long limit = uncompressedLimit();
    long[] compressedCount = new long[1];
    try (InputStream raw = rawPayload()) {
      InputStream hashed = new Tap(raw, (b, off, len) -> {
        md5.update(b, off, len);
        if (compressedDigest != null) {
          compressedDigest.update(b, off, len);
        }
        compressedCount[0] += len;
      });
      InputStream plain;
      try {
        plain = decompress(hashed);
      } catch (IOException e) {
        throw new IOException(source + ": payload (" + payloadCompressor() + ") does not decompress: "
            + e.getMessage(), e);
      }
      plain = Bounded.limit(plain, limit, () -> source + ": payload unpacks to more than " + limit
          + " bytes, beyond what its header's file sizes allow");
      if (plainDigest != null) {
        plain = new Tap(plain, plainDigest::update);
      }
      try {
        readCpio(plain, visitor);
        // The rest of the stream: cpio padding after the trailer, and the compressor's end.
        plain.transferTo(OutputStream.nullOutputStream());
        hashed.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(source)) {
          throw e;
        }
        throw new IOException(source + ": payload unreadable: " + e, e);
      }
    }
    if (compressedDigest != null) {
      check("payload " + algorithmName(payloadAlgo) + " digest (PAYLOADDIGEST)",
          HexFormat.of().formatHex(compressedDigest.digest()), payloadDigest.get());
    }
    if (plainDigest != null) {
      check("uncompressed payload " + algorithmName(payloadAlgo) + " digest (PAYLOADDIGESTALT)",
          HexFormat.of().formatHex(plainDigest.digest()), payloadDigestAlt.get());
    }
    Optional<byte[]> sigmd5 = signature.bytes(Tags.SIG_MD5);
    if (sigmd5.isPresent()) {
      check("header+payload MD5 digest", HexFormat.of().formatHex(md5.digest()),
          HexFormat.of().formatHex(sigmd5.get()));
    }
    long total = 8L + header.blob().length + compressedCount[0];
    OptionalLong size = signature.has(Tags.LONGSIGSIZE) ? signature.number(Tags.LONGSIGSIZE)
        : signature.number(Tags.SIG_SIZE);
    if (size.isPresent() && size.getAsLong() != total) {
      throw new IOException(source + ": header and payload are " + total + " bytes, but the signature header says "
          + size.getAsLong());
    }
  }

  private void check(String what, String actual, String expected) throws IOException {
    if (!actual.equalsIgnoreCase(expected)) {
      throw new IOException(source + ": " + what + " is " + actual + ", but the package says " + expected
          + " (the package was altered)");
    }
  }

  private static Optional<String> first(List<String> l) {
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** The most the cpio archive may hold: the files' sizes plus a header, name and padding per file, and a trailer. */
  private long uncompressedLimit() {
    long sum = 0;
    for (RpmFile f : files) {
      sum += Math.max(0, f.size()) + PER_FILE_OVERHEAD;
    }
    return sum + PER_FILE_OVERHEAD + 4096;
  }

  private InputStream decompress(InputStream in) throws IOException {
    String compressor = header.string(Tags.PAYLOADCOMPRESSOR).orElse("");
    return switch (compressor) {
      case "gzip", "" -> {
        BufferedInputStream b = new BufferedInputStream(in);
        b.mark(2);
        int m1 = b.read();
        int m2 = b.read();
        b.reset();
        // rpm reads gzip through zlib, which passes data that is not gzip through unchanged.
        yield m1 == 0x1f && m2 == 0x8b ? new GzipCompressorInputStream(b, true) : b;
      }
      case "bzip2" -> new BZip2CompressorInputStream(in, true);
      // xz and lzma streams name their dictionary size, up to 4 GiB, and the decoder allocates it
      // up front: bound it (rpm's xz -9 needs 64 MiB), as MetadataFile does, so a hostile package
      // is an IOException (MemoryLimitException), not an OutOfMemoryError.
      case "xz" -> new XZCompressorInputStream(in, true, XZ_MEMORY_KIB);
      case "lzma" -> new LZMACompressorInputStream(in, XZ_MEMORY_KIB);
      case "zstd" -> new ZstdCompressorInputStream(in);
      default -> throw new IOException(source + ": unsupported payload compressor " + compressor);
    };
  }

  private void readCpio(InputStream in, PayloadVisitor visitor) throws IOException {
    int entries = 0;
    int[][] links = null;
    byte[] magic = new byte[6];
    while (true) {
      Bounded.checkInterrupted(source);
      if (entries > files.size()) {
        throw new IOException(source + ": payload has more entries than the header's " + files.size() + " files");
      }
      readFully(in, magic, "a cpio header");
      String m = new String(magic, StandardCharsets.US_ASCII);
      if (m.equals("07070X")) {
        // rpm's stripped entry (packages with a file of 4 GiB or more): an index into the header's files.
        int fx = (int) hex(in, "a stripped cpio entry");
        skip(in, 2); // padded to 4: 6 + 8 + 2
        if (fx < 0 || fx >= files.size()) {
          throw new IOException(source + ": stripped cpio entry names file " + fx + " of " + files.size());
        }
        RpmFile f = files.get(fx);
        // A stripped entry carries no size: rpm (rpmfiArchiveReadHeader) expects the header's size
        // for a symlink (its target is the content, as in newc) and for a regular file, except
        // that in a hard-link set only the last link (highest index) holds the content and the
        // others none. Reading the full size for every link, or none for a symlink, would run
        // into the next entry.
        if (links == null) {
          links = hardLinks();
        }
        long size = f.isSymlink() || (f.isRegular() && links[0][fx] == fx) ? f.size() : 0;
        PayloadEntry e = new PayloadEntry(f.path(), f.mode(), size, f.inode(), links[1][fx], f.mtime(), f);
        deliver(in, e, visitor);
        entries++;
        continue;
      }
      if (!m.equals("070701") && !m.equals("070702")) {
        throw new IOException(source + ": payload is not a cpio newc archive (magic " + m + ")");
      }
      long[] field = new long[13];
      for (int i = 0; i < 13; i++) {
        field[i] = hex(in, "a cpio header");
      }
      long namesize = field[11];
      if (namesize < 1 || namesize > NAME_LIMIT) {
        throw new IOException(source + ": cpio name size " + namesize + " outside 1.." + NAME_LIMIT);
      }
      byte[] name = new byte[(int) namesize];
      readFully(in, name, "a cpio name");
      skip(in, pad4(110 + namesize));
      if (name[name.length - 1] != 0) {
        throw new IOException(source + ": cpio name not NUL-terminated");
      }
      String n = new String(name, 0, name.length - 1, StandardCharsets.UTF_8);
      long size = field[6];
      if (n.equals("TRAILER!!!")) {
        return;
      }
      String path = n.startsWith("./") ? n.substring(1) : n.equals(".") ? "/" : n;
      Integer fx = fileIndex.get(path);
      if (fx == null) {
        throw new IOException(source + ": payload entry " + path + " is not in the header's file list");
      }
      RpmFile f = files.get(fx);
      if (size != 0 && size != f.size() && f.isRegular()) {
        throw new IOException(source + ": payload entry " + path + " holds " + size + " bytes, the header says "
            + f.size());
      }
      if (!f.isRegular() && !f.isSymlink() && size != 0) {
        throw new IOException(source + ": payload entry " + path + " of mode " + Long.toOctalString(field[1])
            + " holds " + size + " bytes");
      }
      PayloadEntry e = new PayloadEntry(path, (int) field[1], size, (int) field[0], (int) field[4], field[5], f);
      deliver(in, e, visitor);
      entries++;
    }
  }

  /**
   * For each file, the header index of the last (highest-index) regular file sharing its inode
   * and the size of that set, as rpm's rpmfiFLinks lists hard links; computed once, in linear time.
   */
  private int[][] hardLinks() {
    int n = files.size();
    int[] last = new int[n];
    int[] count = new int[n];
    Map<Integer, List<Integer>> byInode = new HashMap<>();
    for (int i = 0; i < n; i++) {
      last[i] = i;
      count[i] = 1;
      if (files.get(i).isRegular()) {
        byInode.computeIfAbsent(files.get(i).inode(), k -> new ArrayList<>()).add(i);
      }
    }
    for (List<Integer> set : byInode.values()) {
      for (int i : set) {
        last[i] = set.get(set.size() - 1);
        count[i] = set.size();
      }
    }
    return new int[][] {last, count};
  }

  private void deliver(InputStream in, PayloadEntry e, PayloadVisitor visitor) throws IOException {
    RpmFile f = e.file();
    boolean check = e.isRegular() && e.size() > 0 && !f.digest().isEmpty();
    MessageDigest d = check ? digest(fileDigestAlgorithm()) : null;
    InputStream content = new Slice(in, e.size());
    if (d != null) {
      content = new Tap(content, d::update);
    }
    long[] count = new long[1];
    InputStream counted = new Tap(content, (b, off, len) -> count[0] += len);
    visitor.entry(e, counted);
    counted.transferTo(OutputStream.nullOutputStream());
    if (count[0] != e.size()) {
      throw new IOException(source + ": payload ends inside " + e.path());
    }
    skip(in, pad4(e.size()));
    if (d != null) {
      String actual = HexFormat.of().formatHex(d.digest());
      if (!actual.equalsIgnoreCase(f.digest())) {
        throw new IOException(source + ": " + e.path() + " has digest " + actual + ", but the header says "
            + f.digest() + " (the payload was altered)");
      }
    }
  }

  private static long pad4(long n) {
    return (4 - (n % 4)) % 4;
  }

  private long hex(InputStream in, String what) throws IOException {
    byte[] b = new byte[8];
    readFully(in, b, what);
    long v = 0;
    for (byte x : b) {
      int d = Character.digit(x, 16);
      if (d < 0) {
        throw new IOException(source + ": " + what + " has a field that is not hex: "
            + new String(b, StandardCharsets.US_ASCII));
      }
      v = (v << 4) | d;
    }
    return v;
  }

  private void readFully(InputStream in, byte[] b, String what) throws IOException {
    if (in.readNBytes(b, 0, b.length) != b.length) {
      throw new IOException(source + ": payload ends inside " + what);
    }
  }

  private void skip(InputStream in, long n) throws IOException {
    if (Bounded.skipByReading(in, n) != n) {
      throw new IOException(source + ": payload ends inside cpio padding");
    }
  }

  @Override
  public String toString() {
    return "RpmPackage[" + source + ", " + nevra() + "]";
  }

  /** The next {@code left} bytes of a stream, then its end; closing it leaves the stream open. */
  private static final class Slice extends FilterInputStream {
    private long left;

    Slice(InputStream in, long size) {
      super(in);
      this.left = size;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int c = in.read();
      if (c >= 0) {
        left--;
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return len == 0 ? 0 : -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return Bounded.skipByReading(this, n);
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), left);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    @Override
    public void close() {}
  }
}
