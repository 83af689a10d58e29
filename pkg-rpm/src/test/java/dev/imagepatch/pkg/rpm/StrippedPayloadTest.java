package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rpm's stripped payload ({@code 07070X} entries, written when a file is 4 GiB or more) names a
 * file by its header index and carries no size: rpm's reader (rpmfiArchiveReadHeader) takes the
 * size from the header, for regular files and symlinks (the target is the content), and 0 for a
 * hard link that is not the last of its set (rpmfiArchiveWriteHeader puts the content on the last
 * one only). A 4 GiB package is too slow to build here, so a package rpmbuild made with hard links
 * and a symlink is rewritten into the stripped format exactly as rpm writes it, with LONGFILESIZES
 * and all digests updated, and must stream with every file's content intact.
 */
class StrippedPayloadTest {
  private static final String SPEC = """
      Name: imagepatch-stripped
      Version: 1.0
      Release: 1
      Summary: stripped payload
      License: MIT
      BuildArch: noarch
      %description
      stripped payload
      %install
      mkdir -p %{buildroot}/s
      echo shared > %{buildroot}/s/a
      ln %{buildroot}/s/a %{buildroot}/s/b
      ln %{buildroot}/s/a %{buildroot}/s/c
      ln -s a %{buildroot}/s/link
      echo alone > %{buildroot}/s/m
      %files
      /s
      """;

  @TempDir
  Path temp;

  @Test
  void strippedHardLinksAndSymlinksTakeTheirSizesAsRpmDoes() throws Exception {
    Tools.require("rpmbuild");
    Path top = Files.createDirectories(temp.resolve("top"));
    Path spec = temp.resolve("s.spec");
    Files.writeString(spec, SPEC);
    Tools.run(List.of("rpmbuild", "-bb", "--quiet", "--define", "_topdir " + top, "--define",
        "_build_id_links none", spec.toString()));
    Path built;
    try (Stream<Path> s = Files.walk(top.resolve("RPMS"))) {
      built = s.filter(p -> p.toString().endsWith(".rpm")).findFirst().orElseThrow();
    }
    RpmPackage p = RpmPackage.open(built);
    Map<String, byte[]> expected = contents(p);

    // The stripped cpio as rpmfiArchiveWriteHeader writes it, in header order.
    List<RpmPackage.RpmFile> files = p.files();
    ByteArrayOutputStream cpio = new ByteArrayOutputStream();
    for (int i = 0; i < files.size(); i++) {
      RpmPackage.RpmFile f = files.get(i);
      cpio.writeBytes(String.format("07070X%08x", i).getBytes(StandardCharsets.US_ASCII));
      cpio.write(0);
      cpio.write(0); // padded to 4
      byte[] content = new byte[0];
      if (f.isSymlink()) {
        content = f.linkTo().getBytes(StandardCharsets.UTF_8);
      } else if (f.isRegular() && lastLink(files, i)) {
        content = expected.get(f.path());
      }
      cpio.writeBytes(content);
      cpio.write(new byte[(4 - content.length % 4) % 4]);
    }
    byte[] trailerName = "TRAILER!!!\0".getBytes(StandardCharsets.US_ASCII);
    cpio.writeBytes(String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 0, 0, 0, 0, 1, 0,
        0, 0, 0, 0, 0, trailerName.length, 0).getBytes(StandardCharsets.US_ASCII));
    cpio.writeBytes(trailerName);
    cpio.write(new byte[(4 - (110 + trailerName.length) % 4) % 4]);
    byte[] plain = cpio.toByteArray();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream o = new GZIPOutputStream(gz)) {
      o.write(plain);
    }
    byte[] payload = gz.toByteArray();

    long[] sizes = files.stream().mapToLong(RpmPackage.RpmFile::size).toArray();
    Header header = p.header().with(List.of(new Header.Value(Tags.LONGFILESIZES, Tags.INT64, sizes),
        new Header.Value(Tags.PAYLOADCOMPRESSOR, Tags.STRING, "gzip"),
        new Header.Value(Tags.PAYLOADDIGEST, Tags.STRING_ARRAY, List.of(hex("SHA-256", payload))),
        new Header.Value(Tags.PAYLOADDIGESTALT, Tags.STRING_ARRAY, List.of(hex("SHA-256", plain)))));
    byte[] h = header.withMagic();
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    md5.update(h);
    md5.update(payload);
    Header sig = p.signatureHeader().with(List.of(
        new Header.Value(Tags.SHA1HEADER, Tags.STRING, hex("SHA-1", h)),
        new Header.Value(Tags.SHA256HEADER, Tags.STRING, hex("SHA-256", h)),
        new Header.Value(Tags.SIG_MD5, Tags.BIN, md5.digest()),
        new Header.Value(Tags.SIG_SIZE, Tags.INT32, new long[] {h.length + payload.length})));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(p.lead());
    byte[] s = sig.withMagic();
    out.writeBytes(s);
    int dl = ByteBuffer.wrap(s, 12, 4).getInt();
    out.write(new byte[(8 - dl % 8) % 8]);
    out.writeBytes(h);
    out.writeBytes(payload);
    Path stripped = temp.resolve("stripped.rpm");
    Files.write(stripped, out.toByteArray());

    RpmPackage q = RpmPackage.open(stripped);
    Map<String, byte[]> got = contents(q);
    assertEquals(render(expected), render(got));
  }

  private static boolean lastLink(List<RpmPackage.RpmFile> files, int i) {
    for (int j = i + 1; j < files.size(); j++) {
      if (files.get(j).isRegular() && files.get(j).inode() == files.get(i).inode()) {
        return false;
      }
    }
    return true;
  }

  /** Each path's content: a hard-link set's content under every name, a symlink's target. */
  private static Map<String, byte[]> contents(RpmPackage p) throws Exception {
    Map<String, byte[]> out = new LinkedHashMap<>();
    Map<Integer, byte[]> byInode = new LinkedHashMap<>();
    List<RpmPackage.PayloadEntry> entries = new ArrayList<>();
    p.payload((e, c) -> {
      byte[] b = c.readAllBytes();
      entries.add(e);
      out.put(e.path(), b);
      if (e.isRegular() && b.length > 0) {
        byInode.put(e.file().inode(), b);
      }
    });
    for (RpmPackage.PayloadEntry e : entries) {
      if (e.isRegular() && e.file().size() > 0) {
        out.put(e.path(), byInode.get(e.file().inode()));
      }
    }
    return out;
  }

  private static Map<String, String> render(Map<String, byte[]> m) {
    Map<String, String> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
    return out;
  }

  private static String hex(String algo, byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(data));
  }
}
