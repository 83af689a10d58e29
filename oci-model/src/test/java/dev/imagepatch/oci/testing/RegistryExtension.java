package dev.imagepatch.oci.testing;

import dev.imagepatch.oci.registry.Credential;
import dev.imagepatch.oci.registry.CredentialProvider;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.registry.RetryPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a real CNCF Distribution registry (Debian's {@code docker-registry} binary) on a free
 * loopback port with its own temporary storage, for one test class. Three flavours: open,
 * htpasswd Basic auth, and token auth (Distribution's {@code auth: token}, with a
 * {@link TokenServer} issuing JWTs signed by a certificate made for the run). The binary is
 * required: without it the tests fail with instructions rather than skip.
 */
public final class RegistryExtension implements BeforeAllCallback, AfterAllCallback {
  /** The test user of the auth flavours. */
  public static final String USER = "patcher";
  public static final String PASSWORD = "s3cret-pass";

  private enum Flavour { OPEN, HTPASSWD, TOKEN }

  private final Flavour flavour;
  private final IntSupplier ports;
  private Path dir;
  private Process process;
  private int port;
  private TokenServer tokenServer;

  private RegistryExtension(Flavour flavour, IntSupplier ports) {
    this.flavour = flavour;
    this.ports = ports;
  }

  public static RegistryExtension open() {
    return new RegistryExtension(Flavour.OPEN, RegistryExtension::freePort);
  }

  public static RegistryExtension htpasswd() {
    return new RegistryExtension(Flavour.HTPASSWD, RegistryExtension::freePort);
  }

  public static RegistryExtension token() {
    return new RegistryExtension(Flavour.TOKEN, RegistryExtension::freePort);
  }

  /** An open registry on the ports {@code ports} gives, tried in turn: for testing the retry. */
  static RegistryExtension open(IntSupplier ports) {
    return new RegistryExtension(Flavour.OPEN, ports);
  }

  /** The registry binary: {@code $IMAGEPATCH_REGISTRY_BIN}, else Debian's path, else PATH. */
  static Path binary() {
    String configured = System.getenv("IMAGEPATCH_REGISTRY_BIN");
    List<String> candidates = configured != null ? List.of(configured)
        : List.of("/usr/bin/docker-registry", "/usr/local/bin/registry");
    for (String c : candidates) {
      if (Files.isExecutable(Path.of(c))) {
        return Path.of(c);
      }
    }
    throw new IllegalStateException("the CNCF Distribution registry binary is missing: install Debian's"
        + " docker-registry package (scripts/test does) or set IMAGEPATCH_REGISTRY_BIN");
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path bin = binary();
    dir = Files.createTempDirectory("imagepatch-registry-");
    // The free port is found before the registry binds it; another process may take it between.
    for (int attempt = 1; ; attempt++) {
      port = ports.getAsInt();
      if (start(bin)) {
        return;
      }
      if (attempt == 5) {
        throw new IllegalStateException("the registry found its port taken " + attempt + " times; last: " + port);
      }
    }
  }

  /** Starts the registry on {@link #port}; false when the port was taken meanwhile. */
  private boolean start(Path bin) throws Exception {
    StringBuilder config = new StringBuilder()
        .append("version: 0.1\n")
        .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append('\n')
        .append("  delete:\n    enabled: true\n")
        .append("http:\n  addr: 127.0.0.1:").append(port).append('\n')
        .append("  secret: imagepatch-test-secret\n");
    switch (flavour) {
      case OPEN -> { }
      case HTPASSWD -> {
        Path htpasswd = dir.resolve("htpasswd");
        String hash = OpenBSDBCrypt.generate("2a", PASSWORD.toCharArray(), salt(), 6);
        Files.writeString(htpasswd, USER + ":" + hash + "\n");
        config.append("auth:\n  htpasswd:\n    realm: imagepatch-test\n    path: ").append(htpasswd).append('\n');
      }
      case TOKEN -> {
        if (tokenServer == null) {
          tokenServer = TokenServer.start(USER, PASSWORD, "imagepatch-test-registry", "imagepatch-test-issuer");
        }
        Path bundle = dir.resolve("token-root.pem");
        Files.writeString(bundle, tokenServer.certificatePem());
        config.append("auth:\n  token:\n    realm: ").append(tokenServer.realm()).append('\n')
            .append("    service: imagepatch-test-registry\n")
            .append("    issuer: imagepatch-test-issuer\n")
            .append("    rootcertbundle: ").append(bundle).append('\n');
      }
    }
    Path configFile = dir.resolve("config.yml");
    Files.writeString(configFile, config.toString());
    Path log = dir.resolve("registry.log");
    process = new ProcessBuilder(bin.toString(), "serve", configFile.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return waitUntilServing(log);
  }

  private boolean waitUntilServing(Path log) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (output.contains("address already in use")) {
          return false;
        }
        throw new IllegalStateException("the registry exited with " + process.exitValue() + ": " + output);
      }
      try {
        // A timeout, since whoever holds a port may accept and never answer.
        int status = http.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/"))
                .timeout(Duration.ofMillis(500)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return true;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the registry did not start within 30 s: " + Files.readString(log));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (process != null) {
      process.destroy();
      process.waitFor();
    }
    if (tokenServer != null) {
      tokenServer.close();
    }
    if (dir != null) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The token server of the token flavour (null otherwise). */
  public TokenServer tokenServer() {
    return tokenServer;
  }

  /** A client builder with quick retries, for tests; no credentials. */
  public RegistryClient.Builder clientBuilder() {
    return RegistryClient.builder(host())
        .retryPolicy(RetryPolicy.of(4, Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofSeconds(20)));
  }

  /** A client with the right credentials for this flavour. */
  public RegistryClient client() {
    RegistryClient.Builder b = clientBuilder();
    if (flavour != Flavour.OPEN) {
      b.credentials(CredentialProvider.of(Credential.basic(USER, PASSWORD)));
    }
    return b.build();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] salt() {
    byte[] s = new byte[16];
    new java.security.SecureRandom().nextBytes(s);
    return s;
  }
}
