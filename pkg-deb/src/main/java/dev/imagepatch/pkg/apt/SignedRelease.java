package dev.imagepatch.pkg.apt;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * OpenPGP verification of a repository's {@code InRelease} (clearsigned) or {@code Release} with
 * {@code Release.gpg} (detached), against the keyrings apt would use (the image's Signed-By, or
 * keyrings given by the user). The rule is apt's: at least one good signature by a key of the
 * keyrings, and none that fails; signatures by unknown keys are passed over. Only the text that
 * was verified is returned for parsing.
 */
public final class SignedRelease {
  private static final String BEGIN_MESSAGE = "-----BEGIN PGP SIGNED MESSAGE-----";
  private static final String BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";

  private SignedRelease() {}

  /** Public keys from binary or ASCII-armored keyring files (what Signed-By names). */
  public static PGPPublicKeyRingCollection keyring(List<Path> files) throws IOException {
    java.util.Map<String, byte[]> contents = new java.util.LinkedHashMap<>();
    for (Path file : files) {
      try {
        contents.put(file.toString(), Files.readAllBytes(file));
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IOException(file + ": keyring not found", e);
      }
    }
    return keyring(contents);
  }

  /** Public keys from keyring contents by name (e.g. files read from an image). */
  public static PGPPublicKeyRingCollection keyring(java.util.Map<String, byte[]> keyrings) throws IOException {
    List<org.bouncycastle.openpgp.PGPPublicKeyRing> rings = new ArrayList<>();
    for (java.util.Map.Entry<String, byte[]> k : keyrings.entrySet()) {
      try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(k.getValue()))) {
        PGPPublicKeyRingCollection c = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
        c.getKeyRings().forEachRemaining(rings::add);
      } catch (IOException | PGPException | RuntimeException e) {
        throw new IOException(k.getKey() + ": not an OpenPGP keyring: " + e.getMessage(), e);
      }
    }
    return new PGPPublicKeyRingCollection(rings);
  }

  /** Verifies a clearsigned InRelease and returns the Release text it vouches for. */
  public static String verifyInRelease(byte[] inRelease, PGPPublicKeyRingCollection keys, String source)
      throws IOException {
    String text = new String(inRelease, StandardCharsets.UTF_8);
    List<String> lines = List.of(text.split("\r?\n", -1));
    if (lines.isEmpty() || !lines.get(0).equals(BEGIN_MESSAGE)) {
      throw new IOException(source + ": not a clearsigned message");
    }
    int i = 1;
    while (i < lines.size() && !lines.get(i).isEmpty()) {
      i++; // armor headers such as "Hash: SHA256"
    }
    i++;
    List<String> clear = new ArrayList<>();
    while (i < lines.size() && !lines.get(i).equals(BEGIN_SIGNATURE)) {
      String line = lines.get(i++);
      if (line.startsWith("-")) {
        if (!line.startsWith("- ")) {
          throw new IOException(source + ": malformed clearsigned text (line " + i + " starts with '-')");
        }
        line = line.substring(2);
      }
      clear.add(line);
    }
    if (i >= lines.size()) {
      throw new IOException(source + ": no signature after the signed text");
    }
    StringBuilder signature = new StringBuilder();
    for (int j = i; j < lines.size(); j++) {
      signature.append(lines.get(j)).append('\n');
    }
    // Canonical text: trailing blanks dropped, lines joined by CRLF, no line end after the last.
    ByteArrayOutputStream signed = new ByteArrayOutputStream();
    StringBuilder release = new StringBuilder();
    for (int j = 0; j < clear.size(); j++) {
      if (j > 0) {
        signed.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      signed.writeBytes(clear.get(j).replaceFirst("[ \t]+$", "").getBytes(StandardCharsets.UTF_8));
      release.append(clear.get(j)).append('\n');
    }
    verify(signed.toByteArray(), signatures(signature.toString().getBytes(StandardCharsets.US_ASCII), source), keys,
        source);
    return release.toString();
  }

  /** Verifies a Release file against its detached Release.gpg. */
  public static String verifyDetached(byte[] release, byte[] releaseGpg, PGPPublicKeyRingCollection keys,
      String source) throws IOException {
    verify(release, signatures(releaseGpg, source + ".gpg"), keys, source);
    return new String(release, StandardCharsets.UTF_8);
  }

  private static PGPSignatureList signatures(byte[] block, String source) throws IOException {
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(block))) {
      Object o = new BcPGPObjectFactory(in instanceof ArmoredInputStream a ? a : in).nextObject();
      if (o instanceof PGPSignatureList list && !list.isEmpty()) {
        return list;
      }
      throw new IOException(source + ": no OpenPGP signature found");
    } catch (RuntimeException e) {
      throw new IOException(source + ": unreadable OpenPGP signature: " + e.getMessage(), e);
    }
  }

  private static void verify(byte[] data, PGPSignatureList signatures, PGPPublicKeyRingCollection keys,
      String source) throws IOException {
    List<String> good = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (PGPSignature sig : signatures) {
      String keyId = String.format(Locale.ROOT, "%016X", sig.getKeyID());
      PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
      if (key == null) {
        unknown.add(keyId);
        continue;
      }
      if (sig.getHashAlgorithm() == org.bouncycastle.bcpg.HashAlgorithmTags.SHA1
          || sig.getHashAlgorithm() == org.bouncycastle.bcpg.HashAlgorithmTags.MD5) {
        throw new IOException(source + ": signature by key " + keyId + " uses a weak hash algorithm, refused as apt"
            + " refuses it");
      }
      boolean ok;
      try {
        sig.init(new BcPGPContentVerifierBuilderProvider(), key);
        sig.update(data);
        ok = sig.verify();
      } catch (PGPException e) {
        throw new IOException(source + ": signature by key " + keyId + " cannot be checked: " + e.getMessage(), e);
      }
      if (!ok) {
        throw new IOException(source + ": BAD signature by key " + keyId + ": the file was changed after signing");
      }
      good.add(keyId);
    }
    if (good.isEmpty()) {
      throw new IOException(source + ": no signature by a trusted key (signed by " + String.join(", ", unknown)
          + ", none of them in the keyrings)");
    }
  }
}
