package dev.imagepatch.pkg.rpm.repo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * The detached OpenPGP signature of a {@code repomd.xml} ({@code repomd.xml.asc}, what dnf checks
 * with {@code repo_gpgcheck=1}), verified with Bouncy Castle against the repository's
 * {@code gpgkey} files (ASCII-armored or binary; RSA, EdDSA and the other algorithms Bouncy
 * Castle verifies). The rule is gpgme's as librepo applies it: at least one good signature by a
 * given key, none bad; signatures by unknown keys passed over.
 */
public final class RepomdSignature {
  private RepomdSignature() {}

  /** Public keys from key files (a repository's gpgkey= entries). */
  public static PGPPublicKeyRingCollection keyring(List<Path> files) throws IOException {
    Map<String, byte[]> contents = new LinkedHashMap<>();
    for (Path file : files) {
      try {
        contents.put(file.toString(), Files.readAllBytes(file));
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IOException(file + ": key file not found", e);
      }
    }
    return keyring(contents);
  }

  /** Public keys from key contents by name (e.g. files read from an image). */
  public static PGPPublicKeyRingCollection keyring(Map<String, byte[]> keys) throws IOException {
    List<PGPPublicKeyRing> rings = new ArrayList<>();
    for (Map.Entry<String, byte[]> k : keys.entrySet()) {
      try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(k.getValue()))) {
        new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator()).getKeyRings()
            .forEachRemaining(rings::add);
      } catch (IOException | PGPException | RuntimeException e) {
        throw new IOException(k.getKey() + ": not an OpenPGP public key: " + e.getMessage(), e);
      }
    }
    return new PGPPublicKeyRingCollection(rings);
  }

  /**
   * Verifies {@code repomd} against its detached signature {@code asc}; returns the key ids (16
   * hex digits) of the good signatures. Throws naming {@code source} when a signature is bad, none
   * is by a given key, or a signature uses MD5 or SHA-1.
   */
  public static List<String> verify(byte[] repomd, byte[] asc, PGPPublicKeyRingCollection keys, String source)
      throws IOException {
    String ascName = source + ".asc";
    PGPSignatureList signatures = signatures(asc, ascName);
    List<String> good = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (PGPSignature sig : signatures) {
      String keyId = String.format(Locale.ROOT, "%016X", sig.getKeyID());
      PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
      if (key == null) {
        unknown.add(keyId);
        continue;
      }
      if (sig.getHashAlgorithm() == HashAlgorithmTags.SHA1 || sig.getHashAlgorithm() == HashAlgorithmTags.MD5) {
        throw new IOException(ascName + ": signature by key " + keyId + " uses a weak hash algorithm, refused");
      }
      boolean ok;
      try {
        sig.init(new BcPGPContentVerifierBuilderProvider(), key);
        sig.update(repomd);
        ok = sig.verify();
      } catch (PGPException | RuntimeException e) {
        throw new IOException(ascName + ": signature by key " + keyId + " cannot be checked: " + e.getMessage(), e);
      }
      if (!ok) {
        throw new IOException(source + ": BAD signature by key " + keyId + " (" + ascName
            + "): repomd.xml was changed after signing");
      }
      good.add(keyId);
    }
    if (good.isEmpty()) {
      throw new IOException(source + ": no signature by a trusted key in " + ascName + " (signed by "
          + String.join(", ", unknown) + ", none of them among the repository's keys)");
    }
    return List.copyOf(good);
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
}
