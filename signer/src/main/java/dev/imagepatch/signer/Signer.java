package dev.imagepatch.signer;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/**
 * Signs bytes for a signature or an attestation. The key-based signer is the one here; keyless
 * signing (Fulcio certificates, Rekor entries) can implement the same interface later.
 */
public interface Signer {
  /** The signature over {@code data}: ECDSA-SHA256 in ASN.1 DER, as cosign writes it. */
  byte[] sign(byte[] data) throws IOException;

  /** The public key a verifier checks the signature with. */
  PublicKey publicKey();

  /** A signer with an ECDSA P-256 private key and its public key. */
  static Signer withKey(PrivateKey privateKey, PublicKey publicKey) {
    return new Signer() {
      @Override
      public byte[] sign(byte[] data) throws IOException {
        try {
          Signature s = Signature.getInstance("SHA256withECDSA");
          s.initSign(privateKey);
          s.update(data);
          return s.sign();
        } catch (GeneralSecurityException e) {
          throw new IOException("signing failed: " + e.getMessage(), e);
        }
      }

      @Override
      public PublicKey publicKey() {
        return publicKey;
      }
    };
  }
}
