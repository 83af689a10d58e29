package dev.imagepatch.cli.e2e;

import static dev.imagepatch.cli.e2e.AlpineFixtures.field;
import static dev.imagepatch.cli.e2e.AlpineFixtures.members;
import static dev.imagepatch.cli.e2e.AlpineFixtures.q1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.cli.e2e.AlpineFixtures.Member;
import dev.imagepatch.cli.e2e.AlpineFixtures.Packed;
import dev.imagepatch.cli.e2e.AlpineFixtures.RecordFile;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repositories make-apk-repository.py writes, checked independently of imagepatch's own apk
 * reader (which the end-to-end tests exercise): signatures by {@code openssl dgst -verify}, the
 * index's C: and S: against each .apk, datahash and every PAX checksum, the records' own Z: and
 * a:/M:, the scripts, and the shape of the gzip members against real Alpine packages.
 */
class AlpineRepositoryScriptTest {
  @TempDir
  static Path work;

  static Path keys;
  static Path repo;
  static Path newRootfs;
  static String newInstalled;
  static List<AlpineFixtures.Upgrade> upgrades;

  @BeforeAll
  static void packTheDifferencesOf3109() throws Exception {
    keys = work.resolve("keys");
    Path priv = AlpineFixtures.key(keys, AlpineFixtures.KEY_NAME);
    Path impostor = AlpineFixtures.key(keys, AlpineFixtures.IMPOSTOR_KEY_NAME);
    Path oldRootfs = AlpineFixtures.minirootfs("3.10.3", "x86_64");
    newRootfs = AlpineFixtures.minirootfs("3.10.9", "x86_64");
    newInstalled = AlpineFixtures.installed(newRootfs);
    upgrades = AlpineFixtures.upgrades(AlpineFixtures.installed(oldRootfs), newInstalled);
    repo = work.resolve("repo");
    List<String> common = List.of("--rootfs", newRootfs.toString(), "--key", priv.toString(), "--changed-from",
        oldRootfs.toString());
    AlpineFixtures.makeRepositories(List.of(
        concat(common, "--out", repo.toString(), "--sha256"),
        concat(common, "--out", work.resolve("unsigned").toString(), "--unsigned-index"),
        concat(common, "--out", work.resolve("escape").toString(), "--escape", "musl"),
        concat(common, "--out", work.resolve("swapped").toString(), "--index-checksum-of", "musl=busybox"),
        concat(common, "--out", work.resolve("v3").toString(), "--apkv3-index"),
        concat(common, "--out", work.resolve("impostor").toString(), "--index-key", impostor.toString()),
        List.of("--empty", "x86_64", "--key", priv.toString(), "--out", work.resolve("empty").toString())));
  }

