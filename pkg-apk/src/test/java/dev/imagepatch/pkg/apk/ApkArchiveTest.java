package dev.imagepatch.pkg.apk;

import static dev.imagepatch.pkg.apk.ApkFixtures.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Alpine and Wolfi packages verified along apk's whole chain, and every break of it refused. */
class ApkArchiveTest {
  private static final String ARMHF_KEY = "alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub";

  @TempDir
  Path dir;

  /** C: and S: of each package of an index, by "P-V.apk" (a tiny stanza scan; ApkRecord is the real parser). */
  static Map<String, String[]> checksumsByFile(String apkindex) {
    Map<String, String[]> out = new HashMap<>();
    for (String stanza : apkindex.split("\n\n")) {
      Map<Character, String> f = new HashMap<>();
      for (String line : stanza.split("\n")) {
        if (line.length() > 1 && line.charAt(1) == ':') {
          f.putIfAbsent(line.charAt(0), line.substring(2));
        }
      }
      if (f.containsKey('P')) {
        out.put(f.get('P') + "-" + f.get('V') + ".apk", new String[] {f.get('C'), f.get('S')});
      }
    }
    return out;
  }

  /** Every entry of the data tar, each regular file's content hashed here and checked against its record. */
  static List<ApkEntry> entries(ApkArchive apk) throws IOException {
    List<ApkEntry> out = new ArrayList<>();
    apk.readData((entry, content) -> {
      out.add(entry);
      if (entry.type() == ApkEntry.Type.FILE) {
        byte[] bytes = content.readAllBytes();
        assertEquals(entry.size(), bytes.length, entry.path());
        if (entry.sha1Hex() != null) {
          assertEquals(entry.sha1Hex(), HexFormat.of().formatHex(ApkFixtures.sha1().digest(bytes)), entry.path());
        }
      }
    });
    return out;
  }

  @Test
  void everyAlpine37ArmhfPackageVerifiesAgainstItsSignedIndex() throws Exception {
    Path repo = ApkTestData.alpine("apk/v3.7-armhf");
    ApkKeys keys = ApkTestData.alpineKeys("armhf");
    SignedIndex index;
    try (InputStream in = Files.newInputStream(repo.resolve("APKINDEX.tar.gz"))) {
      index = SignedIndex.read(in, "v3.7 armhf", keys, false, 64L << 20);
    }
    Map<String, String[]> byFile = checksumsByFile(index.text());
    List<Path> apks;
    try (Stream<Path> files = Files.list(repo)) {
      apks = files.filter(p -> p.toString().endsWith(".apk")).sorted().toList();
    }
    assertEquals(8, apks.size());
    for (Path file : apks) {
      String name = file.getFileName().toString();
      String[] cs = byFile.get(name);
      ApkArchive apk = ApkArchive.open(file, cs[0], keys, false, name);
      assertEquals(cs[0], apk.checksum(), name);
      assertEquals(Long.parseLong(cs[1]), apk.size(), name);
      assertEquals(Optional.of(ARMHF_KEY), apk.signer(), name);
      assertEquals(name, apk.pkgInfo().first("pkgname").orElseThrow() + "-" + apk.pkgInfo().first("pkgver")
          .orElseThrow() + ".apk");
      List<ApkEntry> entries = entries(apk);
      assertFalse(entries.isEmpty(), name);
      for (ApkEntry e : entries) {
        assertFalse(e.path().startsWith("/") || e.path().startsWith("./") || e.path().endsWith("/"), e.path());
        if (e.type() == ApkEntry.Type.FILE || e.type() == ApkEntry.Type.SYMLINK) {
          assertTrue(e.sha1Hex() != null, e.path());
        }
      }
    }
    ApkArchive busybox = ApkArchive.open(repo.resolve("busybox-1.27.2-r7.apk"), null, keys, false, "busybox");
    assertEquals(List.of(".post-install", ".post-upgrade", ".trigger"), List.copyOf(busybox.scripts().keySet()));
    ApkEntry sh = entries(busybox).stream().filter(e -> e.path().equals("bin/sh")).findFirst().orElseThrow();
    assertEquals(ApkEntry.Type.SYMLINK, sh.type());
    assertEquals("/bin/busybox", sh.linkTarget());
    assertEquals("a5c7d37c33446cd290736b35b626bb75ad3933c4", sh.sha1Hex());
  }

