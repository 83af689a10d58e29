package dev.imagepatch.pkg.apk;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * The entries of apk's signature member ({@code .SIGN.RSA.<key>}: PKCS#1 v1.5 over SHA-1,
 * {@code .SIGN.RSA256.<key>}: over SHA-256) and their check over the signed compressed bytes. As
 * apk does, the signed bytes verify when any entry whose key is trusted verifies; entries naming
 * other keys, or other algorithms, are passed over.
 */
final class Signatures {
  static final String PREFIX = ".SIGN.";
  /** The most a signature member may unpack to, and hold entries and bytes per entry. */
  static final long MEMBER_LIMIT = 1L << 20;
  static final int MAX_ENTRIES = 64;
  static final int MAX_SIGNATURE = 64 << 10;

  /** One signature entry; {@code verifier} is null when its key is not trusted or its algorithm unknown. */
  private record Entry(String name, String keyName, byte[] signature, Signature verifier, String passedOver) {}

  private final List<Entry> entries;
  private final ApkKeys keys;
  private Optional<String> verified;

  private Signatures(List<Entry> entries, ApkKeys keys) {
    this.entries = entries;
    this.keys = keys;
  }

  static boolean isSignature(TarArchiveEntry e) {
    return e.getName().startsWith(PREFIX);
  }

  /** Reads the signature member's entries, {@code first} already read from {@code tar}; the member is not drained. */
  static Signatures read(TarStream tar, TarArchiveEntry first, ApkKeys keys, String what) throws IOException {
    List<Entry> out = new ArrayList<>();
    for (TarArchiveEntry e = first; e != null; e = tar.next()) {
      String name = e.getName();
      if (!name.startsWith(PREFIX) || !e.isFile() || e.isSymbolicLink() || e.isLink()) {
        throw new IOException(what + ": the signature member holds " + Names.quote(name)
            + ", not a .SIGN.* signature file");
      }
      if (out.size() == MAX_ENTRIES) {
        throw new IOException(what + ": the signature member holds more than " + MAX_ENTRIES + " signatures");
      }
      byte[] signature = tar.readContent(MAX_SIGNATURE, () -> what + ": signature " + Names.quote(name)
          + " is larger than " + MAX_SIGNATURE + " bytes");
      out.add(entry(name, signature, keys));
    }
    return new Signatures(out, keys);
  }

  private static Entry entry(String name, byte[] signature, ApkKeys keys) throws IOException {
    String rest = name.substring(PREFIX.length());
    String algorithm;
    String keyName;
    if (rest.startsWith("RSA256.")) {
      algorithm = "SHA256withRSA";
      keyName = rest.substring("RSA256.".length());
    } else if (rest.startsWith("RSA.")) {
      algorithm = "SHA1withRSA";
      keyName = rest.substring("RSA.".length());
    } else {
      return new Entry(name, rest, signature, null, "not an RSA or RSA256 signature");
    }
    if (keys.key(keyName) == null) {
      return new Entry(name, keyName, signature, null, "key not trusted");
    }
    try {
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(keys.key(keyName));
      return new Entry(name, keyName, signature, verifier, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot check " + algorithm + " signatures: " + e.getMessage(), e);
    }
  }

  /** What is fed the signed bytes. */
  GzipMembers.Tap tap() {
    return (b, off, len) -> {
      for (Entry e : entries) {
        if (e.verifier() != null) {
          try {
            e.verifier().update(b, off, len);
          } catch (SignatureException x) {
            throw new IOException(x);
          }
        }
      }
    };
  }

  /** The key file name of the first entry that verifies, once all signed bytes were fed; empty when none does. */
  Optional<String> verify() {
    if (verified == null) {
      verified = Optional.empty();
      for (Entry e : entries) {
        if (e.verifier() != null) {
          boolean ok;
          try {
            ok = e.verifier().verify(e.signature());
          } catch (SignatureException x) {
            ok = false;
          }
          if (ok) {
            verified = Optional.of(e.keyName());
            break;
          }
        }
      }
    }
    return verified;
  }

  /** Why nothing verified: each entry and its fate, and the trusted keys. */
  String failure() {
    List<String> parts = new ArrayList<>();
    for (Entry e : entries) {
      parts.add(Names.quote(e.name()) + " (" + (e.passedOver() != null ? e.passedOver() : "BAD signature") + ")");
    }
    return "no signature verifies: " + String.join(", ", parts) + "; trusted keys: "
        + (keys.isEmpty() ? "none" : String.join(", ", keys.names()));
  }

  /** The signature entries' file names. */
  List<String> names() {
    return entries.stream().map(Entry::name).toList();
  }
}
