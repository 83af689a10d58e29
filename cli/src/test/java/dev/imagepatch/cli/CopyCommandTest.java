package dev.imagepatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.registry.RegistryClient;
import dev.imagepatch.oci.testing.RandomImages;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code imagepatch copy} end to end: layout to registry, registry to registry, registry to layout. */
class CopyCommandTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  Path temp;


  @Test
  void copiesAnIndexThroughARegistryAndBack() throws Exception {
    OciLayout source = OciLayout.openOrCreate(temp.resolve("src"));
    Index made = new RandomImages(51).index(source, "1.0", false,
        List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64")));
    String first = registry.host() + "/cli/app:1.0";

    CliRun push = CliRun.of("copy", "oci:" + source.root() + ":1.0", first);
    assertEquals(0, push.code(), push.err());
    assertEquals(made.digest() + "\n", push.out());
    assertTrue(push.err().contains("index " + made.digest() + " tagged 1.0"), push.err());
    assertTrue(push.err().contains("written"), push.err());

    CliRun mount = CliRun.of("copy", "docker://" + first, registry.host() + "/cli/other:2.0");
    assertEquals(0, mount.code(), mount.err());
    assertTrue(mount.err().contains("(0 written, 6 mounted, 0 already there), 0 B uploaded"), mount.err());

    Path back = temp.resolve("back");
    CliRun pull = CliRun.of("copy", "-q", registry.host() + "/cli/other@" + made.digest(), "oci:" + back + ":v2");
    assertEquals(0, pull.code(), pull.err());
    assertEquals("", pull.err());
    assertArrayEquals(made.bytes(), OciLayout.open(back).fetchManifest("v2").bytes());
    RegistryClient client = registry.client();
    assertArrayEquals(made.bytes(), client.getManifest("cli/other", "2.0").bytes());
  }

  @Test
  void errorsNameWhatIsWrong() {
    CliRun missing = CliRun.of("copy", "oci:" + temp.resolve("none") + ":v1", registry.host() + "/cli/x:1");
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("imagepatch: error: " + temp.resolve("none") + " is not an OCI image layout"),
        missing.err());

    CliRun notThere = CliRun.of("copy", registry.host() + "/cli/absent:1", "oci:" + temp.resolve("t"));
    assertEquals(1, notThere.code());
    assertTrue(notThere.err().contains("get manifest 1 in repository cli/absent on registry " + registry.host()
        + " failed: HTTP 404"), notThere.err());

    CliRun badRef = CliRun.of("copy", "library/Upper:1", "oci:" + temp.resolve("t"));
    assertEquals(2, badRef.code());
    assertTrue(badRef.err().contains("must be lowercase"), badRef.err());

    CliRun usage = CliRun.of("copy", "only-one-argument");
    assertEquals(2, usage.code());
    assertTrue(usage.err().contains("Missing required parameter: 'DST'"), usage.err());
  }
}
