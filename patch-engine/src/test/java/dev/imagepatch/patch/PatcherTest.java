package dev.imagepatch.patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.InvalidVersionException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a backend throws on bad input reaches callers as a failed patch (CLI exit 1), never as a usage error. */
class PatcherTest {
  @TempDir
  Path temp;

  private static final PatchBackend INVALID_VERSION = new PatchBackend() {
    @Override
    public String name() {
      return "invalid-version";
    }

    @Override
    public PatchResult patch(PatchRequest request) {
      throw InvalidVersionException.of("dpkg", "1.0!", "invalid character in version number");
    }
  };

  @Test
  void anInvalidVersionFromTheBackendIsAPatchException() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(temp);
    PatchRequest request = PatchRequest.builder(layout, "1").dryRun(true).build();
    PatchException e = assertThrows(PatchException.class, () -> Patcher.with(INVALID_VERSION).patch(request));
    assertEquals("invalid dpkg version '1.0!': invalid character in version number", e.getMessage());
    PatchRequest timed = PatchRequest.builder(layout, "1").dryRun(true).timeout(Duration.ofSeconds(30)).build();
    assertThrows(PatchException.class, () -> Patcher.with(INVALID_VERSION).patch(timed));
  }
}
