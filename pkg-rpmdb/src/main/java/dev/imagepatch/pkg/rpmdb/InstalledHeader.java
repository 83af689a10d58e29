package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The header rpm 4.18 records in its database when it installs a package:
 *
 * <ol>
 *   <li>the package's header with the signature header's tags merged as lib/package.c
 *       {@code headerMergeLegacySigs} does ({@code xlateTags}: SIGSIZE, SIGPGP, SIGMD5, SIGGPG,
 *       ARCHIVESIZE (from PAYLOADSIZE), FILESIGNATURES, FILESIGNATURELENGTH, VERITYSIGNATURES,
 *       VERITYSIGNATUREALGO, SHA1HEADER, SHA256HEADER, DSAHEADER, RSAHEADER, LONGSIGSIZE,
 *       LONGARCHIVESIZE; a tag of the wrong type or count refuses the package, as rpm does), and
 *       {@code applyRetrofits}' SOURCERPM "(none)" for a binary header without SOURCERPM;</li>
 *   <li>INSTPREFIXES = PREFIXES for a relocatable package installed without relocations
 *       (lib/relocation.c {@code rpmRelocateFileList});</li>
 *   <li>lib/psm.c {@code dbAdd}: FILESTATES (one CHAR per file, 0 = installed normally), INSTALLTID,
 *       INSTALLTIME, INSTALLCOLOR.</li>
 * </ol>
 *
 * <p>The tags outside the immutable region are laid out sorted by tag, as headerExport does
 * ({@link Header#with}); the region stays byte for byte.
 */
public final class InstalledHeader {
  private InstalledHeader() {}

  /**
   * The transaction's values: INSTALLTIME (seconds), INSTALLTID (the transaction id rpm takes from
   * the time the transaction started), INSTALLCOLOR (the transaction color: {@code %_transaction_color},
   * 3 on x86_64/aarch64, 0 where it is unset).
   */
  public record Install(long time, long tid, int color) {
    /** Now, with tid = time, and the color rpm uses on 64-bit multilib platforms (3). */
    public static Install now() {
      long t = System.currentTimeMillis() / 1000;
      return new Install(t, t, 3);
    }
  }

  /** A package file's two headers: the signature header and the header. */
  public record PackageHeaders(Header signature, Header header) {}

  /**
   * Reads the signature header and header of a .rpm stream (96-byte lead, signature header padded
   * to 8 bytes, header); the payload is not read.
   */
  public static PackageHeaders read(InputStream in, String source) throws IOException {
    byte[] lead = in.readNBytes(96);
    if (lead.length != 96 || (lead[0] & 0xff) != 0xed || (lead[1] & 0xff) != 0xab
        || (lead[2] & 0xff) != 0xee || (lead[3] & 0xff) != 0xdb) {
      throw new IOException(source + ": not an rpm package (no lead)");
    }
    Header sig = Header.read(in, source + " signature header");
    int sigSize = 8 + sig.blob().length;
    int pad = (8 - sigSize % 8) % 8;
    if (in.readNBytes(pad).length != pad) {
      throw new EOFException(source + ": truncated after the signature header");
    }
    Header h = Header.read(in, source);
    return new PackageHeaders(sig, h);
  }

  /** The header rpm installs for a package read from {@code in}. */
  public static Header of(InputStream in, String source, Install install) throws IOException {
    PackageHeaders p = read(in, source);
    return of(p.signature(), p.header(), install);
  }

  /** The header rpm installs for a package file read (and, by the caller's policy, verified) by pkg-rpm. */
  public static Header of(RpmPackage pkg, Install install) throws IOException {
    return of(pkg.signatureHeader(), pkg.header(), install);
  }

  /** The header rpm installs for the package with these headers. */
  public static Header of(Header signature, Header header, Install install) throws IOException {
    List<Header.Value> added = new ArrayList<>(mergedSignatureTags(signature, header));
    if (!header.has(Tags.SOURCERPM) && !header.has(Tags.SOURCEPACKAGE)) {
      // applyRetrofits: headerIsSourceHeuristic = a single, empty, directory name
      List<String> dirs = header.strings(Tags.DIRNAMES);
      if (dirs.size() == 1 && dirs.get(0).isEmpty()) {
        added.add(new Header.Value(Tags.SOURCEPACKAGE, Tags.INT32, new long[] {1}));
      } else {
        added.add(new Header.Value(Tags.SOURCERPM, Tags.STRING, "(none)"));
      }
    }
    int files = header.strings(Tags.BASENAMES).size();
    if (files > 0 && header.has(Tags.PREFIXES) && !header.has(Tags.INSTPREFIXES)
        && !header.has(Tags.ORIGBASENAMES)) {
      added.add(new Header.Value(Tags.INSTPREFIXES, Tags.STRING_ARRAY, header.strings(Tags.PREFIXES)));
    }
    if (files > 0) {
      added.add(new Header.Value(Tags.FILESTATES, Tags.CHAR, new long[files]));
    }
    added.add(new Header.Value(Tags.INSTALLTID, Tags.INT32, new long[] {install.tid()}));
    added.add(new Header.Value(Tags.INSTALLTIME, Tags.INT32, new long[] {install.time()}));
    added.add(new Header.Value(Tags.INSTALLCOLOR, Tags.INT32, new long[] {install.color()}));
    try {
      return header.with(added);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private record Xlate(int stag, int xtag, int type, int count, boolean quirk) {}

  // lib/package.c xlateTags (rpm 4.18), with the type rpmTagGetTagType gives each xtag
  private static final List<Xlate> XLATE = List.of(
      new Xlate(Tags.SIG_SIZE, Tags.SIGSIZE, Tags.INT32, 1, false),
      new Xlate(Tags.SIG_PGP, Tags.SIGPGP, Tags.BIN, 0, false),
      new Xlate(Tags.SIG_MD5, Tags.SIGMD5, Tags.BIN, 16, false),
      new Xlate(Tags.SIG_GPG, Tags.SIGGPG, Tags.BIN, 0, false),
      new Xlate(Tags.SIG_PAYLOADSIZE, Tags.ARCHIVESIZE, Tags.INT32, 1, true),
      new Xlate(Tags.SIG_FILESIGNATURES, Tags.FILESIGNATURES, Tags.STRING_ARRAY, 0, true),
      new Xlate(Tags.SIG_FILESIGNATURELENGTH, Tags.FILESIGNATURELENGTH, Tags.INT32, 1, true),
      new Xlate(Tags.VERITYSIGNATURES, Tags.VERITYSIGNATURES, Tags.STRING_ARRAY, 0, false),
      new Xlate(Tags.VERITYSIGNATUREALGO, Tags.VERITYSIGNATUREALGO, Tags.INT32, 1, false),
      new Xlate(Tags.SHA1HEADER, Tags.SHA1HEADER, Tags.STRING, 1, false),
      new Xlate(Tags.SHA256HEADER, Tags.SHA256HEADER, Tags.STRING, 1, false),
      new Xlate(Tags.DSAHEADER, Tags.DSAHEADER, Tags.BIN, 0, false),
      new Xlate(Tags.RSAHEADER, Tags.RSAHEADER, Tags.BIN, 0, false),
      new Xlate(Tags.LONGSIGSIZE, Tags.LONGSIGSIZE, Tags.INT64, 1, false),
      new Xlate(Tags.LONGARCHIVESIZE, Tags.LONGARCHIVESIZE, Tags.INT64, 1, false));

  /** The signature header's tags as headerMergeLegacySigs puts them into the header. */
  public static List<Header.Value> mergedSignatureTags(Header signature, Header header) throws IOException {
    for (Xlate x : XLATE) {
      if (header.has(x.xtag()) && !(x.quirk() && !signature.has(x.stag()))) {
        throw new IOException(header.source() + ": invalid signature tag " + x.xtag()
            + " (in both the header and the signature header)");
      }
    }
    List<Header.Value> out = new ArrayList<>();
    for (Xlate x : XLATE) {
      Optional<Header.Value> v = signature.value(x.stag());
      if (v.isEmpty()) {
        continue;
      }
      Header.Value value = v.get();
      int count = count(value);
      if (value.type() != x.type() || count < 1 || count > 16 * 1024 * 1024 || (x.count() != 0 && count != x.count())) {
        throw new IOException(header.source() + ": invalid signature tag " + x.xtag() + " (type "
            + value.type() + ", count " + count + ")");
      }
      out.add(new Header.Value(x.xtag(), value.type(), value.value()));
    }
    return out;
  }

  private static int count(Header.Value v) {
    Object o = v.value();
    if (o instanceof byte[] b) {
      return b.length;
    }
    if (o instanceof long[] l) {
      return l.length;
    }
    if (o instanceof List<?> l) {
      return l.size();
    }
    return 1;
  }
}