  private static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }

  @Test
  void everyPackageThatDiffersIsPackedAndIndexed() throws Exception {
    Map<String, Packed> packed = AlpineFixtures.packed(repo.resolve("x86_64"));
    assertEquals(upgrades.stream().map(AlpineFixtures.Upgrade::name).sorted().toList(),
        packed.keySet().stream().sorted().toList());
    assertTrue(packed.keySet().containsAll(List.of("libcrypto1.1", "libssl1.1", "busybox", "musl",
        "ca-certificates-cacert", "apk-tools")), packed.keySet().toString());
    Map<String, String> index = AlpineFixtures.records(indexText(repo.resolve("x86_64/APKINDEX.tar.gz")));
    Map<String, String> installed = AlpineFixtures.records(newInstalled);
    for (Packed p : packed.values()) {
      byte[] apk = Files.readAllBytes(repo.resolve("x86_64").resolve(p.file()));
      List<Member> m = members(apk);
      assertEquals(3, m.size(), p.name() + ": signature, control and data members");
      assertEquals(p.checksum(), q1(m.get(1).compressed()), p.name() + ": Q1 of the control member");
      assertEquals(p.size(), apk.length);
      String stanza = index.get(p.name());
      assertEquals(p.checksum(), field(stanza, 'C'));
      assertEquals(String.valueOf(apk.length), field(stanza, 'S'));
      // The stanza is the installed record's header, C: and S: aside, in apk-tools 2's order.
      String header = header(installed.get(p.name()));
      assertEquals(AlpineFixtures.withField(AlpineFixtures.withField(header, 'C', p.checksum()), 'S',
          String.valueOf(apk.length)), stanza, p.name());
      assertTrue(stanza.matches("(?s)C:[^\n]+\nP:[^\n]+\nV:[^\n]+\nA:[^\n]+\nS:[^\n]+\nI:[^\n]+\nT:.*"), stanza);

      Map<String, byte[]> signatures = AlpineFixtures.tarEntries(m.get(0).raw());
      assertEquals(List.of(".SIGN.RSA." + AlpineFixtures.KEY_NAME, ".SIGN.RSA256." + AlpineFixtures.KEY_NAME),
          List.copyOf(signatures.keySet()));
      verify(m.get(1).compressed(), signatures.get(".SIGN.RSA." + AlpineFixtures.KEY_NAME), "-sha1",
          AlpineFixtures.KEY_NAME);
      verify(m.get(1).compressed(), signatures.get(".SIGN.RSA256." + AlpineFixtures.KEY_NAME), "-sha256",
          AlpineFixtures.KEY_NAME);

      Map<String, byte[]> control = AlpineFixtures.tarEntries(m.get(1).raw());
      String pkginfo = new String(control.get(".PKGINFO"), StandardCharsets.UTF_8);
      assertEquals(AlpineFixtures.hex("SHA-256", m.get(2).compressed()), pkginfo(pkginfo, "datahash").get(0));
      assertEquals(List.of(p.name()), pkginfo(pkginfo, "pkgname"));
      assertEquals(List.of(p.version()), pkginfo(pkginfo, "pkgver"));
      assertEquals(List.of(field(stanza, 'I')), pkginfo(pkginfo, "size"));
      assertEquals(List.of(field(stanza, 't')), pkginfo(pkginfo, "builddate"));
      assertEquals(List.of(field(stanza, 'o')), pkginfo(pkginfo, "origin"));
      assertEquals(List.of(field(stanza, 'c')), pkginfo(pkginfo, "commit"));
      String depends = field(stanza, 'D');
      assertEquals(depends == null ? List.of() : List.of(depends.split(" ")), pkginfo(pkginfo, "depend"));
      String provides = field(stanza, 'p');
      assertEquals(provides == null ? List.of() : List.of(provides.split(" ")), pkginfo(pkginfo, "provides"));

      checkData(p.name(), m.get(2).raw(), installed.get(p.name()), Long.parseLong(field(stanza, 't')));
    }
  }

  @Test
  void scriptsAndTriggersComeFromTheRootfsDatabase() throws Exception {
    Packed busybox = AlpineFixtures.packed(repo.resolve("x86_64")).get("busybox");
    List<Member> m = members(Files.readAllBytes(repo.resolve("x86_64").resolve(busybox.file())));
    Map<String, byte[]> control = AlpineFixtures.tarEntries(m.get(1).raw());
    assertEquals(List.of(".PKGINFO", ".post-install", ".post-upgrade", ".trigger"), List.copyOf(control.keySet()));
    String installedChecksum = field(AlpineFixtures.records(newInstalled).get("busybox"), 'C');
    Map<String, byte[]> scripts = AlpineFixtures.tarEntries(AlpineFixtures.file(newRootfs, "lib/apk/db/scripts.tar"));
    for (String action : List.of("post-install", "post-upgrade", "trigger")) {
      // scripts.tar names hold the base64 checksum, '/' included.
      byte[] expected = scripts.get("busybox-" + busybox.version() + "." + installedChecksum + "." + action);
      assertNotNull(expected, action + " in " + scripts.keySet());
      assertArrayEquals(expected, control.get("." + action), action);
    }
    String triggers = new String(AlpineFixtures.file(newRootfs, "lib/apk/db/triggers"), StandardCharsets.UTF_8);
    String paths = triggers.lines().filter(l -> l.startsWith(installedChecksum + " ")).findFirst().orElseThrow()
        .substring(installedChecksum.length() + 1);
    assertEquals(List.of(paths), pkginfo(new String(control.get(".PKGINFO"), StandardCharsets.UTF_8), "triggers"));
  }

  @Test
  void theIndexIsSignedAndShapedAsAlpines() throws Exception {
    byte[] index = Files.readAllBytes(repo.resolve("x86_64/APKINDEX.tar.gz"));
    List<Member> m = members(index);
    assertEquals(2, m.size());
    Map<String, byte[]> sig = AlpineFixtures.tarEntries(m.get(0).raw());
    verify(m.get(1).compressed(), sig.get(".SIGN.RSA." + AlpineFixtures.KEY_NAME), "-sha1", AlpineFixtures.KEY_NAME);
    verify(m.get(1).compressed(), sig.get(".SIGN.RSA256." + AlpineFixtures.KEY_NAME), "-sha256",
        AlpineFixtures.KEY_NAME);
    assertEquals(List.of("DESCRIPTION", "APKINDEX"), List.copyOf(AlpineFixtures.tarEntries(m.get(1).raw()).keySet()));
    assertTrue(indexText(repo.resolve("x86_64/APKINDEX.tar.gz")).endsWith("\n\n"), "a blank line ends each stanza");
    // The same shape as the real Alpine index and packages of the shared data.
    assertShape(members(SharedData.bytes("vectors/alpine/apkindex/APKINDEX-v3.16-main-x86_64.tar.gz")), false);
    assertShape(m, false);
    assertShape(members(SharedData.bytes("vectors/alpine/apk/x86_64-misc/c-ares-1.15.0-r0.apk")), true);
    assertShape(members(SharedData.bytes("vectors/alpine/alpine-baselayout-3.2.0-r23.aarch64.apk")), true);
    Packed musl = AlpineFixtures.packed(repo.resolve("x86_64")).get("musl");
    assertShape(members(Files.readAllBytes(repo.resolve("x86_64").resolve(musl.file()))), true);

    byte[] empty = Files.readAllBytes(work.resolve("empty/x86_64/APKINDEX.tar.gz"));
    List<Member> e = members(empty);
    verify(e.get(1).compressed(), AlpineFixtures.tarEntries(e.get(0).raw()).get(".SIGN.RSA." + AlpineFixtures.KEY_NAME),
        "-sha1", AlpineFixtures.KEY_NAME);
    assertEquals("", indexText(work.resolve("empty/x86_64/APKINDEX.tar.gz")));
  }

  @Test
  void theBadRepositoriesAreBadInExactlyOneWay() throws Exception {
    // Unsigned: the index member alone.
    List<Member> unsigned = members(Files.readAllBytes(work.resolve("unsigned/x86_64/APKINDEX.tar.gz")));
    assertEquals(1, unsigned.size());
    assertEquals(List.of("DESCRIPTION", "APKINDEX"), List.copyOf(AlpineFixtures.tarEntries(unsigned.get(0).raw()).keySet()));

    // Signed by the impostor: verifies with its key, not with the test key.
    List<Member> impostor = members(Files.readAllBytes(work.resolve("impostor/x86_64/APKINDEX.tar.gz")));
    byte[] signature = AlpineFixtures.tarEntries(impostor.get(0).raw()).get(".SIGN.RSA." + AlpineFixtures.IMPOSTOR_KEY_NAME);
    verify(impostor.get(1).compressed(), signature, "-sha1", AlpineFixtures.IMPOSTOR_KEY_NAME);
    assertThrows(IOException.class, () -> verify(impostor.get(1).compressed(), signature, "-sha1",
        AlpineFixtures.KEY_NAME));

    // The index says musl's control checksum is busybox's.
    Map<String, Packed> swapped = AlpineFixtures.packed(work.resolve("swapped/x86_64"));
    Map<String, String> swappedIndex = AlpineFixtures.records(indexText(work.resolve("swapped/x86_64/APKINDEX.tar.gz")));
    byte[] musl = Files.readAllBytes(work.resolve("swapped/x86_64").resolve(swapped.get("musl").file()));
    assertEquals(field(swappedIndex.get("busybox"), 'C'), field(swappedIndex.get("musl"), 'C'));
    assertNotEquals(q1(members(musl).get(1).compressed()), field(swappedIndex.get("musl"), 'C'));

    // musl carries ../escaped-by-musl, every checksum consistent.
    Packed escaped = AlpineFixtures.packed(work.resolve("escape/x86_64")).get("musl");
    List<Member> em = members(Files.readAllBytes(work.resolve("escape/x86_64").resolve(escaped.file())));
    assertEquals(escaped.checksum(), q1(em.get(1).compressed()));
    String pkginfo = new String(AlpineFixtures.tarEntries(em.get(1).raw()).get(".PKGINFO"), StandardCharsets.UTF_8);
    assertEquals(AlpineFixtures.hex("SHA-256", em.get(2).compressed()), pkginfo(pkginfo, "datahash").get(0));
    assertTrue(AlpineFixtures.tarEntries(em.get(2).raw()).containsKey("../escaped-by-musl"));

    // APKv3: an ADB file.
    byte[] v3 = Files.readAllBytes(work.resolve("v3/x86_64/APKINDEX.tar.gz"));
    assertEquals("ADB", new String(v3, 0, 3, StandardCharsets.US_ASCII));
  }

  /** Signature and control members are cut tars (no end-of-archive); the index and data members end properly. */
  private static void assertShape(List<Member> m, boolean apk) throws IOException {
    assertTrue(m.get(0).raw().length % 512 == 0 && !endsWithZeroBlock(m.get(0).raw()), "signature tar cut");
    if (apk) {
      assertEquals(3, m.size());
      assertFalse(endsWithZeroBlock(m.get(1).raw()), "control tar cut");
      assertTrue(endsWithZeroBlock(m.get(2).raw()), "data tar ends with end-of-archive blocks");
    } else {
      assertEquals(2, m.size());
      assertTrue(endsWithZeroBlock(m.get(1).raw()), "index tar ends with end-of-archive blocks");
    }
  }

  private static boolean endsWithZeroBlock(byte[] tar) {
    for (int i = tar.length - 512; i < tar.length; i++) {
      if (tar[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The data tar holds the record's directories and files in the record's order, with its modes
   * and owners, each file's PAX SHA-1 equal to its Z: and to its content; so the record apk writes
   * from it is the real one.
   */
  private static void checkData(String name, byte[] tar, String record, long builddate) throws IOException {
    List<String> expected = new ArrayList<>();
    Map<String, String> acl = new LinkedHashMap<>();
    Map<String, String> sums = new LinkedHashMap<>();
    String dir = null;
    for (String line : record.split("\n")) {
      switch (line.charAt(0)) {
        case 'F' -> {
          dir = line.substring(2);
          expected.add(dir + "/");
          acl.put(dir + "/", "0:0:755");
        }
        case 'M' -> acl.put(dir + "/", line.substring(2));
        case 'R' -> {
          expected.add(dir + "/" + line.substring(2));
          acl.put(dir + "/" + line.substring(2), "0:0:644");
        }
        case 'a' -> acl.put(expected.get(expected.size() - 1), line.substring(2));
        case 'Z' -> sums.put(expected.get(expected.size() - 1), line.substring(2));
        default -> { }
      }
    }
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
        assertEquals(acl.get(e.getName()), e.getLongUserId() + ":" + e.getLongGroupId() + ":"
            + Integer.toOctalString(e.getMode() & 07777), name + " " + e.getName());
        assertEquals(builddate * 1000, e.getModTime().getTime(), e.getName());
        if (e.isDirectory()) {
          continue;
        }
        byte[] summed = e.isSymbolicLink() ? e.getLinkName().getBytes(StandardCharsets.UTF_8) : in.readAllBytes();
        String pax = e.getExtraPaxHeader("APK-TOOLS.checksum.SHA1");
        assertEquals(AlpineFixtures.hex("SHA-1", summed), pax, name + " " + e.getName());
        assertEquals(sums.get(e.getName()), q1(summed), name + " " + e.getName() + ": the record's Z:");
      }
    }
    assertEquals(expected, names, name + ": the record's F:/R: order");
  }

  private static String header(String record) {
    StringBuilder out = new StringBuilder();
    for (String line : record.split("\n")) {
      if ("FRMaZ".indexOf(line.charAt(0)) >= 0) {
        break;
      }
      if ("CPVASITULomtckDpi".indexOf(line.charAt(0)) >= 0) {
        out.append(line).append('\n');
      }
    }
    return out.toString().strip();
  }

  private static List<String> pkginfo(String text, String key) {
    return text.lines().filter(l -> l.startsWith(key + " = ")).map(l -> l.substring(key.length() + 3)).toList();
  }

  private static String indexText(Path apkindex) throws IOException {
    List<Member> m = members(Files.readAllBytes(apkindex));
    return new String(AlpineFixtures.tarEntries(m.get(m.size() - 1).raw()).get("APKINDEX"), StandardCharsets.UTF_8);
  }

  /** openssl dgst -verify, a tool we did not write; a bad signature fails with openssl's message. */
  private static void verify(byte[] data, byte[] signature, String digest, String keyName) throws Exception {
    assertNotNull(signature, "signature by " + keyName);
    Path d = Files.write(Files.createTempFile(work, "data-", ".bin"), data);
    Path s = Files.write(Files.createTempFile(work, "sig-", ".bin"), signature);
    String out = Commands.runText("openssl", "dgst", digest, "-verify", keys.resolve(keyName).toString(),
        "-signature", s.toString(), d.toString());
    assertEquals("Verified OK", out.strip());
  }
}
