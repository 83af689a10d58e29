package dev.imagepatch.patch.effects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.Judges;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code update-ca-trust extract} against p11-kit's own {@code trust extract} (Debian's p11-kit
 * 0.24, whose trust module is RHEL 9's) over the same sources, output for output byte for byte:
 * both PEM bundles and their comments, the OpenSSL bundle with its trust and reject lists, the
 * Java key store, the EDK2 list and {@code pem/directory-hash} with both hash links per file.
 *
 * <p>The sources, laid out as on RHEL: the real Mozilla roots of this machine's ca-certificates
 * (a handmade {@code .p11-kit} bundle in the format Fedora's ca-certificates ships, with trust
 * bits as stapled ExtendedKeyUsage extensions: all purposes, e-mail only, code signing only, none;
 * a distrusted root; a distrust by issuer and serial number of a root that is an anchor
 * elsewhere; then {@code anchors/} files in PEM and DER), and certificates made here with openssl:
 * a local CA in {@code /etc}'s {@code anchors/}, a leaf certificate among the anchors (not an
 * authority), an OpenSSL {@code TRUSTED CERTIFICATE} with trust and reject purposes and an alias,
 * and a root moved to {@code /etc}'s {@code blocklist/}.
 *
 * <p>The judge runs as {@code nobody} when the test runs as root: p11-kit ignores the user
 * configuration that points its trust module at the test's sources for root. The module reads a
 * directory in {@code readdir} order; the sources are made on tmpfs in the order that lists them
 * by name, the order CaTrustExtract uses. The key store's entry dates are the one field that
 * depends on the clock: the judge gets {@code SOURCE_DATE_EPOCH}, which p11-kit honours, set to
 * the layer time CaTrustExtract uses, so nothing is masked.
 */
class CaTrustExtractTest {
  private static final long EPOCH = 1_700_000_000L;
  private static final String MOZILLA = "/usr/share/ca-certificates/mozilla/";
  private static final String SERVER = "1.3.6.1.5.5.7.3.1";
  private static final String EMAIL = "1.3.6.1.5.5.7.3.4";
  private static final String CODE = "1.3.6.1.5.5.7.3.3";

  @TempDir
  Path tmp;

  private Path shm;

