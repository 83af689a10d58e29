package dev.imagepatch.patch.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Which shell scriptlets are an effect's alone, as real packages write them. */
class ScriptletsTest {
  @Test
  void ldconfigAloneAsGlibcAndLibraryPackagesWriteIt() {
    assertEquals("ldconfig", Scriptlets.shellKind("/sbin/ldconfig\n"), "glibc's transfiletriggerin body");
    assertEquals("ldconfig", Scriptlets.shellKind("/usr/sbin/ldconfig >/dev/null 2>&1 || :\n"));
    assertEquals("ldconfig", Scriptlets.shellKind("# refresh the cache\nldconfig -X\nexit 0\n"));
  }

  @Test
  void updateCaTrustAlone() {
    assertEquals("update-ca-trust", Scriptlets.shellKind("/usr/bin/update-ca-trust extract\n"));
    assertEquals("update-ca-trust", Scriptlets.shellKind("update-ca-trust || :\n"));
  }

  @Test
  void anythingElseOrAMixIsNotAnEffects() {
    assertNull(Scriptlets.shellKind("/usr/bin/ca-legacy install\n/usr/bin/update-ca-trust\n"));
    assertNull(Scriptlets.shellKind("/sbin/ldconfig\n/usr/bin/update-ca-trust\n"));
    assertNull(Scriptlets.shellKind("systemctl daemon-reload\n"));
    assertNull(Scriptlets.shellKind("if [ $1 -eq 1 ]; then /sbin/ldconfig; fi\n"));
  }
}
