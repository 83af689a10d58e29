package dev.imagepatch.pkg.openpgp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

/**
 * OpenPGP public keys read from keyring or key files, binary or ASCII-armored (the first armored
 * block of each). Errors name the file or entry, in the caller's words ("keyring", "public key").
 */
public final class OpenPgpKeys {
  private OpenPgpKeys() {}

  /**
   * The keys of {@code files}; a missing file is an error "FILE: {@code missing}" (e.g. "keyring not
   * found"), unreadable contents "FILE: {@code invalid}: detail" (e.g. "not an OpenPGP keyring").
   */
  public static PGPPublicKeyRingCollection fromFiles(List<Path> files, String missing, String invalid)
      throws IOException {
    Map<String, byte[]> contents = new LinkedHashMap<>();
    for (Path file : files) {
      try {
        contents.put(file.toString(), Files.readAllBytes(file));
      } catch (NoSuchFileException e) {
        throw new IOException(file + ": " + missing, e);
      }
    }
    return fromBytes(contents, invalid);
  }

  /** The keys of contents by name (e.g. files read from an image); see {@link #rings} for errors. */
  public static PGPPublicKeyRingCollection fromBytes(Map<String, byte[]> contents, String invalid)
      throws IOException {
    List<PGPPublicKeyRing> rings = new ArrayList<>();
    for (Map.Entry<String, byte[]> k : contents.entrySet()) {
      rings.addAll(rings(k.getKey(), k.getValue(), invalid));
    }
    return new PGPPublicKeyRingCollection(rings);
  }

  /**
   * The key rings of one binary or armored text; anything unreadable is an IOException
   * "{@code name}: {@code invalid}: detail".
   */
  public static List<PGPPublicKeyRing> rings(String name, byte[] content, String invalid) throws IOException {
    List<PGPPublicKeyRing> rings = new ArrayList<>();
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(content))) {
      new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator()).getKeyRings()
          .forEachRemaining(rings::add);
    } catch (IOException | PGPException | RuntimeException e) {
      throw new IOException(name + ": " + invalid + ": " + e.getMessage(), e);
    }
    return rings;
  }
}
