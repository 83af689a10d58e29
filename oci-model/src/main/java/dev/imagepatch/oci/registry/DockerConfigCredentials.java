package dev.imagepatch.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.InvalidDocumentException;
import dev.imagepatch.oci.internal.Json;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Credentials as the Docker CLI finds them in {@code config.json}: a per-registry
 * {@code credHelpers} entry first, then the {@code credsStore} helper, then {@code auths}. The
 * file is {@code $DOCKER_CONFIG/config.json}, or {@code ~/.docker/config.json}. Helpers are the
 * {@code docker-credential-<name>} programs on {@code PATH}, spoken to with Docker's protocol.
 */
public final class DockerConfigCredentials implements CredentialProvider {
  /** The key under which the Docker CLI stores Docker Hub credentials. */
  private static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
  private static final long HELPER_TIMEOUT_SECONDS = 30;

  private final Path file;
  private final ObjectNode config;
  private final Map<String, String> environment;

  private DockerConfigCredentials(Path file, ObjectNode config, Map<String, String> environment) {
    this.file = file;
    this.config = config;
    this.environment = environment;
  }

  /** The config the Docker CLI would use in this process's environment. */
  public static DockerConfigCredentials fromEnvironment() throws IOException {
    return fromEnvironment(System.getenv());
  }

  /**
   * The config named by {@code environment} ({@code DOCKER_CONFIG}, else {@code HOME}); helpers
   * are looked up on its {@code PATH}. A missing file means no credentials.
   */
  public static DockerConfigCredentials fromEnvironment(Map<String, String> environment) throws IOException {
    String dir = environment.get("DOCKER_CONFIG");
    if (dir == null || dir.isEmpty()) {
      String home = environment.getOrDefault("HOME", System.getProperty("user.home"));
      dir = Path.of(home, ".docker").toString();
    }
    Path file = Path.of(dir, "config.json");
    ObjectNode config = Files.isRegularFile(file)
        ? Json.readObject(Files.readAllBytes(file), file.toString())
        : Json.MAPPER.createObjectNode();
    return new DockerConfigCredentials(file, config, Map.copyOf(environment));
  }

  @Override
  public Optional<Credential> credentialFor(String registry) throws IOException {
    String host = registry.toLowerCase(Locale.ROOT);
    String helper = lookup(config.path("credHelpers"), host).map(JsonNode::asText).orElse(null);
    if (helper != null) {
      return runHelper(helper, host);
    }
    String store = config.path("credsStore").asText("");
    if (!store.isEmpty()) {
      Optional<Credential> c = runHelper(store, host);
      if (c.isPresent()) {
        return c;
      }
    }
    Optional<JsonNode> auth = lookup(config.path("auths"), host);
    return auth.isEmpty() ? Optional.empty() : fromAuthEntry(auth.get(), host);
  }

  /** Finds the entry for {@code host}; keys may be URLs ("https://host/v1/") as older CLIs wrote. */
  private static Optional<JsonNode> lookup(JsonNode map, String host) {
    if (!map.isObject()) {
      return Optional.empty();
    }
    boolean hub = host.equals(ImageReference.DOCKER_HUB);
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = hostOf(e.getKey());
      if (key.equals(host) || (hub && (key.equals("index.docker.io") || key.equals("registry-1.docker.io")))) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  private static String hostOf(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    int slash = k.indexOf('/');
    return slash >= 0 ? k.substring(0, slash) : k;
  }

  private Optional<Credential> fromAuthEntry(JsonNode entry, String host) throws InvalidDocumentException {
    String where = "auths[\"" + host + "\"] in " + file;
    String identity = entry.path("identitytoken").asText("");
    if (!identity.isEmpty()) {
      return Optional.of(Credential.identityToken(identity).from(where));
    }
    String user = entry.path("username").asText("");
    String password = entry.path("password").asText("");
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new InvalidDocumentException(where + ": auth is not valid base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new InvalidDocumentException(where + ": auth does not decode to user:password");
      }
      user = decoded.substring(0, colon);
      password = decoded.substring(colon + 1);
    }
    if (user.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Credential.basic(user, password).from(where));
  }

  private Optional<Credential> runHelper(String name, String host) throws IOException {
    String program = "docker-credential-" + name;
    Path executable = findOnPath(program)
        .orElseThrow(() -> new IOException("credential helper " + program + " (named in " + file
            + ") is not on PATH"));
    String serverUrl = host.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_KEY : host;
    ProcessBuilder pb = new ProcessBuilder(executable.toString(), "get");
    pb.environment().clear();
    pb.environment().putAll(environment);
    pb.redirectError(ProcessBuilder.Redirect.PIPE);
    Process process = pb.start();
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(serverUrl.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // A helper that exits without reading its input: its exit code and output tell why.
    }
    byte[] out;
    byte[] err;
    try (InputStream stdout = process.getInputStream(); InputStream stderr = process.getErrorStream()) {
      out = Json.readLimited(stdout, 1 << 20, program + " output");
      err = stderr.readNBytes(4096);
      if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(program + " did not answer within " + HELPER_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while running " + program, e);
    }
    String errText = new String(err, StandardCharsets.UTF_8).trim();
    if (process.exitValue() != 0) {
      String outText = new String(out, StandardCharsets.UTF_8).trim();
      // The helpers' own words for "nothing stored for this server".
      if ((outText + errText).toLowerCase(Locale.ROOT).contains("credentials not found")) {
        return Optional.empty();
      }
      throw new IOException(program + " get " + serverUrl + " failed with exit code "
          + process.exitValue() + ": " + (errText.isEmpty() ? outText : errText));
    }
    ObjectNode answer = Json.readObject(out, program + " output for " + serverUrl);
    String user = answer.path("Username").asText("");
    String secret = answer.path("Secret").asText("");
    String where = program + " (from " + file + ")";
    if (secret.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(user.equals("<token>")
        ? Credential.identityToken(secret).from(where)
        : Credential.basic(user, secret).from(where));
  }

  private Optional<Path> findOnPath(String program) {
    String path = environment.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate) && Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "Docker config " + file;
  }
}
