package dev.imagepatch.patch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An APT archive served over HTTP on loopback: per suite a clearsigned {@code InRelease}, the
 * amd64 and arm64 {@code Packages} and {@code Packages.gz} with their SHA256s, and the .debs in
 * {@code pool/}. Files are kept in memory, so a test can change one after it was published.
 * Registered as a static extension it serves the whole test class and stops after it.
 */
public final class FixtureAptRepository implements AutoCloseable, AfterAllCallback {
  /** Every suite indexes both, so each child of a multi-arch image finds its own. */
  public static final List<String> ARCHITECTURES = List.of("amd64", "arm64");

  private final PGPKeyPair key;
  private final LoopbackFiles http;
  private final Map<String, byte[]> files;

  private FixtureAptRepository(PGPKeyPair key, LoopbackFiles http) {
    this.key = key;
    this.http = http;
    this.files = http.files();
  }

  /** A repository with a signing key of its own, listening on a free loopback port. */
  public static FixtureAptRepository start() {
    return new FixtureAptRepository(newKey(), LoopbackFiles.start("fixture-apt", "/debian/"));
  }

  /** A fresh RSA signing key, for a repository or for an impostor of one. */
  public static PGPKeyPair newKey() {
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      return new JcaPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, rsa.generateKeyPair(), new Date());
    } catch (GeneralSecurityException | PGPException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The archive root, as a sources entry names it. */
  public URI uri() {
    return URI.create(http.base());
  }

  /** The signing key's public keyring, binary, as {@code /etc/apt/keyrings/*.gpg} holds it. */
  public byte[] keyring() {
    try {
      return new PGPPublicKeyRing(List.of(key.getPublicKey())).getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A sources.list line for the request's extra sources, naming {@code suite}; it trusts the
   * repository's key, written to {@code keyring} since extra sources name keys on the host.
   */
  public String extraSource(String suite, Path keyring) throws IOException {
    return "deb [signed-by=" + Files.write(keyring, keyring()) + "] " + uri() + " " + suite + " main";
  }

  /** Publishes {@code suite} with these packages, signed by the repository's key. */
  public void publish(String suite, DebBuilder... debs) throws IOException {
    publish(suite, key, debs);
  }

  /** Publishes {@code suite} signed by {@code signer}, which may be a key the image does not trust. */
  public void publish(String suite, PGPKeyPair signer, DebBuilder... debs) throws IOException {
    StringBuilder release = new StringBuilder("Origin: imagepatch tests\nLabel: fixture\nSuite: " + suite
        + "\nCodename: " + suite + "\nDate: Tue, 14 Nov 2023 22:13:20 UTC\nValid-Until: Fri, 01 Jan 2100 00:00:00 UTC"
        + "\nArchitectures: "
        + String.join(" ", ARCHITECTURES) + "\nComponents: main\nSHA256:\n");
    for (String arch : ARCHITECTURES) {
      StringBuilder packages = new StringBuilder();
      for (DebBuilder deb : debs) {
        if (deb.architecture().equals(arch) || deb.architecture().equals("all")) {
          byte[] bytes = deb.build();
          files.put(deb.filename(), bytes);
          packages.append(deb.control()).append("Filename: ").append(deb.filename()).append("\nSize: ")
              .append(bytes.length).append("\nSHA256: ").append(DebBuilder.hex("SHA-256", bytes)).append("\n\n");
        }
      }
      byte[] plain = packages.toString().getBytes(StandardCharsets.UTF_8);
      String dir = "main/binary-" + arch + "/";
      for (Map.Entry<String, byte[]> index : Map.of("Packages", plain, "Packages.gz", gzip(plain)).entrySet()) {
        files.put("dists/" + suite + "/" + dir + index.getKey(), index.getValue());
        release.append(' ').append(DebBuilder.hex("SHA-256", index.getValue())).append(' ')
            .append(index.getValue().length).append(' ').append(dir).append(index.getKey()).append('\n');
      }
    }
    files.put("dists/" + suite + "/InRelease", clearsign(release.toString(), signer));
  }

  /** Serves {@code content} at {@code path} from now on, whatever the indexes say of it. */
  public void replace(String path, byte[] content) {
    files.put(path, content);
  }

  /** The bytes served at {@code path}, or null. */
  public byte[] file(String path) {
    return files.get(path);
  }

  /**
   * A clearsigned message as gpg writes it. The signature covers the text's canonical form (lines
   * joined by CRLF, trailing blanks dropped, no final line end), which is what apt verifies.
   */
  private static byte[] clearsign(String text, PGPKeyPair signer) throws IOException {
    List<String> lines = List.of(text.split("\n"));
    List<String> canonical = new ArrayList<>();
    lines.forEach(l -> canonical.add(l.replaceFirst("[ \t]+$", "")));
    try {
      PGPSignatureGenerator generator = new PGPSignatureGenerator(
          new JcaPGPContentSignerBuilder(signer.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256));
      generator.init(PGPSignature.CANONICAL_TEXT_DOCUMENT, signer.getPrivateKey());
      generator.update(String.join("\r\n", canonical).getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream armored = new ByteArrayOutputStream();
      try (ArmoredOutputStream armor = new ArmoredOutputStream(armored)) {
        generator.generate().encode(armor);
      }
      return ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + text
          + armored.toString(StandardCharsets.US_ASCII)).getBytes(StandardCharsets.UTF_8);
    } catch (PGPException e) {
      throw new IOException(e);
    }
  }

  private static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(content);
    }
    return out.toByteArray();
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
