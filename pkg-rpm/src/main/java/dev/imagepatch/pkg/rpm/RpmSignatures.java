package dev.imagepatch.pkg.rpm;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.IssuerFingerprint;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * The OpenPGP signatures of rpm packages, checked with Bouncy Castle: the header-only signatures
 * (RSAHEADER, DSAHEADER: over the header's immutable region with its magic, which is also how rpm
 * checks a header from its database) and the header+payload ones (PGP, GPG: over the header and the
 * compressed payload as the file holds them). RSA, DSA, EdDSA and ECDSA keys; V3 and V4 signature
 * packets, and V6 as far as Bouncy Castle reads them.
 *
 * <p>Statuses follow {@code rpmkeys -Kv}: OK, BAD (the signature does not match: refused always),
 * NOKEY (no such key given). One more of ours: WEAK, a signature that verifies but hashes with MD5
 * or SHA-1 (the V3 DSA/SHA1 signatures of CentOS 2 to 5), which is not trusted; rpm 4.18 reports
 * those as NOKEY because it refuses to import their keys, so neither accepts them.
 */
public final class RpmSignatures {
  private RpmSignatures() {}

  public enum Status { OK, BAD, NOKEY, WEAK, UNSUPPORTED }

  /**
   * One signature's result: {@code headerOnly} for RSAHEADER/DSAHEADER, else over header and
   * payload; {@code algorithm} as rpm prints it (RSA/SHA256); {@code keyId} 16 hex digits.
   */
  public record Check(int tag, boolean headerOnly, int version, String algorithm, String keyId, Status status,
      String detail) {
    /** The line rpmkeys -Kv prints for it: "Header V3 RSA/SHA256 Signature, key ID c105b9de: OK". */
    public String rpmLabel() {
      String shortId = keyId.length() > 8 ? keyId.substring(keyId.length() - 8) : keyId;
      Status shown = status == Status.WEAK ? Status.NOKEY : status;
      return (headerOnly ? "Header " : "") + "V" + version + " " + algorithm + " Signature, key ID " + shortId + ": "
          + shown;
    }
  }

  /** Every signature of a package, checked against {@code keys}, in rpm's order (header-only first); no policy. */
  public static List<Check> check(RpmPackage p, RpmKeys keys) throws IOException {
    List<Check> out = new ArrayList<>();
    Header sig = p.signatureHeader();
    String source = p.file().toString();
    byte[] header = p.header().withMagic();
    for (int tag : new int[] {Tags.RSAHEADER, Tags.DSAHEADER}) {
      Optional<byte[]> s = sig.bytes(tag);
      if (s.isPresent()) {
        out.add(checkOne(tag, true, s.get(), keys, source, () -> new ByteArrayInputStream(header)));
      }
    }
    for (int tag : new int[] {Tags.SIG_PGP, Tags.SIG_GPG}) {
      Optional<byte[]> s = sig.bytes(tag);
      if (s.isPresent()) {
        out.add(checkOne(tag, false, s.get(), keys, source,
            () -> new java.io.SequenceInputStream(new ByteArrayInputStream(header), p.rawPayload())));
      }
    }
    return out;
  }

  /**
   * The header-only signatures (RSAHEADER, DSAHEADER) a header carries itself, as the rpm database
   * keeps them: checked over its immutable region.
   */
  public static List<Check> checkHeader(Header h, RpmKeys keys) throws IOException {
    List<Check> out = new ArrayList<>();
    byte[] region = h.immutableRegion().withMagic();
    for (int tag : new int[] {Tags.RSAHEADER, Tags.DSAHEADER}) {
      Optional<byte[]> s = h.bytes(tag);
      if (s.isPresent()) {
        out.add(checkOne(tag, true, s.get(), keys, h.source(), () -> new ByteArrayInputStream(region)));
      }
    }
    return out;
  }

  /**
   * Checks a package's signatures and applies the policy: a BAD signature is refused always; a
   * package with no signature, or none by a given key (NOKEY, WEAK, UNSUPPORTED), is refused
   * unless {@code allowUnsigned}. The message names the package and the key IDs.
   */
  public static List<Check> verify(RpmPackage p, RpmKeys keys, boolean allowUnsigned) throws IOException {
    List<Check> checks = check(p, keys);
    String source = p.file().toString();
    for (Check c : checks) {
      if (c.status() == Status.BAD) {
        throw new IOException(source + ": BAD signature (" + c.rpmLabel() + "): " + c.detail());
      }
    }
    if (checks.isEmpty()) {
      if (!allowUnsigned) {
        throw new IOException(source + ": not signed (no RSAHEADER, DSAHEADER, PGP or GPG signature); refused unless"
            + " unsigned packages are allowed");
      }
      return checks;
    }
    if (checks.stream().noneMatch(c -> c.status() == Status.OK) && !allowUnsigned) {
      List<String> why = new ArrayList<>();
      for (Check c : checks) {
        why.add(c.rpmLabel() + (c.status() == Status.NOKEY ? "" : " (" + c.detail() + ")"));
      }
      throw new IOException(source + ": no signature by a trusted key: " + String.join("; ", why));
    }
    return checks;
  }

