package dev.imagepatch.pkg.rpm;

import dev.imagepatch.pkg.openpgp.OpenPgpKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * The OpenPGP public keys packages are checked against: ASCII-armored key files (one or more
 * blocks each, as distributions ship {@code RPM-GPG-KEY-*}), or the {@code gpg-pubkey} entries of
 * an rpm database, whose DESCRIPTION holds the armored key rpm imported.
 */
public final class RpmKeys {
  private final List<PGPPublicKeyRing> rings;
  private final Map<Long, String> origin;

  private RpmKeys(List<PGPPublicKeyRing> rings, Map<Long, String> origin) {
    this.rings = Collections.unmodifiableList(rings);
    this.origin = Collections.unmodifiableMap(origin);
  }

  /** No keys: every signature is NOKEY. */
  public static RpmKeys none() {
    return new RpmKeys(List.of(), Map.of());
  }

  /** The keys of ASCII-armored (or binary) key files; a file that holds none is an error naming it. */
  public static RpmKeys fromFiles(List<Path> files) throws IOException {
    Map<String, byte[]> all = new LinkedHashMap<>();
    for (Path f : files) {
      all.put(f.toString(), Files.readAllBytes(f));
    }
    return fromArmored(all);
  }

  /** The keys of armored key texts, each named by its source for errors. */
  public static RpmKeys fromArmored(Map<String, byte[]> keys) throws IOException {
    List<PGPPublicKeyRing> rings = new ArrayList<>();
    Map<Long, String> origin = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> k : keys.entrySet()) {
      int before = rings.size();
      for (byte[] block : blocks(k.getValue())) {
        rings.addAll(OpenPgpKeys.rings(k.getKey(), block, "not an OpenPGP public key"));
      }
      if (rings.size() == before) {
        throw new IOException(k.getKey() + ": holds no OpenPGP public key");
      }
      for (PGPPublicKeyRing r : rings.subList(before, rings.size())) {
        r.getPublicKeys().forEachRemaining(key -> origin.putIfAbsent(key.getKeyID(), k.getKey()));
      }
    }
    return new RpmKeys(rings, origin);
  }

  /**
   * The keys rpm imported into a database: its {@code gpg-pubkey} headers (name gpg-pubkey, the
   * armored key in DESCRIPTION). Other headers are ignored.
   */
  public static RpmKeys fromDatabase(Iterable<Header> headers) throws IOException {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    for (Header h : headers) {
      if (h.string(Tags.NAME).orElse("").equals("gpg-pubkey")) {
        String text = h.string(Tags.DESCRIPTION).orElseThrow(
            () -> new IOException(h.source() + ": gpg-pubkey header without a DESCRIPTION (the armored key)"));
        String name = h.source() + " (gpg-pubkey-" + h.string(Tags.VERSION).orElse("") + "-"
            + h.string(Tags.RELEASE).orElse("") + ")";
        keys.put(name, text.getBytes(StandardCharsets.UTF_8));
      }
    }
    return fromArmored(keys);
  }

  /** These keys and {@code other}'s. */
  public RpmKeys plus(RpmKeys other) {
    List<PGPPublicKeyRing> r = new ArrayList<>(rings);
    r.addAll(other.rings);
    Map<Long, String> o = new LinkedHashMap<>(origin);
    other.origin.forEach(o::putIfAbsent);
    return new RpmKeys(r, o);
  }

  /** The primary key or subkey with this 64-bit key ID. */
  public Optional<PGPPublicKey> find(long keyId) {
    for (PGPPublicKeyRing r : rings) {
      PGPPublicKey k = r.getPublicKey(keyId);
      if (k != null) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** The key with this fingerprint (V4: 20 bytes, V6: 32), for signatures that name only a fingerprint. */
  public Optional<PGPPublicKey> findByFingerprint(byte[] fingerprint) {
    for (PGPPublicKeyRing r : rings) {
      for (PGPPublicKey k : (Iterable<PGPPublicKey>) r::getPublicKeys) {
        if (java.util.Arrays.equals(k.getFingerprint(), fingerprint)) {
          return Optional.of(k);
        }
      }
    }
    return Optional.empty();
  }

  /** The 64-bit IDs of every key and subkey, as 16 lower-case hex digits. */
  public List<String> keyIds() {
    List<String> out = new ArrayList<>();
    origin.keySet().forEach(id -> out.add(String.format(Locale.ROOT, "%016x", id)));
    return out;
  }

  /** Where a key came from (file or database entry). */
  public Optional<String> origin(long keyId) {
    return Optional.ofNullable(origin.get(keyId));
  }

  /** Each armored block of a text on its own (an ArmoredInputStream stops after the first); binary as is. */
  private static List<byte[]> blocks(byte[] data) {
    String text = new String(data, StandardCharsets.ISO_8859_1);
    String begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    if (!text.contains(begin)) {
      return List.of(data);
    }
    List<byte[]> out = new ArrayList<>();
    int i = text.indexOf(begin);
    while (i >= 0) {
      int next = text.indexOf(begin, i + begin.length());
      String block = next < 0 ? text.substring(i) : text.substring(i, next);
      out.add(block.getBytes(StandardCharsets.ISO_8859_1));
      i = next;
    }
    return out;
  }
}
