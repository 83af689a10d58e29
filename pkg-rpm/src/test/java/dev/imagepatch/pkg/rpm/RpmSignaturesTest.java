package dev.imagepatch.pkg.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Package and database header signatures, judged by what rpmkeys -Kv says of them. */
class RpmSignaturesTest {
  @TempDir
  Path temp;

  /** The keys rpm had imported when expected-rpm-query.txt was recorded. */
  static RpmKeys recordedKeys() throws IOException {
    return RpmKeys.fromFiles(List.of(
        SharedData.path("vectors/rpm/packages/centos/RPM-GPG-KEY-CentOS-6"),
        SharedData.path("vectors/rpm/packages/centos/RPM-GPG-KEY-CentOS-7"),
        SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-openSUSE"),
        SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-openSUSE-2022")));
  }

  /** file → the signature items of its "K:" line, in rpm's order. */
  static Map<String, List<String>> recorded() throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String file = null;
    for (String line : Files.readAllLines(SharedData.path("vectors/rpm/packages/expected-rpm-query.txt"))) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.contains(" | ")) {
        file = line.split(" \\| ")[0];
      } else if (line.strip().startsWith("K: ")) {
        List<String> sigs = new ArrayList<>();
        for (String item : line.strip().substring(3).split(";")) {
          if (item.contains("Signature")) {
            sigs.add(item.strip());
          }
        }
        out.put(file, sigs);
      }
    }
    return out;
  }

  @Test
  void agreesWithRpmkeysOnEveryPackage() throws Exception {
    RpmKeys keys = recordedKeys();
    Map<String, List<String>> recorded = recorded();
    assertEquals(15, recorded.size());
    for (Map.Entry<String, List<String>> e : recorded.entrySet()) {
      RpmPackage p = RpmPackage.open(SharedData.path("vectors/rpm/packages/" + e.getKey()));
      List<String> ours = RpmSignatures.check(p, keys).stream().map(RpmSignatures.Check::rpmLabel).toList();
      assertEquals(e.getValue(), ours, e.getKey());
      boolean rpmOk = !e.getValue().isEmpty() && e.getValue().stream().allMatch(s -> s.endsWith(": OK"));
      if (rpmOk) {
        RpmSignatures.verify(p, keys, false);
      } else {
        IOException x = assertThrows(IOException.class, () -> RpmSignatures.verify(p, keys, false), e.getKey());
        assertTrue(x.getMessage().startsWith(p.file().toString()), x.getMessage());
        RpmSignatures.verify(p, keys, true);
      }
    }
  }

  @Test
  void signedPackagesVerifyAndTheOthersAreRefusedNamingPackageAndKey() throws Exception {
    RpmKeys keys = recordedKeys();
    for (String ok : List.of("centos/centos-release-6-0.el6.centos.5.x86_64.rpm",
        "centos/centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm", "centos/epel-release-7-5.noarch.rpm",
        "opensuse/mc-4.8.15-10.3.1.x86_64.rpm", "opensuse/mc-4.8.21-2.1.x86_64.rpm",
        "opensuse/ruby2.6-rubygem-fast_gettext-2.0.1-1.1.x86_64.rpm")) {
      List<RpmSignatures.Check> checks = RpmSignatures.verify(
          RpmPackage.open(SharedData.path("vectors/rpm/packages/" + ok)), keys, false);
      assertEquals(2, checks.size(), ok);
      assertTrue(checks.stream().allMatch(c -> c.status() == RpmSignatures.Status.OK), ok);
    }
    RpmPackage unsigned = RpmPackage.open(
        SharedData.path("vectors/rpm/packages/fedora-unsigned/xrootd-devel-5.5.4-1.fc37.x86_64.rpm"));
    IOException e = assertThrows(IOException.class, () -> RpmSignatures.verify(unsigned, keys, false));
    assertTrue(e.getMessage().contains("xrootd-devel-5.5.4-1.fc37.x86_64.rpm: not signed"), e.getMessage());
    assertEquals(List.of(), RpmSignatures.verify(unsigned, keys, true));
    RpmPackage nokey = RpmPackage.open(
        SharedData.path("vectors/rpm/packages/opensuse/python311-pytest-xprocess-0.23.0-2.4.noarch.rpm"));
    IOException n = assertThrows(IOException.class, () -> RpmSignatures.verify(nokey, keys, false));
    assertTrue(n.getMessage().contains("python311-pytest-xprocess") && n.getMessage().contains("969a1c06"),
        n.getMessage());
  }

  @Test
  void oldDsaSha1SignaturesAreWeakEvenWithTheirKeys() throws Exception {
    // rpm 4.18 does not import the CentOS 2-5 keys (NOKEY); Bouncy Castle reads them and the V3
    // DSA/SHA1 signatures verify, but SHA-1 is not trusted: refused all the same.
    RpmKeys old = RpmKeys.fromFiles(List.of(
        SharedData.path("vectors/rpm/packages/centos/RPM-GPG-KEY-CentOS-5")));
    RpmPackage p = RpmPackage.open(
        SharedData.path("vectors/rpm/packages/centos/centos-release-5-0.0.el5.centos.2.x86_64.rpm"));
    List<RpmSignatures.Check> checks = RpmSignatures.check(p, old);
    assertFalse(checks.isEmpty());
    for (RpmSignatures.Check c : checks) {
      assertEquals("DSA/SHA1", c.algorithm());
      assertEquals(3, c.version());
      assertEquals(RpmSignatures.Status.WEAK, c.status(), c.toString());
    }
    assertThrows(IOException.class, () -> RpmSignatures.verify(p, old, false));
  }

  @Test
  void aBrokenSignatureIsBadAndRefusedEvenWhenUnsignedIsAllowed() throws Exception {
    Path file = SharedData.path("vectors/rpm/packages/centos/centos-release-7-2.1511.el7.centos.2.10.x86_64.rpm");
    RpmPackage p = RpmPackage.open(file);
    Header sig = p.signatureHeader();
    Header.Entry rsa = sig.entries().stream().filter(x -> x.tag() == Tags.RSAHEADER).findFirst().orElseThrow();
    long at = RpmPackage.LEAD_SIZE + 16 + 16L * sig.entries().size() + rsa.offset() + rsa.count() - 2;
    byte[] bytes = Files.readAllBytes(file);
    bytes[(int) at] ^= 0x10;
    Path bad = temp.resolve(file.getFileName());
    Files.write(bad, bytes);
    RpmPackage q = RpmPackage.open(bad);
    q.verify(); // digests are fine: only the signature packet changed
    IOException e = assertThrows(IOException.class, () -> RpmSignatures.verify(q, recordedKeys(), true));
    assertTrue(e.getMessage().startsWith(bad + ": BAD signature (Header V3 RSA/SHA256 Signature, key ID f4a80eb5"),
        e.getMessage());
  }

  @Test
  void databaseHeadersVerifyWithTheDatabasesOwnKeys() throws Exception {
    Path al = SharedData.path("vectors/rpm/rpmdb/sqlite/amazonlinux2023-plain/rpmdb.sqlite");
    List<Header> headers = new ArrayList<>();
    for (Map.Entry<Long, byte[]> e : HeaderTest.blobs(al).entrySet()) {
      headers.add(Header.ofBlob(e.getValue(), "amazonlinux2023 hnum " + e.getKey()));
    }
    RpmKeys fromDb = RpmKeys.fromDatabase(headers);
    assertTrue(fromDb.keyIds().contains("e951904ad832c631"), fromDb.keyIds().toString());
    RpmKeys fromFile = RpmKeys.fromFiles(List.of(SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-amazon-linux-2023")));
    int signed = 0;
    for (Header h : headers) {
      if (h.string(Tags.NAME).orElseThrow().equals("gpg-pubkey")) {
        continue;
      }
      for (RpmKeys keys : List.of(fromDb, fromFile)) {
        List<RpmSignatures.Check> checks = RpmSignatures.checkHeader(h, keys);
        assertEquals(1, checks.size(), h.source());
        assertEquals(RpmSignatures.Status.OK, checks.get(0).status(), h.source() + " " + checks);
        assertEquals("RSA/SHA512", checks.get(0).algorithm());
      }
      assertEquals(RpmSignatures.Status.NOKEY, RpmSignatures.checkHeader(h, RpmKeys.none()).get(0).status());
      signed++;
    }
    assertEquals(102, signed);
    Path mariner = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    RpmKeys microsoft = RpmKeys.fromFiles(List.of(SharedData.path("vectors/rpm/keys/MICROSOFT-RPM-GPG-KEY")));
    for (Map.Entry<Long, byte[]> e : HeaderTest.blobs(mariner).entrySet()) {
      Header h = Header.ofBlob(e.getValue(), "mariner hnum " + e.getKey());
      List<RpmSignatures.Check> checks = RpmSignatures.checkHeader(h, microsoft);
      assertEquals(1, checks.size(), h.source());
      assertEquals(RpmSignatures.Status.OK, checks.get(0).status(), h.source() + " " + checks);
      // A header changed outside its region (as the database does) still verifies; inside, it does not.
      Header dribbled = h.with(List.of(new Header.Value(Tags.INSTALLTIME, Tags.INT32, new long[] {1})));
      assertEquals(RpmSignatures.Status.OK, RpmSignatures.checkHeader(dribbled, microsoft).get(0).status());
    }
  }

  @Test
  void multiKeyFilesReadEveryBlock() throws Exception {
    RpmKeys rh = RpmKeys.fromFiles(List.of(SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-redhat8-release")));
    assertTrue(rh.keyIds().contains("199e2f91fd431d51"), rh.keyIds().toString());
    assertTrue(rh.keyIds().stream().anyMatch(k -> k.endsWith("2fa658e0")), rh.keyIds().toString());
    Path junk = temp.resolve("junk.asc");
    Files.writeString(junk, "not a key");
    IOException e = assertThrows(IOException.class, () -> RpmKeys.fromFiles(List.of(junk)));
    assertTrue(e.getMessage().startsWith(junk.toString()), e.getMessage());
  }

  @Test
  void anEdDsaV4SignatureMadeByRpmsignVerifiesAsRpmkeysSays() throws Exception {
    Tools.require("gpg");
    Tools.require("rpmsign");
    Tools.require("rpmkeys");
    Path gnupg = Files.createDirectories(temp.resolve("gnupg"));
    Files.setPosixFilePermissions(gnupg, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    List<String> gpg = List.of("gpg", "--homedir", gnupg.toString(), "--batch", "--pinentry-mode", "loopback",
        "--passphrase", "");
    try {
      Tools.run(concat(gpg, "--quick-gen-key", "Imagepatch Test <test@imagepatch.invalid>", "ed25519", "sign",
          "never"));
      byte[] armored = Tools.run(concat(gpg, "--armor", "--export", "test@imagepatch.invalid"));
      Path key = temp.resolve("key.asc");
      Files.write(key, armored);
      Path pkg = temp.resolve("foo-1.0-1.noarch.rpm");
      Files.copy(SharedData.path("vectors/rpm/foo-1.0-1.noarch.rpm"), pkg);
      Tools.run(List.of("rpmsign", "--addsign", "--define", "_gpg_name test@imagepatch.invalid", "--define",
          "_gpg_path " + gnupg, "--define", "__gpg /usr/bin/gpg", "--define",
          "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ''", pkg.toString()));
      Path db = Files.createDirectories(temp.resolve("db"));
      Tools.run(List.of("rpmkeys", "--dbpath", db.toString(), "--import", key.toString()));
      String k = Tools.text(List.of("rpmkeys", "--dbpath", db.toString(), "-Kv", pkg.toString()));
      List<String> theirs = new ArrayList<>();
      for (String line : k.split("\n")) {
        if (line.contains("Signature")) {
          theirs.add(line.strip());
        }
      }
      RpmKeys keys = RpmKeys.fromFiles(List.of(key));
      RpmPackage p = RpmPackage.open(pkg);
      p.verify();
      List<RpmSignatures.Check> checks = RpmSignatures.verify(p, keys, false);
      assertEquals(theirs, checks.stream().map(RpmSignatures.Check::rpmLabel).toList());
      assertTrue(checks.get(0).algorithm().startsWith("EdDSA/"), checks.toString());
      assertEquals(4, checks.get(0).version());
      assertThrows(IOException.class, () -> RpmSignatures.verify(p, recordedKeys(), false));
    } finally {
      new ProcessBuilder("gpgconf", "--homedir", gnupg.toString(), "--kill", "all").start().waitFor();
    }
  }

  private static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(Arrays.asList(b));
    return out;
  }
}