  @AfterEach
  void cleanUp() throws IOException {
    if (shm != null) {
      try (Stream<Path> s = Files.walk(shm)) {
        s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void sameOutputsAsP11KitTrustExtract() throws Exception {
    Judges.require("trust");
    Judges.require("openssl");
    Judges.require("setpriv");
    Path module = trustModule();
    List<Path> mozilla = mozillaRoots();
    Path root = sourcesDirectory();

    Path usr = dir(root, "usr/share/pki/ca-trust-source");
    Path etc = dir(root, "etc/pki/ca-trust/source");
    // The .p11-kit bundle: roots 0-5 with their trust bits, 6 distrusted, 7 distrusted by issuer and serial.
    StringBuilder bundle = new StringBuilder("# A bundle of roots in the format of Fedora's ca-bundle.trust.p11-kit\n\n");
    bundle.append(anchor(mozilla.get(0), List.of(SERVER, EMAIL, CODE)));
    bundle.append(anchor(mozilla.get(1), List.of(EMAIL)));
    bundle.append(anchor(mozilla.get(2), List.of(CODE)));
    bundle.append(anchor(mozilla.get(3), List.of()));
    bundle.append(anchor(mozilla.get(4), null));
    bundle.append(anchor(mozilla.get(5), List.of(SERVER)));
    bundle.append("[p11-kit-object-v1]\nlabel: \"").append(label(mozilla.get(6)))
        .append("\"\nx-distrusted: true\nmodifiable: false\n").append(pem(mozilla.get(6))).append('\n');
    TrustCertificate blocked = TrustCertificate.parse(der(mozilla.get(7)));
    bundle.append("[p11-kit-object-v1]\nclass: certificate\ncertificate-type: x-509\nlabel: \"Distrust by serial\"\n"
        + "x-distrusted: true\nissuer: \"").append(url(blocked.issuer)).append("\"\nserial-number: \"")
        .append(url(blocked.serial)).append("\"\nmodifiable: false\n\n");

    // anchors/: root 7 (distrusted elsewhere) and all the others from 8 as PEM (labels from their
    // subjects, some not ASCII), root 0 again in DER, a leaf certificate.
    Path usrAnchors = dir(usr, "anchors");
    List<Path> anchorFiles = new ArrayList<>(mozilla.subList(7, mozilla.size()));
    Map<String, byte[]> anchors = new TreeMap<>(TrustToken::compareBytes);
    for (Path p : anchorFiles) {
      anchors.put(p.getFileName().toString(), Files.readAllBytes(p));
    }
    anchors.put("ZZ-again.der", der(mozilla.get(0)));
    Path work = Files.createDirectories(tmp.resolve("certs"));
    anchors.put("leaf.pem", Files.readAllBytes(certificate(work, "leaf", "/CN=leaf.example/O=Example",
        "basicConstraints = critical,CA:FALSE\nextendedKeyUsage = clientAuth\n")));
    writeInOrder(usrAnchors, anchors);

    Path ca = certificate(work, "ca", "/CN=Local  Root   CA/O=Example Org/emailAddress=Admin@Example.ORG",
        "basicConstraints = critical,CA:TRUE\nkeyUsage = keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n");
    writeInOrder(dir(etc, "anchors"), Map.of("local-root.pem", Files.readAllBytes(ca)));
    Path trusted = certificate(work, "trusted", "/CN=Local Trusted CA",
        "basicConstraints = critical,CA:TRUE\nsubjectKeyIdentifier = hash\n");
    byte[] trustedPem = run(List.of("openssl", "x509", "-in", trusted.toString(), "-addtrust", "serverAuth",
        "-addtrust", "emailProtection", "-addtrust", "clientAuth", "-addtrust", "timeStamping", "-addreject",
        "codeSigning", "-setalias", "Local Trusted (alias)", "-trustout"), Map.of());
    // /etc's own files (no flag): the TRUSTED CERTIFICATE; anchors stored as `trust anchor --store`
    // keeps them, one marked not an authority; /usr's: a certificate that is neither anchor nor distrusted.
    String stored = "[p11-kit-object-v1]\nclass: certificate\ncertificate-type: x-509\nlabel: \"Stored anchor\"\n"
        + "trusted: true\nx-distrusted: false\nprivate: false\n" + pem(mozilla.get(9)) + "\n"
        + "[p11-kit-object-v1]\nclass: certificate\ncertificate-type: x-509\nlabel: \"Stored entity\"\n"
        + "trusted: true\ncertificate-category: other-entry\n" + pem(mozilla.get(10));
    writeInOrder(etc, new TreeMap<>(Map.of("local-trusted.pem", trustedPem, "stored.p11-kit",
        stored.getBytes(StandardCharsets.UTF_8))));
    writeInOrder(usr, new TreeMap<>(Map.of("ca-bundle.trust.p11-kit", bundle.toString().getBytes(StandardCharsets.UTF_8),
        "neither.crt", Files.readAllBytes(mozilla.get(11)))));
    writeInOrder(dir(etc, "blocklist"), Map.of(mozilla.get(8).getFileName().toString(),
        Files.readAllBytes(mozilla.get(8))));
    for (Path d : List.of(usr, usrAnchors, etc.resolve("anchors"), etc, etc.resolve("blocklist"))) {
      requireListedByName(d);
    }

    String script = script("/etc/pki/ca-trust/extracted");
    Path out = dir(tmp, "judge");
    for (String d : List.of("openssl", "pem", "java", "edk2")) {
      dir(out, d);
    }
    openUp(tmp);
    openUp(root);
    // As root the script links into the directory the tool left read-only; nobody needs it writable.
    judge(module, root, script(out.toString()).replace("/usr/bin/ln -s ../tls-ca-bundle.pem \"$DEST/pem/directory-hash/"
        + "ca-certificates.crt\"", "chmod u+w \"$DEST/pem/directory-hash\"\n/usr/bin/ln -s ../tls-ca-bundle.pem "
        + "\"$DEST/pem/directory-hash/ca-certificates.crt\""), out);

    CaTrustExtract.Extracted ours = CaTrustExtract.extract(new DirectoryTree(root), script, EPOCH);
    Map<String, String> real = tree(out);
    Map<String, String> mine = new TreeMap<>();
    for (Map.Entry<String, TrustExtract.Entry> e : ours.entries().entrySet()) {
      String path = e.getKey().substring("etc/pki/ca-trust/extracted/".length());
      mine.put(path, e.getValue().link() != null ? "-> " + e.getValue().link() : hash(e.getValue().content()));
    }
    Map<String, String> differences = new TreeMap<>();
    for (String k : new java.util.TreeSet<>(java.util.Set.copyOf(real.keySet()))) {
      if (!real.get(k).equals(mine.get(k))) {
        differences.put(k, real.get(k) + " (ours: " + mine.get(k) + ")");
      }
    }
    mine.keySet().stream().filter(k -> !real.containsKey(k)).forEach(k -> differences.put(k, "only ours"));
    assertEquals(Map.of(), differences);
    assertEquals(real.size(), mine.size());
    for (Map.Entry<String, TrustExtract.Entry> e : ours.entries().entrySet()) {
      if (e.getValue().content() != null) {
        String path = e.getKey().substring("etc/pki/ca-trust/extracted/".length());
        assertArrayEquals(Files.readAllBytes(out.resolve(path)), e.getValue().content(), path);
      }
    }

    // The sources did what they were made for.
    String tls = new String(Files.readAllBytes(out.resolve("pem/tls-ca-bundle.pem")), StandardCharsets.UTF_8);
    String email = new String(Files.readAllBytes(out.resolve("pem/email-ca-bundle.pem")), StandardCharsets.UTF_8);
    String code = new String(Files.readAllBytes(out.resolve("pem/objsign-ca-bundle.pem")), StandardCharsets.UTF_8);
    assertTrue(tls.contains("# " + label(mozilla.get(0)) + "\n") && email.contains("# " + label(mozilla.get(0)))
        && code.contains("# " + label(mozilla.get(0))));
    assertTrue(email.contains("# " + label(mozilla.get(1)) + "\n") && !tls.contains("# " + label(mozilla.get(1)) + "\n"));
    assertTrue(code.contains("# " + label(mozilla.get(2)) + "\n") && !tls.contains("# " + label(mozilla.get(2)) + "\n"));
    assertFalse(tls.contains("# " + label(mozilla.get(3)) + "\n"), "no purpose at all");
    assertFalse(tls.contains("# " + label(mozilla.get(6)) + "\n"), "distrusted");
    assertFalse(tls.contains("# " + label(mozilla.get(7)) + "\n"), "distrusted by issuer and serial");
    assertFalse(tls.contains("# " + label(mozilla.get(8)) + "\n"), "in /etc's blocklist");
    assertFalse(tls.contains("# leaf.example\n"), "not an authority");
    assertTrue(tls.contains("# Local Root CA\n") || tls.contains("# Local  Root   CA\n"));
    assertTrue(tls.contains("# Local Trusted (alias)\n") && !code.contains("# Local Trusted (alias)\n"));
    assertTrue(Files.isSymbolicLink(out.resolve("pem/directory-hash/ca-bundle.crt")));
    assertTrue(Files.list(out.resolve("pem/directory-hash")).count() > 300, "files and both hash links");
    assertTrue(tls.contains("# Stored anchor\n") && !tls.contains("# Stored entity\n"));
    String openssl = new String(Files.readAllBytes(out.resolve("openssl/ca-bundle.trust.crt")), StandardCharsets.UTF_8);
    assertTrue(openssl.contains("# Stored entity\n") && openssl.contains("# " + label(mozilla.get(6)) + "\n"));
  }

  /** The update-ca-trust lines of RHEL 9 and Fedora, writing under {@code dest}. */
  private static String script(String dest) {
    String t = "/usr/bin/trust extract --overwrite ";
    return "#!/bin/sh\n# The extract steps of update-ca-trust.\nset -eu\nDEST=" + dest + "\n"
        + t + "--format=openssl-bundle --filter=certificates --comment $DEST/openssl/ca-bundle.trust.crt\n"
        + t + "--format=pem-bundle --filter=ca-anchors --comment --purpose server-auth $DEST/pem/tls-ca-bundle.pem\n"
        + t + "--format=pem-bundle --filter=ca-anchors --comment --purpose email $DEST/pem/email-ca-bundle.pem\n"
        + t + "--format=pem-bundle --filter=ca-anchors --comment --purpose code-signing "
        + "$DEST/pem/objsign-ca-bundle.pem\n"
        + t + "--format=java-cacerts --filter=ca-anchors --purpose server-auth $DEST/java/cacerts\n"
        + t + "--format=edk2-cacerts --filter=ca-anchors --purpose=server-auth $DEST/edk2/cacerts.bin\n"
        + t + "--format=pem-directory-hash --filter=ca-anchors --purpose server-auth \"$DEST/pem/directory-hash\"\n"
        + "/usr/bin/ln -s ../tls-ca-bundle.pem \"$DEST/pem/directory-hash/ca-certificates.crt\"\n"
        + "/usr/bin/ln -s ../tls-ca-bundle.pem \"$DEST/pem/directory-hash/ca-bundle.crt\"\n";
  }

  /** Runs the script with the trust module's paths set to the two sources of {@code root}. */
  private void judge(Path module, Path root, String script, Path out) throws Exception {
    Path home = dir(tmp, "home");
    Path modules = Files.createDirectories(home.resolve(".config/pkcs11/modules"));
    Files.writeString(modules.resolve("p11-kit-trust.module"), "module: " + module + "\ntrust-policy: yes\n"
        + "x-init-reserved: paths=" + root.resolve("etc/pki/ca-trust/source") + ":"
        + root.resolve("usr/share/pki/ca-trust-source") + "\n");
    Path file = tmp.resolve("update-ca-trust");
    Files.writeString(file, script);
    openUp(tmp);
    List<String> command = new ArrayList<>();
    if ("0".equals(new String(run(List.of("id", "-u"), Map.of()), StandardCharsets.US_ASCII).strip())) {
      command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    command.addAll(List.of("sh", file.toString()));
    run(command, Map.of("HOME", home.toString(), "SOURCE_DATE_EPOCH", Long.toString(EPOCH)));
  }

  private static byte[] run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("P11_KIT_NO_USER_CONFIG");
    pb.environment().putAll(env);
    Path err = Files.createTempFile("judge", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    String stderr = Files.readString(err);
    Files.delete(err);
    assertEquals(0, p.exitValue(), command + ": " + stderr);
    return out;
  }

  /** A certificate made with openssl from a config of the given extensions. */
  private static Path certificate(Path work, String name, String subject, String extensions) throws Exception {
    Path config = work.resolve(name + ".cnf");
    Files.writeString(config, "[req]\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\n[ext]\n" + extensions);
    Path pem = work.resolve(name + ".pem");
    run(List.of("openssl", "req", "-x509", "-config", config.toString(), "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", work.resolve(name + ".key").toString(), "-subj", subject,
        "-days", "3650", "-out", pem.toString()), Map.of());
    return pem;
  }

  /** A root as the .p11-kit bundle has it: trusted, with its purposes stapled (null: none stapled). */
  private static String anchor(Path crt, List<String> purposes) throws IOException {
    StringBuilder b = new StringBuilder("[p11-kit-object-v1]\nlabel: \"").append(label(crt))
        .append("\"\ntrusted: true\nnss-mozilla-ca-policy: true\nmodifiable: false\n").append(pem(crt)).append('\n');
    if (purposes != null) {
      List<byte[]> oids = new ArrayList<>();
      for (String p : purposes.isEmpty() ? List.of(TrustCertificate.OID_RESERVED_PURPOSE) : purposes) {
        oids.add(Der.oid(p));
      }
      byte[] ext = Der.tlv(0x30, Der.concat(List.of(Der.oid(TrustCertificate.OID_EKU),
          new byte[] {0x01, 0x01, (byte) 0xff}, Der.tlv(0x04, Der.tlv(0x30, Der.concat(oids))))));
      TrustCertificate cert = TrustCertificate.parse(der(crt));
      b.append("[p11-kit-object-v1]\nlabel: \"").append(label(crt)).append("\"\nclass: x-certificate-extension\n")
          .append("object-id: 2.5.29.37\nvalue: \"").append(url(ext)).append("\"\nmodifiable: false\n")
          .append(TrustPem.write(cert.publicKeyInfo, "PUBLIC KEY")).append('\n');
    }
    return b.toString();
  }

  private static String label(Path crt) {
    String n = crt.getFileName().toString();
    return n.substring(0, n.length() - 4).replace('_', ' ');
  }

  private static String pem(Path crt) throws IOException {
    return TrustPem.write(der(crt), "CERTIFICATE");
  }

  private static byte[] der(Path crt) throws IOException {
    return TrustPem.parse(Files.readAllBytes(crt)).get(0).der();
  }

  private static String url(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append('%').append(String.format("%02X", x & 0xff));
    }
    return s.toString();
  }

  /** This machine's Mozilla roots, by name; the test needs 40. */
  private static List<Path> mozillaRoots() throws IOException {
    Path dir = Path.of(MOZILLA);
    if (!Files.isDirectory(dir)) {
      return Judges.unavailable(MOZILLA + " is missing (package ca-certificates)");
    }
    List<Path> roots;
    try (Stream<Path> s = Files.list(dir)) {
      roots = s.filter(p -> p.toString().endsWith(".crt")).sorted().toList();
    }
    assertTrue(roots.size() >= 40, "Mozilla roots: " + roots.size());
    return roots;
  }

  private static Path trustModule() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/usr/lib"))) {
      for (Path d : s.toList()) {
        Path m = d.resolve("pkcs11/p11-kit-trust.so");
        if (Files.exists(m)) {
          return m;
        }
      }
    }
    return Judges.unavailable("p11-kit-trust.so is missing (package p11-kit-modules)");
  }

  /** A directory on tmpfs, where files are listed in the order made (or its reverse). */
  private Path sourcesDirectory() throws IOException {
    Path base = Path.of("/dev/shm");
    if (!Files.isDirectory(base) || !Files.isWritable(base)) {
      return Judges.unavailable("/dev/shm is not a writable tmpfs: no predictable directory order for the judge");
    }
    shm = Files.createTempDirectory(base, "catrust");
    return shm;
  }

  /** Writes the files so that the directory lists them in name order (tmpfs lists newest first, or oldest). */
  private static void writeInOrder(Path dir, Map<String, byte[]> files) throws IOException {
    List<String> names = new ArrayList<>(files.keySet());
    names.sort(TrustToken::compareBytes);
    if (!listsNewestFirst(dir)) {
      for (String n : names) {
        write(dir.resolve(n), files.get(n));
      }
    } else {
      for (int i = names.size() - 1; i >= 0; i--) {
        write(dir.resolve(names.get(i)), files.get(names.get(i)));
      }
    }
  }

  private static boolean listsNewestFirst(Path dir) throws IOException {
    Path probe = Files.createTempDirectory(dir.getParent(), "probe");
    Files.createFile(probe.resolve("a"));
    Files.createFile(probe.resolve("b"));
    List<String> order = list(probe);
    Files.delete(probe.resolve("a"));
    Files.delete(probe.resolve("b"));
    Files.delete(probe);
    return order.equals(List.of("b", "a"));
  }

  /**
   * The directory's names in readdir order must be name order, the order our extract reads them in:
   * else the judge is unavailable (which fails under CI=true).
   */
  private static void requireListedByName(Path dir) throws IOException {
    List<String> order = list(dir);
    order.removeIf(n -> Files.isDirectory(dir.resolve(n)));
    List<String> sorted = new ArrayList<>(order);
    sorted.sort(TrustToken::compareBytes);
    if (!order.equals(sorted)) {
      Judges.unavailable(dir + " lists its files in an order other than by name: " + order);
    }
  }

  private static List<String> list(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  private static Path dir(Path base, String rel) throws IOException {
    return Files.createDirectories(base.resolve(rel));
  }

  private static void write(Path p, byte[] content) throws IOException {
    Files.write(p, content);
  }

  /** Lets nobody read the sources and write the outputs. */
  private static void openUp(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.toList()) {
        if (!Files.isSymbolicLink(x)) {
          Files.setPosixFilePermissions(x, PosixFilePermissions.fromString(Files.isDirectory(x) ? "rwxrwxrwx"
              : "rw-rw-rw-"));
        }
      }
    }
  }

  /** Every entry under {@code dir}: a file's SHA-256, a link's target. */
  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        String rel = dir.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, hash(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  private static String hash(byte[] b) {
    return HexFormat.of().formatHex(TrustCertificate.digest("SHA-256", b));
  }
}
