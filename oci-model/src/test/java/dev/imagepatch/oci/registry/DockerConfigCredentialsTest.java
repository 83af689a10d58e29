package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.InvalidDocumentException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker's config.json rules: credHelpers, then credsStore, then auths; keys may be URLs. */
class DockerConfigCredentialsTest {
  @TempDir
  Path dir;

  private DockerConfigCredentials load(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
    return DockerConfigCredentials.fromEnvironment(Map.of("DOCKER_CONFIG", dir.toString(),
        "PATH", dir.resolve("bin").toString()));
  }

  private void helper(String name, String script) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path file = bin.resolve("docker-credential-" + name);
    Files.writeString(file, "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void authsByHostOrUrlKey() throws Exception {
    DockerConfigCredentials c = load("{\"auths\":{"
        + "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnB3\"},"
        + "\"http://reg.example:5000/v2/\":{\"username\":\"u\",\"password\":\"p\"},"
        + "\"tok.example\":{\"identitytoken\":\"refresh-me\"}}}");
    Credential hub = c.credentialFor("docker.io").orElseThrow();
    assertEquals(Optional.of("hub"), hub.username());
    assertEquals("pw", hub.secret());
    assertEquals(Optional.of("u"), c.credentialFor("reg.example:5000").orElseThrow().username());
    assertTrue(c.credentialFor("tok.example").orElseThrow().isIdentityToken());
    assertEquals(Optional.empty(), c.credentialFor("other.example"));
  }

  @Test
  void credHelperWinsOverStoreWhichWinsOverAuths() throws Exception {
    helper("one", "read s; printf '{\"Username\":\"from-one\",\"Secret\":\"x\"}'\n");
    helper("store", "read s; if [ \"$s\" = https://index.docker.io/v1/ ]; then "
        + "printf '{\"Username\":\"<token>\",\"Secret\":\"idt\"}'; else echo 'credentials not found in native keychain'; exit 1; fi\n");
    DockerConfigCredentials c = load("{\"credHelpers\":{\"a.example\":\"one\"},\"credsStore\":\"store\","
        + "\"auths\":{\"a.example\":{\"auth\":\"YTpi\"},\"b.example\":{\"auth\":\"Yjpj\"}}}");
    assertEquals(Optional.of("from-one"), c.credentialFor("a.example").orElseThrow().username());
    Credential hub = c.credentialFor("docker.io").orElseThrow();
    assertTrue(hub.isIdentityToken(), "the <token> user means an identity token");
    assertEquals(Optional.of("b"), c.credentialFor("b.example").orElseThrow().username(), "store had none");
  }

  @Test
  void aHelperThatFailsOrIsMissingIsAClearError() throws Exception {
    helper("broken", "echo 'keychain locked' >&2; exit 3\n");
    DockerConfigCredentials c = load("{\"credHelpers\":{\"a.example\":\"broken\",\"b.example\":\"absent\"}}");
    IOException broken = assertThrows(IOException.class, () -> c.credentialFor("a.example"));
    assertEquals("docker-credential-broken get a.example failed with exit code 3: keychain locked", broken.getMessage());
    IOException absent = assertThrows(IOException.class, () -> c.credentialFor("b.example"));
    assertTrue(absent.getMessage().startsWith("credential helper docker-credential-absent (named in "), absent.getMessage());
  }

  @Test
  void badConfigNamesTheFile() throws Exception {
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> load("{\"auths\":"));
    assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": invalid JSON at line 1"), e.getMessage());
    DockerConfigCredentials c = load("{\"auths\":{\"x.example\":{\"auth\":\"bm8tY29sb24=\"}}}");
    InvalidDocumentException e2 = assertThrows(InvalidDocumentException.class, () -> c.credentialFor("x.example"));
    assertTrue(e2.getMessage().contains("auth does not decode to user:password"), e2.getMessage());
  }

  @Test
  void noConfigFileMeansAnonymous() throws Exception {
    DockerConfigCredentials c = DockerConfigCredentials.fromEnvironment(Map.of("DOCKER_CONFIG", dir.resolve("none").toString()));
    assertEquals(Optional.empty(), c.credentialFor("docker.io"));
  }
}
