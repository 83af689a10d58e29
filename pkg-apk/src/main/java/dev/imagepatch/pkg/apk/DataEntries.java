package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.io.Bounded;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * A package's data tar read as apk reads it: paths normalized and checked, each regular file's
 * content and each symlink's target checked against its {@code APK-TOOLS.checksum.SHA1} PAX record.
 */
final class DataEntries {
  static final String CHECKSUM = "APK-TOOLS.checksum.SHA1";

  private DataEntries() {}

  /**
   * Reads every entry of {@code tar}, handing each (but the root directory) to {@code visitor}. A
   * path or entry apk would not install fails at once; a checksum mismatch fails at once when
   * {@code failFast}, else is added to {@code failures} and reading goes on.
   */
  static void read(TarStream tar, String what, ApkArchive.DataVisitor visitor, boolean failFast,
      List<String> failures) throws IOException {
    for (TarArchiveEntry e = tar.next(); e != null; e = tar.next()) {
      ApkEntry entry = entry(e, what);
      if (entry == null) {
        continue;
      }
      String failure = null;
      if (entry.type() == ApkEntry.Type.FILE) {
        Checked content = new Checked(tar.content());
        if (visitor != null) {
          visitor.entry(entry, content);
        }
        content.transferTo(OutputStream.nullOutputStream());
        if (entry.sha1Hex() != null && !content.hex().equals(entry.sha1Hex())) {
          failure = what + ": file " + Names.quote(entry.path()) + ": its content's SHA-1 is " + content.hex()
              + ", but its " + CHECKSUM + " record says " + entry.sha1Hex();
        }
      } else {
        if (entry.type() == ApkEntry.Type.SYMLINK && entry.sha1Hex() != null) {
          MessageDigest sha1 = Digests.digest("SHA-1");
          String actual = HexFormat.of().formatHex(sha1.digest(entry.linkTarget().getBytes(StandardCharsets.UTF_8)));
          if (!actual.equals(entry.sha1Hex())) {
            failure = what + ": symlink " + Names.quote(entry.path()) + ": the SHA-1 of its target is " + actual
                + ", but its " + CHECKSUM + " record says " + entry.sha1Hex();
          }
        }
        if (visitor != null) {
          visitor.entry(entry, InputStream.nullInputStream());
        }
      }
      if (failure != null) {
        if (failFast) {
          throw new IOException(failure);
        }
        failures.add(failure);
      }
    }
  }

  /** The entry as apk would install it, or null for the root directory itself ({@code ./}). */
  static ApkEntry entry(TarArchiveEntry e, String what) throws IOException {
    String path = normalize(e.getName(), what, "entry");
    if (path.isEmpty()) {
      if (!e.isDirectory()) {
        throw new IOException(what + ": data entry " + Names.quote(e.getName()) + " names the root but is not a"
            + " directory");
      }
      return null;
    }
    ApkEntry.Type type;
    String link = null;
    if (e.isGNUSparse() || e.isStarSparse() || e.isPaxGNUSparse()) {
      throw new IOException(what + ": data entry " + Names.quote(path) + " is a sparse file, which apk does not install");
    } else if (e.isDirectory()) {
      type = ApkEntry.Type.DIRECTORY;
    } else if (e.isSymbolicLink()) {
      type = ApkEntry.Type.SYMLINK;
      link = e.getLinkName();
      if (link.isEmpty() || link.indexOf('\0') >= 0 || link.indexOf('\n') >= 0 || link.indexOf('\r') >= 0) {
        throw new IOException(what + ": data entry " + Names.quote(path) + ": symlink target " + Names.quote(link)
            + " is empty or holds NUL or a line end");
      }
    } else if (e.isLink()) {
      type = ApkEntry.Type.HARDLINK;
      link = normalize(e.getLinkName(), what, "hard link target of " + Names.quote(path) + ":");
      if (link.isEmpty()) {
        throw new IOException(what + ": data entry " + Names.quote(path) + " is a hard link to the root");
      }
    } else if (e.isCharacterDevice()) {
      type = ApkEntry.Type.CHARACTER;
    } else if (e.isBlockDevice()) {
      type = ApkEntry.Type.BLOCK;
    } else if (e.isFIFO()) {
      type = ApkEntry.Type.FIFO;
    } else if (e.isFile() && e.getLinkFlag() != 'V' && e.getLinkFlag() != 'M') {
      type = ApkEntry.Type.FILE;
    } else {
      throw new IOException(what + ": data entry " + Names.quote(path) + " has tar type "
          + Names.quote(String.valueOf((char) e.getLinkFlag())) + ", which apk does not install");
    }
    String sha1 = e.getExtraPaxHeader(CHECKSUM);
    if (sha1 != null && !sha1.matches("[0-9a-f]{40}")) {
      throw new IOException(what + ": data entry " + Names.quote(path) + ": malformed " + CHECKSUM + " record "
          + Names.quote(sha1));
    }
    return new ApkEntry(path, type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
        e.getModTime().getTime() / 1000, type == ApkEntry.Type.FILE ? e.getSize() : 0, link, sha1,
        e.getExtraPaxHeaders());
  }

  /**
   * A tar path as apk installs it: relative, without {@code ./}, empty or {@code .} components or
   * a trailing {@code /}; one with a {@code ..} component, NUL or a line end fails naming it.
   */
  static String normalize(String name, String what, String kind) throws IOException {
    if (name.indexOf('\0') >= 0 || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
      throw new IOException(what + ": data " + kind + " " + Names.quote(name) + " holds NUL or a line end");
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IOException(what + ": data " + kind + " " + Names.quote(name) + " leaves the root ('..')");
      }
      parts.add(part);
    }
    return String.join("/", parts);
  }

  /** A file's content as the visitor reads it, hashed; closing it does not close the tar. */
  private static final class Checked extends FilterInputStream {
    private final MessageDigest sha1 = Digests.digest("SHA-1");
    private String hex;

    Checked(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        sha1.update((byte) b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        sha1.update(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return Bounded.skipByReading(this, n); // a skipped byte would miss the hash
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    @Override
    public void close() {
      // the tar stays open for the next entry
    }

    String hex() {
      if (hex == null) {
        hex = HexFormat.of().formatHex(sha1.digest());
      }
      return hex;
    }
  }
}
