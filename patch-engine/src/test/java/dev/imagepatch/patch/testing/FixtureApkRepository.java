package dev.imagepatch.patch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * apk repositories served over HTTP on loopback, as Alpine's mirrors lay them out:
 * {@code <base>/<repo>/<arch>/APKINDEX.tar.gz} (a signature member, {@code .SIGN.RSA.<key>} over
 * the compressed index member, then the index tar with {@code DESCRIPTION} and {@code APKINDEX})
 * beside the {@code <name>-<version>.apk} files. The signing key is made here; its public key is
 * written as a PEM file for the image's {@code /etc/apk/keys} or the request's keys. Files are kept in
 * memory, so a test can change one after it was published. Registered as a static extension it
 * serves the whole test class and stops after it.
 */
public final class FixtureApkRepository implements AutoCloseable, AfterAllCallback {
  private final Map<String, ApkBuilder.Built> built = new ConcurrentHashMap<>();
  private final KeyPair key;
  private final String keyName;
  private final LoopbackFiles http;
  private final Map<String, byte[]> files;

  private FixtureApkRepository(KeyPair key, String keyName, LoopbackFiles http) {
    this.key = key;
    this.keyName = keyName;
    this.http = http;
    this.files = http.files();
  }

  /** A repository with a signing key of its own, listening on a free loopback port. */
  public static FixtureApkRepository start() {
    return new FixtureApkRepository(newKey(), "fixture-6540a7c0.rsa.pub", LoopbackFiles.start("fixture-apk", "/"));
  }

  /** A fresh RSA key pair, for a repository or an impostor of one. */
  public static KeyPair newKey() {
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      return rsa.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The URL of repository {@code repo} (e.g. {@code alpine/v3.20/main}), as a repositories line names it. */
  public String url(String repo) {
    return http.base() + repo;
  }

  public KeyPair key() {
    return key;
  }

  /** The key's file name, as {@code /etc/apk/keys} holds it and signatures name it. */
  public String keyName() {
    return keyName;
  }

  /** The public key as apk keeps it: an X.509 SubjectPublicKeyInfo PEM. */
  public byte[] publicKeyPem() {
    return pem(key);
  }

  public static byte[] pem(KeyPair key) {
    return ("-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Writes the public key into {@code dir} under its name; returns the file (for RepositoryOptions.key). */
  public Path writeKey(Path dir) throws IOException {
    Files.createDirectories(dir);
    return Files.write(dir.resolve(keyName), publicKeyPem());
  }

  /** How an index is signed. */
  public enum Signing { KEY, UNSIGNED }

  /** Publishes {@code repo} for each architecture its packages have, signed by the repository's key. */
  public void publish(String repo, ApkBuilder... packages) {
    publish(repo, key, keyName, packages);
  }

  /**
   * Publishes {@code repo}: for each architecture of {@code packages}, the packages (signed by the
   * repository's own key, as a builder signs them) and an index signed by {@code signer} as
   * {@code signerName} (null signer: no signature member).
   */
  public void publish(String repo, KeyPair signer, String signerName, ApkBuilder... packages) {
    Map<String, StringBuilder> indexes = new LinkedHashMap<>();
    for (ApkBuilder p : packages) {
      ApkBuilder.Built b = p.build(key, keyName);
      String path = repo + "/" + p.arch() + "/" + b.fileName();
      files.put(path, b.bytes());
      built.put(path, b);
      indexes.computeIfAbsent(p.arch(), a -> new StringBuilder()).append(b.stanza()).append('\n');
    }
    indexes.forEach((arch, text) -> files.put(repo + "/" + arch + "/APKINDEX.tar.gz",
        index(text.toString(), repo + " " + arch, signer, signerName)));
  }

  /** A signed APKINDEX.tar.gz of {@code apkindex}: signature member, then the index member. */
  public static byte[] index(String apkindex, String description, KeyPair signer, String signerName) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("DESCRIPTION", description.getBytes(StandardCharsets.UTF_8));
    entries.put("APKINDEX", apkindex.getBytes(StandardCharsets.UTF_8));
    byte[] indexMember = ApkBuilder.gzip(ApkBuilder.plainTar(entries));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (signer != null) {
      out.writeBytes(ApkBuilder.signatureMember(signer, signerName, indexMember));
    }
    out.writeBytes(indexMember);
    return out.toByteArray();
  }

  /** The package built for {@code repo}/{@code arch}. */
  public ApkBuilder.Built built(String repo, ApkBuilder p) {
    ApkBuilder.Built b = built.get(repo + "/" + p.arch() + "/" + p.name() + "-" + p.version() + ".apk");
    if (b == null) {
      throw new IllegalArgumentException(p + " is not published in " + repo);
    }
    return b;
  }

  /** Serves {@code content} at {@code path} (relative to the base) from now on. */
  public void replace(String path, byte[] content) {
    files.put(path, content);
  }

  /** The bytes served at {@code path}, or null. */
  public byte[] file(String path) {
    return files.get(path);
  }

  /** The architectures of {@code packages}, for a caller that wants to know what an index holds. */
  static List<String> arches(ApkBuilder... packages) {
    return java.util.Arrays.stream(packages).map(ApkBuilder::arch).distinct().toList();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    http.close();
  }
}
