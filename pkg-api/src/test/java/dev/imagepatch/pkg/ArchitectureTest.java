package dev.imagepatch.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one architecture table: every family's and scanner's alias meets the OCI name, and back. */
class ArchitectureTest {
  @ParameterizedTest
  @CsvSource({
      // name as written, variant, key, dpkg, apk, rpm
      "amd64,, amd64, amd64, x86_64, x86_64",
      "x86_64,, amd64, amd64, x86_64, x86_64",
      "amd64, v1, amd64, amd64, x86_64, x86_64",
      "amd64, v3, amd64/v3, amd64, x86_64, x86_64",
      "aarch64,, arm64, arm64, aarch64, aarch64",
      "arm64, v8, arm64, arm64, aarch64, aarch64",
      "arm,, arm/v7, armhf, armv7, armv7hl",
      "armhf,, arm/v7, armhf, armv7, armv7hl",
      "armv7,, arm/v7, armhf, armv7, armv7hl",
      "arm, v6, arm/v6, armel, armhf, armv6hl",
      "armel,, arm/v6, armel, armhf, armv6hl",
      "i686,, 386, i386, x86, i686",
      "ppc64el,, ppc64le, ppc64el, ppc64le, ppc64le",
      "s390x,, s390x, s390x, s390x, s390x",
  })
  void aliasesMeetAndEachFamilyNamesThem(String written, String variant, String key, String dpkg, String apk,
      String rpm) {
    Architecture a = Architecture.of(written, variant);
    assertEquals(key, a.key());
    assertEquals(Optional.of(dpkg), a.nameFor(PackageManager.DPKG));
    assertEquals(Optional.of(apk), a.nameFor(PackageManager.APK));
    assertEquals(Optional.of(rpm), a.nameFor(PackageManager.RPM));
  }

  @Test
  void anUnknownArchitectureIsKeptAndNamedByNoFamily() {
    Architecture a = Architecture.of("Sparc64", null);
    assertEquals("sparc64", a.key());
    assertEquals(Optional.empty(), a.nameFor(PackageManager.DPKG));
  }
}
