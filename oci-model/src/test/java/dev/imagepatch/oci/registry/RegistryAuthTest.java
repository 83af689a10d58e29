package dev.imagepatch.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.JsonDocument;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Basic and token authentication against real registries, with credentials from Docker's config. */
class RegistryAuthTest {
  private static final ImageCopier COPIER = ImageCopier.create(2, new ImageCopier.Listener() {});

  @TempDir
  static Path temp;

  static Path configWithAuths(String name, String host, String user, String password) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(name));
    String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Files.writeString(dir.resolve("config.json"),
        "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
    return dir;
  }

  /** A docker-credential-* helper script that answers for one server URL. */
  static Path configWithHelper(String name, String host, String user, String password) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(name));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path helper = bin.resolve("docker-credential-imagepatchtest");
    Files.writeString(helper, "#!/bin/sh\n"
        + "[ \"$1\" = get ] || exit 1\n"
        + "read server\n"
        + "if [ \"$server\" = \"" + host + "\" ]; then\n"
        + "  printf '{\"ServerURL\":\"%s\",\"Username\":\"" + user + "\",\"Secret\":\"" + password + "\"}' \"$server\"\n"
        + "else\n"
        + "  echo 'credentials not found in native keychain'; exit 1\n"
        + "fi\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(dir.resolve("config.json"),
        "{\"auths\":{},\"credHelpers\":{\"" + host + "\":\"imagepatchtest\"}}");
    return dir;
  }

  static DockerConfigCredentials credentials(Path configDir) throws Exception {
    return DockerConfigCredentials.fromEnvironment(Map.of(
        "DOCKER_CONFIG", configDir.toString(),
        "PATH", configDir.resolve("bin") + ":/usr/bin:/bin"));
  }

  static Manifest pushAndPull(RegistryExtension registry, RegistryClient client, String repo, long seed)
      throws Exception {
    OciLayout layout = OciLayout.openOrCreate(temp.resolve("layout-" + repo.replace('/', '-') + seed));
    Manifest made = new RandomImages(seed).image(layout, "v1", false, Platform.parse("linux/amd64"), 2);
    COPIER.copy(layout, "v1", client.repository(repo), "v1");
    JsonDocument pulled = client.getManifest(repo, "v1");
    assertArrayEquals(made.bytes(), pulled.bytes());
    return made;
  }

  @Nested
  class Basic {
    @RegisterExtension
    static final RegistryExtension registry = RegistryExtension.htpasswd();

    @Test
    void credentialsFromConfigJsonAuths() throws Exception {
      Path config = configWithAuths("basic-auths", registry.host(), RegistryExtension.USER, RegistryExtension.PASSWORD);
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      pushAndPull(registry, client, "basic/app", 11);
    }

    @Test
    void credentialsFromAHelperOnPath() throws Exception {
      Path config = configWithHelper("basic-helper", registry.host(), RegistryExtension.USER, RegistryExtension.PASSWORD);
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      pushAndPull(registry, client, "basic/helper", 12);
    }

    @Test
    void wrongPasswordIsAClearError() throws Exception {
      Path config = configWithAuths("basic-wrong", registry.host(), RegistryExtension.USER, "not-the-password");
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      RegistryException e = assertThrows(RegistryException.class, () -> client.getManifest("basic/app", "v1"));
      assertEquals(401, e.statusCode());
      assertTrue(e.getMessage().contains(registry.host()), e.getMessage());
      assertTrue(e.getMessage().contains("basic/app"), e.getMessage());
      assertTrue(e.getMessage().contains("user patcher from auths"), e.getMessage());
      assertFalse(e.getMessage().contains("not-the-password"), "the password must not be shown: " + e.getMessage());
    }

    @Test
    void anonymousIsRefused() {
      RegistryClient client = registry.clientBuilder().build();
      RegistryException e = assertThrows(RegistryException.class, () -> client.listTags("basic/app"));
      assertEquals(401, e.statusCode());
      assertTrue(e.getMessage().contains("anonymous"), e.getMessage());
    }
  }

  @Nested
  class Token {
    @RegisterExtension
    static final RegistryExtension registry = RegistryExtension.token();

    @Test
    void credentialsFromConfigJsonAuths() throws Exception {
      Path config = configWithAuths("token-auths", registry.host(), RegistryExtension.USER, RegistryExtension.PASSWORD);
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      pushAndPull(registry, client, "token/app", 21);
      assertTrue(registry.tokenServer().scopesSeen().contains("repository:token/app:pull,push"));
    }

    @Test
    void credentialsFromAHelperOnPath() throws Exception {
      Path config = configWithHelper("token-helper", registry.host(), RegistryExtension.USER, RegistryExtension.PASSWORD);
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      pushAndPull(registry, client, "token/helper", 22);
    }

    @Test
    void mountAcrossRepositoriesAsksForPullOnTheSource() throws Exception {
      RegistryClient client = registry.client();
      Manifest made = pushAndPull(registry, client, "token/mount-src", 23);
      RegistryClient second = registry.client();
      COPIER.copy(second.repository("token/mount-src"), "v1", second.repository("token/mount-dst"), "v1");
      assertEquals(0, second.stats().bytesUploaded());
      assertEquals(3, second.stats().blobsMounted());
      assertArrayEquals(made.bytes(), second.getManifest("token/mount-dst", "v1").bytes());
      assertTrue(registry.tokenServer().scopesSeen().contains("repository:token/mount-src:pull"));
    }

    @Test
    void tokensAreReusedForTheSameScope() throws Exception {
      RegistryClient client = registry.client();
      pushAndPull(registry, client, "token/reuse", 24);
      int before = registry.tokenServer().tokensIssued();
      for (int i = 0; i < 5; i++) {
        client.getManifest("token/reuse", "v1");
      }
      assertEquals(before, registry.tokenServer().tokensIssued());
    }

    @Test
    void wrongPasswordIsAClearError() throws Exception {
      Path config = configWithHelper("token-wrong", registry.host(), RegistryExtension.USER, "wrong");
      RegistryClient client = registry.clientBuilder().credentials(credentials(config)).build();
      RegistryException e = assertThrows(RegistryException.class, () -> client.getManifest("token/app", "v1"));
      assertEquals(401, e.statusCode());
      assertTrue(e.getMessage().contains("token endpoint " + registry.tokenServer().realm()), e.getMessage());
      assertTrue(e.getMessage().contains("docker-credential-imagepatchtest"), e.getMessage());
      assertTrue(e.getMessage().contains("invalid username or password"), e.getMessage());
    }

    @Test
    void anonymousTokenWithoutRightsIsRefusedClearly() {
      RegistryClient client = registry.clientBuilder().build();
      RegistryException e = assertThrows(RegistryException.class, () -> client.getManifest("token/app", "v1"));
      assertEquals(401, e.statusCode());
      assertTrue(e.getMessage().contains("anonymous"), e.getMessage());
      assertTrue(e.getMessage().contains("UNAUTHORIZED") || e.getMessage().contains("insufficient"), e.getMessage());
    }
  }
}