  @FunctionalInterface
  private interface Data {
    InputStream open() throws IOException;
  }

  private static Check checkOne(int tag, boolean headerOnly, byte[] packet, RpmKeys keys, String source, Data data)
      throws IOException {
    PGPSignature sig;
    try {
      Object o = new BcPGPObjectFactory(packet).nextObject();
      if (!(o instanceof PGPSignatureList list) || list.isEmpty()) {
        throw new IOException(source + ": signature tag " + tag + " holds no OpenPGP signature packet");
      }
      sig = list.get(0);
    } catch (IOException | RuntimeException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(source)) {
        throw (IOException) e;
      }
      throw new IOException(source + ": signature tag " + tag + " unreadable: " + e.getMessage(), e);
    }
    String algorithm = keyAlgorithm(sig.getKeyAlgorithm()) + "/" + hashAlgorithm(sig.getHashAlgorithm());
    long keyId = sig.getKeyID();
    Optional<PGPPublicKey> key = keyId != 0 ? keys.find(keyId) : Optional.empty();
    if (key.isEmpty()) {
      byte[] fpr = issuerFingerprint(sig);
      if (fpr != null) {
        key = keys.findByFingerprint(fpr);
        if (keyId == 0 && fpr.length >= 8) {
          keyId = java.nio.ByteBuffer.wrap(fpr, sig.getVersion() >= 6 ? 0 : fpr.length - 8, 8).getLong();
        }
      }
    }
    String id = String.format(Locale.ROOT, "%016x", keyId);
    int version = sig.getVersion();
    if (key.isEmpty()) {
      return new Check(tag, headerOnly, version, algorithm, id, Status.NOKEY, "key " + id + " not given");
    }
    boolean ok;
    try (InputStream in = data.open()) {
      sig.init(new BcPGPContentVerifierBuilderProvider(), key.get());
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        sig.update(buf, 0, n);
      }
      ok = sig.verify();
    } catch (PGPException | RuntimeException e) {
      return new Check(tag, headerOnly, version, algorithm, id, Status.UNSUPPORTED,
          "cannot check with key " + id + ": " + e.getMessage());
    }
    if (!ok) {
      return new Check(tag, headerOnly, version, algorithm, id, Status.BAD,
          "key " + id + " did not sign this " + (headerOnly ? "header" : "header and payload"));
    }
    if (sig.getHashAlgorithm() == HashAlgorithmTags.MD5 || sig.getHashAlgorithm() == HashAlgorithmTags.SHA1) {
      return new Check(tag, headerOnly, version, algorithm, id, Status.WEAK,
          "key " + id + " signed with " + hashAlgorithm(sig.getHashAlgorithm()) + ", too weak to trust");
    }
    return new Check(tag, headerOnly, version, algorithm, id, Status.OK, "signed by key " + id
        + keys.origin(key.get().getKeyID()).map(o -> " (" + o + ")").orElse(""));
  }

  private static byte[] issuerFingerprint(PGPSignature sig) {
    for (PGPSignatureSubpacketVector v : new PGPSignatureSubpacketVector[] {sig.getHashedSubPackets(),
        sig.getUnhashedSubPackets()}) {
      if (v != null) {
        IssuerFingerprint f = v.getIssuerFingerprint();
        if (f != null) {
          return f.getFingerprint();
        }
      }
    }
    return null;
  }

  static String keyAlgorithm(int algo) {
    return switch (algo) {
      case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_SIGN -> "RSA";
      case PublicKeyAlgorithmTags.DSA -> "DSA";
      case PublicKeyAlgorithmTags.ECDSA -> "ECDSA";
      case PublicKeyAlgorithmTags.EDDSA_LEGACY -> "EdDSA";
      case 27 -> "Ed25519";
      case 28 -> "Ed448";
      default -> "UNKNOWN(" + algo + ")";
    };
  }

  static String hashAlgorithm(int algo) {
    return switch (algo) {
      case HashAlgorithmTags.MD5 -> "MD5";
      case HashAlgorithmTags.SHA1 -> "SHA1";
      case HashAlgorithmTags.SHA224 -> "SHA224";
      case HashAlgorithmTags.SHA256 -> "SHA256";
      case HashAlgorithmTags.SHA384 -> "SHA384";
      case HashAlgorithmTags.SHA512 -> "SHA512";
      case 12 -> "SHA3-256";
      case 14 -> "SHA3-512";
      default -> "UNKNOWN(" + algo + ")";
    };
  }
}
