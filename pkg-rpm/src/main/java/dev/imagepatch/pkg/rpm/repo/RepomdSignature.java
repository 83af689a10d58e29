package dev.imagepatch.pkg.rpm.repo;

import dev.imagepatch.pkg.openpgp.OpenPgpKeys;
import dev.imagepatch.pkg.openpgp.OpenPgpSignatures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignatureList;

/**
 * The detached OpenPGP signature of a {@code repomd.xml} ({@code repomd.xml.asc}, what dnf checks
 * with {@code repo_gpgcheck=1}), verified with Bouncy Castle against the repository's
 * {@code gpgkey} files (ASCII-armored or binary; RSA, EdDSA and the other algorithms Bouncy
 * Castle verifies). The rule is gpgme's as librepo applies it: at least one good signature by a
 * given key, none bad; signatures by unknown keys passed over.
 */
public final class RepomdSignature {
  private static final String NOT_A_KEY = "not an OpenPGP public key";

  private RepomdSignature() {}

  /** Public keys from key files (a repository's gpgkey= entries). */
  public static PGPPublicKeyRingCollection keyring(List<Path> files) throws IOException {
    return OpenPgpKeys.fromFiles(files, "key file not found", NOT_A_KEY);
  }

  /** Public keys from key contents by name (e.g. files read from an image). */
  public static PGPPublicKeyRingCollection keyring(Map<String, byte[]> keys) throws IOException {
    return OpenPgpKeys.fromBytes(keys, NOT_A_KEY);
  }

  /**
   * Verifies {@code repomd} against its detached signature {@code asc}; returns the key ids (16
   * hex digits) of the good signatures. Throws naming {@code source} when a signature is bad, none
   * is by a given key, or a signature uses MD5 or SHA-1.
   */
  public static List<String> verify(byte[] repomd, byte[] asc, PGPPublicKeyRingCollection keys, String source)
      throws IOException {
    String ascName = source + ".asc";
    PGPSignatureList signatures = OpenPgpSignatures.read(asc, ascName);
    return OpenPgpSignatures.verify(repomd, signatures, keys, new OpenPgpSignatures.Wording() {
      @Override
      public String weakHash(String keyId) {
        return ascName + ": signature by key " + keyId + " uses a weak hash algorithm, refused";
      }

      @Override
      public String cannotCheck(String keyId, String detail) {
        return ascName + ": signature by key " + keyId + " cannot be checked: " + detail;
      }

      @Override
      public String bad(String keyId) {
        return source + ": BAD signature by key " + keyId + " (" + ascName + "): repomd.xml was changed after signing";
      }

      @Override
      public String noTrustedKey(List<String> unknown) {
        return source + ": no signature by a trusted key in " + ascName + " (signed by "
            + String.join(", ", unknown) + ", none of them among the repository's keys)";
      }
    });
  }
}
