package dev.imagepatch.signer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.internal.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bytes cosign signs and checks: the simple-signing payload (serialized as Go writes it:
 * compact, fixed key order, sorted annotation keys, {@code "optional":null} when there are none),
 * the DSSE pre-authentication encoding, and ECDSA verification that accepts DER and, as sigstore
 * does, IEEE P1363.
 */
public final class Payloads {
  private Payloads() {}

  public static final String SIGNATURE_TYPE = "cosign container image signature";

  /** The simple-signing payload of {@code digest}, with {@code optional} claims (null or empty: none). */
  public static byte[] simpleSigning(String dockerReference, Digest digest, JsonNode optional) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode critical = root.putObject("critical");
    critical.putObject("identity").put("docker-reference", dockerReference);
    critical.putObject("image").put("docker-manifest-digest", digest.toString());
    critical.put("type", SIGNATURE_TYPE);
    root.set("optional", optional == null || (optional.isObject() && optional.isEmpty()) ? null : sorted(optional));
    return Json.write(root);
  }

  /** Annotations as the {@code optional} claims cosign's {@code -a key=value} makes. */
  public static JsonNode annotations(Map<String, String> annotations) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    new TreeMap<>(annotations).forEach(o::put);
    return o;
  }

  /** Go's encoding/json writes map keys sorted by their bytes; nested maps too. */
  static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      ObjectNode out = Json.MAPPER.createObjectNode();
      TreeMap<String, JsonNode> fields = new TreeMap<>((a, b) -> compareBytes(a, b));
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = Json.MAPPER.createArrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  private static int compareBytes(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = Integer.compare(x[i] & 0xff, y[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  /** DSSE's pre-authentication encoding: {@code "DSSEv1" SP len(type) SP type SP len(body) SP body}. */
  public static byte[] pae(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ")
        .getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[head.length + payload.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(payload, 0, out, head.length, payload.length);
    return out;
  }

  /** ECDSA-SHA256 over {@code data}: the signature in DER, or else as 64-byte r||s. */
  public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    for (String algorithm : new String[] {"SHA256withECDSA", "SHA256withECDSAinP1363Format"}) {
      try {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(data);
        if (s.verify(signature)) {
          return true;
        }
      } catch (GeneralSecurityException e) {
        // not this encoding
      }
    }
    return false;
  }
}
