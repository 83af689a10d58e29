package dev.imagepatch.signer;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * NaCl {@code crypto_secretbox} (XSalsa20-Poly1305), as cosign's key files use it: the first 32
 * bytes of the XSalsa20 stream key Poly1305, the rest encrypt; the box is {@code tag || ciphertext}.
 */
final class SecretBox {
  private SecretBox() {}

  static byte[] seal(byte[] key, byte[] nonce, byte[] plaintext) {
    XSalsa20Engine stream = stream(key, nonce);
    byte[] macKey = new byte[32];
    stream.processBytes(new byte[32], 0, 32, macKey, 0);
    byte[] box = new byte[16 + plaintext.length];
    stream.processBytes(plaintext, 0, plaintext.length, box, 16);
    Poly1305 mac = new Poly1305();
    mac.init(new KeyParameter(macKey));
    mac.update(box, 16, plaintext.length);
    mac.doFinal(box, 0);
    return box;
  }

  static byte[] open(byte[] key, byte[] nonce, byte[] box) throws GeneralSecurityException {
    if (box.length < 16) {
      throw new GeneralSecurityException("ciphertext shorter than its authentication tag");
    }
    XSalsa20Engine stream = stream(key, nonce);
    byte[] macKey = new byte[32];
    stream.processBytes(new byte[32], 0, 32, macKey, 0);
    Poly1305 mac = new Poly1305();
    mac.init(new KeyParameter(macKey));
    mac.update(box, 16, box.length - 16);
    byte[] tag = new byte[16];
    mac.doFinal(tag, 0);
    if (!MessageDigest.isEqual(tag, Arrays.copyOf(box, 16))) {
      throw new GeneralSecurityException("authentication failed");
    }
    byte[] plain = new byte[box.length - 16];
    stream.processBytes(box, 16, plain.length, plain, 0);
    return plain;
  }

  private static XSalsa20Engine stream(byte[] key, byte[] nonce) {
    XSalsa20Engine engine = new XSalsa20Engine();
    engine.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
    return engine;
  }
}
