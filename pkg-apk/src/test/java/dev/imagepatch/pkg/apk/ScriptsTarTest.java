package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** scripts.tar and triggers of the real 3.10.3 and 3.10.9 minirootfs. */
class ScriptsTarTest {
  private static final String OLD = "vectors/alpine/minirootfs/alpine-minirootfs-3.10.3-x86_64.tar.gz";
  private static final String NEW = "vectors/alpine/minirootfs/alpine-minirootfs-3.10.9-x86_64.tar.gz";

  private static Map<String, byte[]> db(String rootfs) throws IOException {
    Path p = ApkTestData.path(rootfs);
    return ApkTestData.members(p, n -> n.startsWith("./lib/apk/db/"));
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void anUnchangedRealScriptsTarIsWrittenBackByteForByte() throws IOException {
    for (String rootfs : List.of(OLD, NEW)) {
      byte[] real = db(rootfs).get("./lib/apk/db/scripts.tar");
      ScriptsTar tar = ScriptsTar.read(real, rootfs);
      assertEquals(7, tar.scripts().size());
      assertArrayEquals(real, tar.write(tar.mtime()), rootfs);
      InstalledDatabase installed = InstalledDatabase.parse(text(db(rootfs).get("./lib/apk/db/installed")), rootfs);
      assertArrayEquals(real, tar.update(installed, Map.of()).write(tar.mtime()), rootfs);
    }
  }

  @Test
  void anUpgradeDropsTheOldEntriesAndAddsTheNewInInstalledOrder() throws IOException {
    Map<String, byte[]> oldDb = db(OLD);
    Map<String, byte[]> newDb = db(NEW);
    InstalledDatabase oldInstalled = InstalledDatabase.parse(text(oldDb.get("./lib/apk/db/installed")), OLD);
    InstalledDatabase newInstalled = InstalledDatabase.parse(text(newDb.get("./lib/apk/db/installed")), NEW);
    ScriptsTar oldScripts = ScriptsTar.read(oldDb.get("./lib/apk/db/scripts.tar"), OLD);
    ScriptsTar newScripts = ScriptsTar.read(newDb.get("./lib/apk/db/scripts.tar"), NEW);
    InstalledPackage oldBusybox = oldInstalled.find("busybox").orElseThrow();
    InstalledPackage newBusybox = newInstalled.find("busybox").orElseThrow();
    InstalledDatabase after = oldInstalled.replace(List.of(oldBusybox), List.of(newBusybox));
    // The control tar's names, as ApkArchive.scripts() gives them.
    Map<String, byte[]> control = new LinkedHashMap<>();
    for (ScriptsTar.Script s : newScripts.scripts(newBusybox.header().checksum())) {
      control.put("." + s.action(), s.content());
    }
    ScriptsTar updated = oldScripts.update(after, Map.of(newBusybox.header().checksum(), control));
    List<String> names = updated.scripts().stream().map(ScriptsTar.Script::entryName).toList();
    assertEquals(List.of(
        "alpine-baselayout-3.1.2-r0.Q1V01JAxG2jbAcCj5E9Ukb4M3HklA=.pre-install",
        "alpine-baselayout-3.1.2-r0.Q1V01JAxG2jbAcCj5E9Ukb4M3HklA=.post-install",
        "alpine-baselayout-3.1.2-r0.Q1V01JAxG2jbAcCj5E9Ukb4M3HklA=.pre-upgrade",
        "alpine-baselayout-3.1.2-r0.Q1V01JAxG2jbAcCj5E9Ukb4M3HklA=.post-upgrade",
        "busybox-1.30.1-r5.Q15C2XHjfOr7q/udsqihkGh1lAlDg=.post-install",
        "busybox-1.30.1-r5.Q15C2XHjfOr7q/udsqihkGh1lAlDg=.post-upgrade",
        "busybox-1.30.1-r5.Q15C2XHjfOr7q/udsqihkGh1lAlDg=.trigger"), names);
    for (ScriptsTar.Script s : updated.scripts()) {
      ScriptsTar.Script real = newScripts.scripts().stream().filter(r -> r.entryName().equals(s.entryName()))
          .findFirst().orElseThrow();
      assertArrayEquals(real.content(), s.content(), s.entryName());
    }
    ScriptsTar reread = ScriptsTar.read(updated.write(1617368286L), "written");
    assertEquals(names, reread.scripts().stream().map(ScriptsTar.Script::entryName).toList());
  }

  @Test
  void realTriggersRoundTripAndAnUpgradeReplacesTheLine() throws IOException {
    String oldText = text(db(OLD).get("./lib/apk/db/triggers"));
    String newText = text(db(NEW).get("./lib/apk/db/triggers"));
    TriggersFile old = TriggersFile.parse(oldText, OLD);
    assertEquals(oldText, old.write());
    TriggersFile fresh = TriggersFile.parse(newText, NEW);
    assertEquals(newText, fresh.write());
    TriggersFile.Entry busybox = fresh.entries().get(0);
    assertEquals(List.of("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/lib/modules/*"), busybox.globs());
    assertEquals(newText, old.replace(List.of(old.entries().get(0).checksum()), List.of(busybox)).write());
    assertEquals(List.of("/bin", "/usr/bin"), TriggersFile.globs(PkgInfo.parse("triggers = /bin  /usr/bin\n", "t")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TriggersFile.parse("nonsense /bin\n", "triggers"));
    assertTrue(e.getMessage().startsWith("triggers line 1: "), e.getMessage());
  }
}