  @Test
  void alpineBaselayoutHasGoApksAssertedChecksum() throws Exception {
    ApkArchive apk = ApkArchive.open(ApkTestData.alpine("alpine-baselayout-3.2.0-r23.aarch64.apk"),
        "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", ApkTestData.alpineKeys("aarch64"), false, "alpine-baselayout");
    assertEquals("Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", apk.checksum());
    assertEquals(Optional.of("alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"), apk.signer());
    assertEquals(11012, apk.size());
    assertEquals(List.of(".pre-install", ".pre-upgrade", ".post-upgrade", ".post-install"),
        List.copyOf(apk.scripts().keySet()));
    assertEquals(Optional.of("1a3a8e47d2287da6d505d973412cee1ad64bcc17bc5995069e4e932055ecb0c4"),
        apk.pkgInfo().first("datahash"));
  }

  @Test
  void everyPackageOfTheSignaturesTableVerifiesAsListed() throws Exception {
    int n = 0;
    for (String[] row : ApkTestData.expectedSignatures()) {
      if (!row[3].equals("apk(v2)")) {
        continue;
      }
      n++;
      Path file = SharedData.path("vectors/" + row[0]);
      ApkKeys keys = row[0].startsWith("wolfi/") ? ApkTestData.wolfiKey() : ApkTestData.keysIn(ApkTestData.alpine(
          "keys"));
      String key = row[5].split(":")[0];
      if (row[5].endsWith(":FAIL")) {
        IOException e = assertThrows(IOException.class, () -> ApkArchive.open(file, row[4], keys, false, row[0]));
        assertEquals(row[0] + ": signature: no signature verifies: '.SIGN.RSA." + key + "' (BAD signature); trusted"
            + " keys: wolfi-signing.rsa.pub", e.getMessage());
        continue;
      }
      ApkArchive apk = ApkArchive.open(file, row[4], keys, false, row[0]);
      assertEquals(row[4], apk.checksum(), row[0]);
      assertEquals(Long.parseLong(row[1]), apk.size(), row[0]);
      assertEquals(Optional.of(key), apk.signer(), row[0]);
      entries(apk);
    }
    assertEquals(17, n);
  }

