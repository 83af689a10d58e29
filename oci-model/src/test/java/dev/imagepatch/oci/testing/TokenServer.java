package dev.imagepatch.oci.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The token endpoint of Docker's token protocol, for a Distribution registry configured with
 * {@code auth: token}: it checks Basic credentials (or issues an anonymous token with no rights
 * when none are sent), then returns a JWT granting the requested repository actions, signed
 * with RS256 by a self-signed certificate the registry trusts through its root bundle.
 */
public final class TokenServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String user;
  private final String password;
  private final String service;
  private final String issuer;
  private final KeyPair keys;
  private final X509Certificate certificate;
  private final HttpServer server;
  private final AtomicInteger issued = new AtomicInteger();
  private final List<String> scopesSeen = java.util.Collections.synchronizedList(new ArrayList<>());

  private TokenServer(String user, String password, String service, String issuer) throws Exception {
    this.user = user;
    this.password = password;
    this.service = service;
    this.issuer = issuer;
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    this.keys = gen.generateKeyPair();
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=imagepatch test token issuer");
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
        Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign));
    this.certificate = new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", this::handle);
    server.start();
  }

  static TokenServer start(String user, String password, String service, String issuer) throws Exception {
    return new TokenServer(user, password, service, issuer);
  }

  public String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** How many tokens were issued so far. */
  public int tokensIssued() {
    return issued.get();
  }

  /** Every scope parameter requested so far. */
  public List<String> scopesSeen() {
    return List.copyOf(scopesSeen);
  }

  String certificatePem() throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(certificate);
    }
    return out.toString();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      boolean authenticated = false;
      if (auth != null) {
        String expected = "Basic " + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (!auth.equals(expected)) {
          byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"invalid username or password\"}]}"
              .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(401, body.length);
          exchange.getResponseBody().write(body);
          return;
        }
        authenticated = true;
      }
      ArrayNode access = JSON.createArrayNode();
      String query = exchange.getRequestURI().getRawQuery();
      if (query != null) {
        for (String param : query.split("&")) {
          if (!param.startsWith("scope=")) {
            continue;
          }
          String scope = URLDecoder.decode(param.substring(6), StandardCharsets.UTF_8);
          scopesSeen.add(scope);
          String[] parts = scope.split(":");
          if (authenticated && parts.length == 3) {
            ObjectNode entry = access.addObject();
            entry.put("type", parts[0]);
            entry.put("name", parts[1]);
            ArrayNode actions = entry.putArray("actions");
            for (String a : parts[2].split(",")) {
              actions.add(a);
            }
          }
        }
      }
      String token = jwt(authenticated ? user : "", access);
      issued.incrementAndGet();
      ObjectNode answer = JSON.createObjectNode();
      answer.put("token", token);
      answer.put("access_token", token);
      answer.put("expires_in", 300);
      byte[] body = JSON.writeValueAsBytes(answer);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  private String jwt(String subject, ArrayNode access) throws Exception {
    ObjectNode header = JSON.createObjectNode();
    header.put("typ", "JWT");
    header.put("alg", "RS256");
    header.putArray("x5c").add(Base64.getEncoder().encodeToString(certificate.getEncoded()));
    long now = Instant.now().getEpochSecond();
    ObjectNode claims = JSON.createObjectNode();
    claims.put("iss", issuer);
    claims.put("sub", subject);
    claims.put("aud", service);
    claims.put("exp", now + 300);
    claims.put("nbf", now - 10);
    claims.put("iat", now);
    claims.put("jti", UUID.randomUUID().toString());
    claims.set("access", access);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(JSON.writeValueAsBytes(header)) + "."
        + b64.encodeToString(JSON.writeValueAsBytes(claims));
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(keys.getPrivate());
    rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(rsa.sign());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
