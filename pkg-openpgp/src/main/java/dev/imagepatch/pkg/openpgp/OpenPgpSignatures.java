package dev.imagepatch.pkg.openpgp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * Detached OpenPGP signatures: reading a signature block (armored or binary) and the rule apt and
 * dnf (through gpgme) both apply — at least one good signature by a given key and none bad;
 * signatures by unknown keys are passed over; MD5 and SHA-1 are refused.
 */
public final class OpenPgpSignatures {
  private OpenPgpSignatures() {}

  /**
   * What a caller says when verification fails, and whether an unchecked failure of Bouncy Castle
   * while checking a signature is reported as "cannot be checked" too (otherwise it propagates).
   */
  public interface Wording {
    /** The message for a signature by a known key whose hash algorithm is MD5 or SHA-1. */
    String weakHash(String keyId);

    /** The message for a signature by a known key that cannot be checked. */
    String cannotCheck(String keyId, String detail);

    /** The message for a signature by a known key that does not match the data. */
    String bad(String keyId);

    /** The message when no signature is by a given key; {@code unknown} are the signers' key ids. */
    String noTrustedKey(List<String> unknown);
  }

  /**
   * The signatures of an armored or binary block; an IOException "{@code source}: ..." when it holds
   * none or cannot be read.
   */
  public static PGPSignatureList read(byte[] block, String source) throws IOException {
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

  /**
   * Verifies {@code data} against {@code signatures}; returns the key ids (16 upper-case hex digits)
   * of the good ones. Throws an IOException worded by {@code wording} at the first weak, bad or
   * uncheckable signature by a key of {@code keys}, or when none is by such a key.
   */
  public static List<String> verify(byte[] data, PGPSignatureList signatures, PGPPublicKeyRingCollection keys,
      Wording wording) throws IOException {
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
        throw new IOException(wording.weakHash(keyId));
      }
      boolean ok;
      try {
        sig.init(new BcPGPContentVerifierBuilderProvider(), key);
        sig.update(data);
        ok = sig.verify();
      } catch (PGPException | RuntimeException e) {
        // A hostile signature packet is bad input, never an unchecked error (ReleaseFuzzTest's contract).
        throw new IOException(wording.cannotCheck(keyId, e.getMessage()), e);
      }
      if (!ok) {
        throw new IOException(wording.bad(keyId));
      }
      good.add(keyId);
    }
    if (good.isEmpty()) {
      throw new IOException(wording.noTrustedKey(unknown));
    }
    return List.copyOf(good);
  }
}