  @Test
  void wolfiPackagesVerifyWithTheWolfiKeyAndBadsigNeonIsRefused() throws Exception {
    for (String name : new String[] {"hello-wolfi-2.12-r1.aarch64.apk", "libcap-2.69-r0.aarch64.apk",
        "ruby3.2-base64-0.2.0-r2.x86_64.apk", "kubeflow-pipelines-2.1.3-r7.aarch64.apk",
        "wolfi-base-1-r1.aarch64.melange-sign-test.apk"}) {
      ApkArchive apk = ApkArchive.open(ApkTestData.wolfi("apk/" + name), null, ApkTestData.wolfiKey(), false, name);
      assertEquals(Optional.of("wolfi-signing.rsa.pub"), apk.signer(), name);
      entries(apk);
    }
    Path neon = ApkTestData.wolfi("apk/BADSIG-neon-4604-r0.apk");
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(neon, null, ApkTestData.wolfiKey(), false,
        "neon-4604-r0"));
    assertTrue(e.getMessage().startsWith("neon-4604-r0: signature: no signature verifies: "
        + "'.SIGN.RSA.wolfi-signing.rsa.pub' (BAD signature)"), e.getMessage());
    // The Alpine keys do not take a Wolfi package either.
    IOException e2 = assertThrows(IOException.class, () -> ApkArchive.open(ApkTestData.wolfi(
        "apk/hello-wolfi-2.12-r1.aarch64.apk"), null, ApkTestData.alpineKeys("aarch64"), false, "hello-wolfi"));
    assertTrue(e2.getMessage().contains("'.SIGN.RSA.wolfi-signing.rsa.pub' (key not trusted)"), e2.getMessage());
  }

  /** expected-apk-structure.txt: Q1 of the control member, datahash, control and data entries, .PKGINFO. */
  @Test
  void structureAgreesWithExpectedApkStructure() throws Exception {
    String text = SharedData.text("vectors/alpine/expected-apk-structure.txt");
    int checked = 0;
    for (String block : text.split("\n== ")) {
      if (block.startsWith("#")) {
        continue;
      }
      String[] lines = block.split("\n");
      String file = lines[0].substring(0, lines[0].indexOf(" size "));
      long size = Long.parseLong(lines[0].substring(lines[0].indexOf(" size ") + 6).strip());
      String member1 = find(lines, "  member1:");
      String member2 = find(lines, "  member2:");
      String q1 = field(member1, "sha1");
      String sha256 = field(member2, "sha256");
      boolean apko = file.startsWith("apko-");
      Path path = ApkTestData.alpine(file);
      ApkKeys keys = apko ? ApkKeys.none() : ApkTestData.alpineKeys("aarch64");
      // apko's test packages are signed by melange.rsa.pub, which is not among the vectors: insecure mode.
      ApkArchive apk = ApkArchive.open(path, q1, keys, apko, file);
      assertEquals(apko ? Optional.empty() : Optional.of("alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub"),
          apk.signer(), file);
      assertEquals(q1, apk.checksum(), file);
      assertEquals(size, apk.size(), file);
      assertEquals(Optional.of(sha256), apk.pkgInfo().first("datahash"), file);
      List<String> control = names(entriesLine(lines, 1));
      List<String> expectedControl = control.stream().filter(n -> !n.equals(".PKGINFO")
          && Control.SCRIPTS.contains(n)).toList();
      assertEquals(expectedControl, List.copyOf(apk.scripts().keySet()), file);
      StringBuilder pkginfo = new StringBuilder();
      boolean in = false;
      for (String l : lines) {
        if (l.equals("  .PKGINFO:")) {
          in = true;
        } else if (in) {
          pkginfo.append(l.substring(4)).append('\n');
        }
      }
      assertEquals(PkgInfo.parse(pkginfo.toString(), "expected").entries(), apk.pkgInfo().entries(), file);
      List<String> data = names(entriesLine(lines, 2));
      List<String> actual = entries(apk).stream().map(ApkEntry::path).toList();
      assertEquals(data, actual.subList(0, Math.min(data.size(), actual.size())), file);
      checked++;
    }
    assertEquals(5, checked);
  }

  private static String find(String[] lines, String prefix) {
    for (String l : lines) {
      if (l.startsWith(prefix)) {
        return l;
      }
    }
    throw new AssertionError(prefix);
  }

  private static String field(String line, String name) {
    for (String f : line.strip().split(" ")) {
      if (f.startsWith(name + "=")) {
        return f.substring(name.length() + 1);
      }
    }
    throw new AssertionError(name);
  }

  private static String entriesLine(String[] lines, int member) {
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("  member" + member + ":")) {
        return lines[i + 1].strip().substring("entries: ".length());
      }
    }
    throw new AssertionError("member" + member);
  }

  /** Entry names of a listing: PAX header entries dropped, "/" of directories and the "...(N total)" tail cut. */
  private static List<String> names(String listing) {
    List<String> out = new ArrayList<>();
    for (String item : listing.split(" ")) {
      if (item.startsWith("...(")) {
        break;
      }
      if (item.endsWith(")") && item.contains("(x,")) {
        continue;
      }
      String name = item.substring(0, item.lastIndexOf('('));
      out.add(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
    }
    return out;
  }

  // ---- one flipped byte in each part, and the other breaks of the chain ----

  private byte[] busybox() throws IOException {
    return Files.readAllBytes(ApkTestData.alpine("apk/v3.7-armhf/busybox-1.27.2-r7.apk"));
  }

  private IOException refused(byte[] apk, String expectedChecksum, ApkKeys keys, boolean allowUnsigned) {
    Path file = ApkFixtures.write(dir, "tampered.apk", apk);
    return assertThrows(IOException.class, () -> ApkArchive.open(file, expectedChecksum, keys, allowUnsigned,
        "busybox-1.27.2-r7"));
  }

  @Test
  void aFlippedByteInTheSignatureIsRefused() throws Exception {
    List<byte[]> m = ApkFixtures.members(busybox());
    byte[] sigTar = ApkFixtures.gunzip(m.get(0));
    byte[] badSig = ApkFixtures.gzip(ApkFixtures.flip(sigTar, 512 + 100));
    IOException e = refused(concat(badSig, m.get(1), m.get(2)), null, ApkTestData.alpineKeys("armhf"), false);
    assertEquals("busybox-1.27.2-r7: signature: no signature verifies: '.SIGN.RSA." + ARMHF_KEY + "' (BAD signature);"
        + " trusted keys: " + ARMHF_KEY + ", alpine-devel@lists.alpinelinux.org-616a9724.rsa.pub", e.getMessage());
  }

  @Test
  void aFlippedByteInTheControlMemberIsRefused() throws Exception {
    List<byte[]> m = ApkFixtures.members(busybox());
    // The control member's gzip MTIME: it still unpacks, but its bytes are neither the signed nor the indexed ones.
    byte[] tampered = concat(m.get(0), ApkFixtures.flip(m.get(1), 4), m.get(2));
    IOException e = refused(tampered, "Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=", ApkTestData.alpineKeys("armhf"), false);
    assertTrue(e.getMessage().startsWith("busybox-1.27.2-r7: signature: no signature verifies: '.SIGN.RSA." + ARMHF_KEY
        + "' (BAD signature)"), e.getMessage());
    // Insecure mode skips the signature; the index's checksum still catches it.
    IOException e2 = refused(tampered, "Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=", ApkKeys.none(), true);
    assertTrue(e2.getMessage().startsWith("busybox-1.27.2-r7: control checksum is Q1"), e2.getMessage());
    assertTrue(e2.getMessage().endsWith(", but the index says Q1ntxCxyps/CiZx6Q2iK55IVR8yp4="), e2.getMessage());
    // A flipped byte inside the compressed control data breaks its deflate stream or CRC, naming the member.
    byte[] corrupt = concat(m.get(0), ApkFixtures.flip(m.get(1), m.get(1).length / 2), m.get(2));
    IOException e3 = refused(corrupt, null, ApkTestData.alpineKeys("armhf"), false);
    assertTrue(e3.getMessage().startsWith("busybox-1.27.2-r7: gzip member 2 (offset " + m.get(0).length + ")")
        || e3.getMessage().contains("signature"), e3.getMessage());
  }

  @Test
  void aFlippedByteInTheDataMemberFailsTheDatahash() throws Exception {
    List<byte[]> m = ApkFixtures.members(busybox());
    IOException e = refused(concat(m.get(0), m.get(1), ApkFixtures.flip(m.get(2), 4)), null,
        ApkTestData.alpineKeys("armhf"), false);
    assertTrue(e.getMessage().startsWith("busybox-1.27.2-r7: datahash: the data member's SHA-256 is "), e.getMessage());
    assertTrue(e.getMessage().contains(", but .PKGINFO says "), e.getMessage());
  }

  /**
   * One file's content changed in a package without datahash, rebuilt as valid gzip and signed
   * (over control and data, as apk signs such packages) by a key made here: only the file's
   * APK-TOOLS.checksum.SHA1 record can catch it.
   */
  @Test
  void aChangedFileFailsItsPerFileChecksum() throws Exception {
    byte[] real = Files.readAllBytes(ApkTestData.alpine("apk/v3.7-armhf/zlib-1.2.11-r1.apk"));
    List<byte[]> m = ApkFixtures.members(real);
    byte[] dataTar = ApkFixtures.gunzip(m.get(2));
    long contentOffset = -1;
    String file = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(dataTar))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (e.isFile() && !e.isSymbolicLink() && e.getSize() > 200) {
          contentOffset = tar.getBytesRead();
          file = e.getName();
          break;
        }
      }
    }
    assertEquals("lib/libz.so.1.2.11", file);
    byte[] data = ApkFixtures.gzip(ApkFixtures.flip(dataTar, (int) contentOffset + 100));
    String pkginfo = new String(ApkFixtures.gunzip(m.get(1)), StandardCharsets.UTF_8);
    String realPkginfo = realPkginfo(m.get(1));
    assertTrue(pkginfo.contains(realPkginfo));
    String withoutDatahash = realPkginfo.lines().filter(l -> !l.startsWith("datahash"))
        .reduce("", (a, b) -> a + b + "\n");
    byte[] control = ApkFixtures.controlMember(withoutDatahash, null);
    byte[] apk = concat(ApkFixtures.signatureMember(control, data), control, data);
    Path path = ApkFixtures.write(dir, "zlib.apk", apk);
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(path, null, ApkFixtures.testKeys(), false,
        "zlib-1.2.11-r1"));
    assertTrue(e.getMessage().startsWith("zlib-1.2.11-r1: file 'lib/libz.so.1.2.11': its content's SHA-1 is "),
        e.getMessage());
    assertTrue(e.getMessage().contains("but its APK-TOOLS.checksum.SHA1 record says"), e.getMessage());

    // The unchanged data, so rebuilt and signed, verifies: the signature covers the data when there is no datahash.
    byte[] good = concat(ApkFixtures.signatureMember(control, m.get(2)), control, m.get(2));
    ApkArchive ok = ApkArchive.open(ApkFixtures.write(dir, "good.apk", good), ApkFixtures.q1(control),
        ApkFixtures.testKeys(), false, "zlib");
    assertEquals(Optional.of(ApkFixtures.KEY_NAME), ok.signer());
    assertEquals(Optional.empty(), ok.pkgInfo().first("datahash"));
    entries(ok);
    // ... and any change of the data member is then a signature failure.
    byte[] swapped = concat(ApkFixtures.signatureMember(control, m.get(2)), control, ApkFixtures.flip(m.get(2), 4));
    IOException e2 = assertThrows(IOException.class, () -> ApkArchive.open(ApkFixtures.write(dir, "swapped.apk",
        swapped), null, ApkFixtures.testKeys(), false, "zlib"));
    assertTrue(e2.getMessage().startsWith("zlib: signature: no signature verifies: '.SIGN.RSA." + ApkFixtures.KEY_NAME
        + "' (BAD signature)"), e2.getMessage());
    // With a datahash matching the changed data, the per-file record still catches the file.
    byte[] control2 = ApkFixtures.controlMember(withoutDatahash, ApkFixtures.sha256Hex(data));
    byte[] apk2 = concat(ApkFixtures.signatureMember(control2), control2, data);
    IOException e3 = assertThrows(IOException.class, () -> ApkArchive.open(ApkFixtures.write(dir, "zlib2.apk", apk2),
        null, ApkFixtures.testKeys(), false, "zlib"));
    assertTrue(e3.getMessage().startsWith("zlib: file 'lib/libz.so.1.2.11': its content's SHA-1 is "), e3.getMessage());
  }

  private static String realPkginfo(byte[] controlMember) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(
        ApkFixtures.gunzip(controlMember)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (e.getName().equals(".PKGINFO")) {
          return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("no .PKGINFO");
  }

  @Test
  void aWrongExpectedChecksumIsRefused() throws Exception {
    IOException e = refused(busybox(), "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=", ApkTestData.alpineKeys("armhf"), false);
    assertEquals("busybox-1.27.2-r7: control checksum is Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=, but the index says"
        + " Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=", e.getMessage());
  }

  @Test
  void anUnsignedPackageIsRefusedUnlessAllowed() throws Exception {
    List<byte[]> m = ApkFixtures.members(busybox());
    byte[] unsigned = concat(m.get(1), m.get(2));
    IOException e = refused(unsigned, "Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=", ApkTestData.alpineKeys("armhf"), false);
    assertTrue(e.getMessage().startsWith("busybox-1.27.2-r7: signature: the package is not signed"), e.getMessage());
    ApkArchive apk = ApkArchive.open(ApkFixtures.write(dir, "unsigned.apk", unsigned), "Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=",
        ApkTestData.alpineKeys("armhf"), true, "busybox");
    assertEquals(Optional.empty(), apk.signer());
    assertEquals("Q1ntxCxyps/CiZx6Q2iK55IVR8yp4=", apk.checksum(), "the identity is the control member's alone");
    entries(apk);
  }

  @Test
  void anApkV3PackageIsRefusedSayingSo() {
    Path adb = ApkFixtures.write(dir, "x.apk", concat("ADBd".getBytes(StandardCharsets.US_ASCII), new byte[100]));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(adb, null, ApkKeys.none(), true, "x-1-r0"));
    assertEquals("x-1-r0: an APKv3 package (ADB, deflate-compressed) is not supported; Alpine and Wolfi ship the v2"
        + " format (gzip streams with a signature member), which is what imagepatch reads", e.getMessage());
  }

  @Test
  void dataEntriesThatLeaveTheRootAreRefusedNamingPackageAndEntry() throws Exception {
    for (String bad : new String[] {"usr/../../etc/passwd", "../x", "/../etc/shadow", "etc/a\nb", "etc/a\rb"}) {
      byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(ApkFixtures.Entry.dir("etc"),
          ApkFixtures.Entry.file(bad, "owned"))));
      Path apk = ApkFixtures.write(dir, "evil.apk", ApkFixtures.signedApk(data, true));
      IOException e = assertThrows(IOException.class, () -> ApkArchive.open(apk, null, ApkFixtures.testKeys(), false,
          "evil-1.0-r0"));
      assertTrue(e.getMessage().startsWith("evil-1.0-r0: data entry '"), e.getMessage());
      assertTrue(e.getMessage().contains(bad.contains("..") ? "leaves the root" : "holds NUL or a line end"),
          e.getMessage());
    }
    // A hard link out of the root too.
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(new ApkFixtures.Entry("etc/x", new byte[0], '1',
        "../../etc/shadow", Map.of()))));
    Path apk = ApkFixtures.write(dir, "evil.apk", ApkFixtures.signedApk(data, true));
    IOException e = assertThrows(IOException.class, () -> ApkArchive.open(apk, null, ApkFixtures.testKeys(), false,
        "evil-1.0-r0"));
    assertTrue(e.getMessage().contains("'etc/x'") && e.getMessage().contains("leaves the root"), e.getMessage());
  }

  @Test
  void pathsAreNormalizedAndTheRootEntryPassedOver() throws Exception {
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(ApkFixtures.Entry.dir("."),
        ApkFixtures.Entry.dir("./usr"), ApkFixtures.Entry.file("./usr//bin/./x", "hello"),
        ApkFixtures.Entry.symlink("usr/bin/y", "x"))));
    ApkArchive apk = ApkArchive.open(ApkFixtures.write(dir, "ok.apk", ApkFixtures.signedApk(data, true)), null,
        ApkFixtures.testKeys(), false, "ok");
    List<ApkEntry> entries = entries(apk);
    assertEquals(List.of("usr", "usr/bin/x", "usr/bin/y"), entries.stream().map(ApkEntry::path).toList());
    assertEquals(ApkEntry.Type.DIRECTORY, entries.get(0).type());
    assertNull(entries.get(0).sha1Hex());
    assertEquals(5, entries.get(1).size());
    assertEquals("x", entries.get(2).linkTarget());
    assertEquals(Map.of(DataEntries.CHECKSUM, ApkFixtures.sha1Hex("x".getBytes(StandardCharsets.UTF_8))),
        entries.get(2).paxHeaders());
  }

  @Test
  void readDataChecksEachFileAsItIsReadAndRefusesAFileChangedSinceOpen() throws Exception {
    byte[] data = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(ApkFixtures.Entry.file("a", "one"),
        ApkFixtures.Entry.file("b", "two"))));
    Path path = ApkFixtures.write(dir, "p.apk", ApkFixtures.signedApk(data, true));
    ApkArchive apk = ApkArchive.open(path, null, ApkFixtures.testKeys(), false, "p");
    // A visitor that reads nothing: the content is still read and checked.
    apk.readData((entry, content) -> { });
    // The file replaced after it was verified: a new data member is caught by its file checksum or the digest.
    byte[] other = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(ApkFixtures.Entry.file("a", "one"),
        new ApkFixtures.Entry("b", "TWO".getBytes(StandardCharsets.UTF_8), '0', null,
            Map.of(DataEntries.CHECKSUM, ApkFixtures.sha1Hex("two".getBytes(StandardCharsets.UTF_8)))))));
    byte[] original = Files.readAllBytes(path);
    List<byte[]> m = ApkFixtures.members(original);
    Files.write(path, concat(m.get(0), m.get(1), other));
    List<String> seen = new ArrayList<>();
    IOException e = assertThrows(IOException.class, () -> apk.readData((entry, content) -> seen.add(entry.path())));
    assertEquals("p: file 'b': its content's SHA-1 is " + ApkFixtures.sha1Hex("TWO".getBytes(StandardCharsets.UTF_8))
        + ", but its APK-TOOLS.checksum.SHA1 record says " + ApkFixtures.sha1Hex("two".getBytes(
            StandardCharsets.UTF_8)), e.getMessage());
    byte[] consistent = ApkFixtures.gzip(ApkFixtures.tar(false, List.of(ApkFixtures.Entry.file("a", "uno"))));
    Files.write(path, concat(m.get(0), m.get(1), consistent));
    IOException e2 = assertThrows(IOException.class, () -> apk.readData((entry, content) -> { }));
    assertTrue(e2.getMessage().startsWith("p: the data members changed since the package was verified"),
        e2.getMessage());
  }

  @Test
  void aBadKeyFileIsRefusedNamingIt() {
    IOException e = assertThrows(IOException.class, () -> ApkKeys.of(Map.of("broken.rsa.pub",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".getBytes(StandardCharsets.US_ASCII))));
    assertTrue(e.getMessage().startsWith("apk key broken.rsa.pub: not an RSA public key"), e.getMessage());
    IOException e2 = assertThrows(IOException.class, () -> ApkKeys.of(Map.of("x.pub",
        "hello".getBytes(StandardCharsets.US_ASCII))));
    assertTrue(e2.getMessage().startsWith("apk key x.pub: not a PEM PUBLIC KEY"), e2.getMessage());
    IOException e3 = assertThrows(IOException.class, () -> ApkKeys.of(Map.of("../x.pub", new byte[0])));
    assertTrue(e3.getMessage().contains("is not a plain file name"), e3.getMessage());
    assertTrue(ApkKeys.none().isEmpty());
    assertEquals(17, ApkTestData.keysIn(ApkTestData.alpine("keys")).names().size());
  }
}
