package dev.imagepatch.pkg.apk;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Packages and indexes built in the test: tars, gzip members, a key made here and its signatures. */
final class ApkFixtures {
  static final String KEY_NAME = "test-made.rsa.pub";
  private static KeyPair key;

  private ApkFixtures() {}

  static synchronized KeyPair key() {
    if (key == null) {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return key;
  }

  /** The key made here, trusted as {@link #KEY_NAME}. */
  static ApkKeys testKeys() {
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key().getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    return ApkTestData.keys(Map.of(KEY_NAME, pem.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A signature member: one {@code .SIGN.RSA.<KEY_NAME>} (SHA-1) over {@code signed}. */
  static byte[] signatureMember(byte[]... signed) {
    return signatureMember("SHA1withRSA", ".SIGN.RSA." + KEY_NAME, signed);
  }

  static byte[] signatureMember(String algorithm, String entryName, byte[]... signed) {
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key().getPrivate());
      for (byte[] b : signed) {
        s.update(b);
      }
      return gzip(tar(true, List.of(new Entry(entryName, s.sign()))));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One tar entry: a regular file, or with {@code type} a symlink ('2'), directory ('5'), hard link ('1'). */
  record Entry(String name, byte[] content, char type, String link, Map<String, String> pax) {
    Entry(String name, byte[] content) {
      this(name, content, '0', null, Map.of());
    }

    /** A regular file with apk's checksum record. */
    static Entry file(String name, String content) {
      byte[] b = content.getBytes(StandardCharsets.UTF_8);
      return new Entry(name, b, '0', null, Map.of(DataEntries.CHECKSUM, sha1Hex(b)));
    }

    static Entry dir(String name) {
      return new Entry(name, new byte[0], '5', null, Map.of());
    }

    static Entry symlink(String name, String target) {
      return new Entry(name, new byte[0], '2', target,
          Map.of(DataEntries.CHECKSUM, sha1Hex(target.getBytes(StandardCharsets.UTF_8))));
    }
  }

  /** A tar of {@code entries}; {@code cut}: without the end-of-archive blocks, as apk's control tars. */
  static byte[] tar(boolean cut, List<Entry> entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry e : entries) {
        TarArchiveEntry t = e.type() == '5' ? new TarArchiveEntry(e.name() + "/")
            : new TarArchiveEntry(e.name(), (byte) e.type());
        if (e.link() != null) {
          t.setLinkName(e.link());
        }
        t.setMode(e.type() == '5' ? 040755 : e.type() == '2' ? 0120777 : 0100644);
        if (e.type() == '0') {
          t.setSize(e.content().length);
        }
        e.pax().forEach(t::addPaxHeader);
        tar.putArchiveEntry(t);
        tar.write(e.content());
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    byte[] b = out.toByteArray();
    return cut ? Arrays.copyOf(b, b.length - 1024) : b;
  }

  static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static String sha1Hex(byte[] b) {
    return HexFormat.of().formatHex(Digests.digest("SHA-1").digest(b));
  }

  static String sha256Hex(byte[] b) {
    return HexFormat.of().formatHex(Digests.digest("SHA-256").digest(b));
  }

  static String q1(byte[] b) {
    return "Q1" + Base64.getEncoder().encodeToString(Digests.digest("SHA-1").digest(b));
  }

  /** A control member: .PKGINFO of {@code pkginfo} (a datahash line added when {@code datahash} is not null). */
  static byte[] controlMember(String pkginfo, String datahash) {
    String text = pkginfo + (datahash != null ? "datahash = " + datahash + "\n" : "");
    return gzip(tar(true, List.of(new Entry(".PKGINFO", text.getBytes(StandardCharsets.UTF_8)))));
  }

  static final String PKGINFO = "pkgname = test\npkgver = 1.0-r0\narch = x86_64\nsize = 100\n";

  /**
   * A package signed by the test key: with {@code withDatahash} the signature covers the control
   * member and .PKGINFO gives the data member's SHA-256; without, the signature covers both.
   */
  static byte[] signedApk(byte[] dataMember, boolean withDatahash) {
    byte[] control = controlMember(PKGINFO, withDatahash ? sha256Hex(dataMember) : null);
    byte[] sig = withDatahash ? signatureMember(control) : signatureMember(control, dataMember);
    return concat(sig, control, dataMember);
  }

  /** The gzip members of a v2 apk file, compressed, as the splitter cuts them. */
  static List<byte[]> members(byte[] file) throws IOException {
    GzipMembers gz = new GzipMembers(new ByteArrayInputStream(file), "test", Long.MAX_VALUE, Long.MAX_VALUE);
    List<byte[]> out = new ArrayList<>();
    while (!gz.atEnd()) {
      long start = gz.offset();
      gz.next(GzipMembers.Tap.NONE).transferTo(java.io.OutputStream.nullOutputStream());
      out.add(Arrays.copyOfRange(file, (int) start, (int) gz.offset()));
    }
    return out;
  }

  /** The decompressed bytes of one gzip member. */
  static byte[] gunzip(byte[] member) throws IOException {
    return new GzipMembers(new ByteArrayInputStream(member), "test", Long.MAX_VALUE, Long.MAX_VALUE)
        .next(GzipMembers.Tap.NONE).readAllBytes();
  }

  static Path write(Path dir, String name, byte[] content) {
    try {
      return Files.write(dir.resolve(name), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes with one bit flipped at {@code offset}. */
  static byte[] flip(byte[] b, int offset) {
    byte[] c = b.clone();
    c[offset] ^= 0x01;
    return c;
  }

  static Map<String, byte[]> map(Object... nameThenBytes) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < nameThenBytes.length; i += 2) {
      m.put((String) nameThenBytes[i], (byte[]) nameThenBytes[i + 1]);
    }
    return m;
  }

  static MessageDigest sha1() {
    return Digests.digest("SHA-1");
  }
}
