package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.openpgp.OpenPgpKeys;
import dev.imagepatch.pkg.openpgp.OpenPgpSignatures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignatureList;

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
  private static final String NOT_A_KEYRING = "not an OpenPGP keyring";

  private SignedRelease() {}

  /** Public keys from binary or ASCII-armored keyring files (what Signed-By names). */
  public static PGPPublicKeyRingCollection keyring(List<Path> files) throws IOException {
    return OpenPgpKeys.fromFiles(files, "keyring not found", NOT_A_KEYRING);
  }

  /** Public keys from keyring contents by name (e.g. files read from an image). */
  public static PGPPublicKeyRingCollection keyring(Map<String, byte[]> keyrings) throws IOException {
    return OpenPgpKeys.fromBytes(keyrings, NOT_A_KEYRING);
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
    byte[] block = signature.toString().getBytes(StandardCharsets.US_ASCII);
    verify(signed.toByteArray(), OpenPgpSignatures.read(block, source), keys, source);
    return release.toString();
  }

  /** Verifies a Release file against its detached Release.gpg. */
  public static String verifyDetached(byte[] release, byte[] releaseGpg, PGPPublicKeyRingCollection keys,
      String source) throws IOException {
    verify(release, OpenPgpSignatures.read(releaseGpg, source + ".gpg"), keys, source);
    return new String(release, StandardCharsets.UTF_8);
  }

  private static void verify(byte[] data, PGPSignatureList signatures, PGPPublicKeyRingCollection keys,
      String source) throws IOException {
    OpenPgpSignatures.verify(data, signatures, keys, new OpenPgpSignatures.Wording() {
      @Override
      public String weakHash(String keyId) {
        return source + ": signature by key " + keyId + " uses a weak hash algorithm, refused as apt refuses it";
      }

      @Override
      public String cannotCheck(String keyId, String detail) {
        return source + ": signature by key " + keyId + " cannot be checked: " + detail;
      }

      @Override
      public String bad(String keyId) {
        return source + ": BAD signature by key " + keyId + ": the file was changed after signing";
      }

      @Override
      public String noTrustedKey(List<String> unknown) {
        return source + ": no signature by a trusted key (signed by " + String.join(", ", unknown)
            + ", none of them in the keyrings)";
      }
    });
  }
}
