package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.hostile.HostileRun.HELLO_1;
import static dev.imagepatch.patch.hostile.HostileRun.assertRefused;
import static dev.imagepatch.patch.hostile.HostileRun.report;
import static dev.imagepatch.patch.hostile.HostileRun.serving;

import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Packages and images whose paths would leave the root, or write through a symlink: refused as dpkg refuses them. */
class HostilePathsTest {
  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();

  @Test
  void aDataEntryWithDotDotIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64").rawFile("./../../../tmp/x", "pwned\n");
    assertRefused(work, serving(repo, "dotdot", evil), report("1.0-2"), "hello", "../../../tmp/x");
  }

  @Test
  void aHardLinkToOutsideTheRootIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64").rawHardlink("./usr/bin/hello2", "../../../etc/shadow");
    assertRefused(work, serving(repo, "hardlink-out", evil), report("1.0-2"), "hello", "../../../etc/shadow");
  }

  @Test
  void aHardLinkToAFileNeitherThePackageNorTheImageHasIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64").rawHardlink("./usr/bin/hello2", "./etc/nowhere");
    assertRefused(work, serving(repo, "hardlink-nowhere", evil), report("1.0-2"), "hello", "etc/nowhere");
  }

  @Test
  void aFileUnderTheSymlinkThePackageJustMadeIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64").rawSymlink("./usr/lib/x", "/etc")
        .rawFile("./usr/lib/x/shadow", "root::0:0:99999:7:::\n");
    assertRefused(work, serving(repo, "through-symlink", evil), report("1.0-2"), "hello", "usr/lib/x/shadow",
        "usr/lib/x");
  }

  @Test
  void aFileNameWithANewlineIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64").rawFile("./usr/share/doc/x\n/etc/shadow", "x\n");
    assertRefused(work, serving(repo, "newline-name", evil), report("1.0-2"), "hello", "control character");
  }

  /** The record of an invalid name is passed over as apt passes it, so the dependency on it is unmet. */
  @Test
  void aPackageNameWithSlashesIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.deb("../../../../tmp/pwn", "1.0-1", "amd64").file("/usr/share/pwn", "x\n");
    DebBuilder hello = DebBuilder.hello("1.0-2", "amd64").depends("../../../../tmp/pwn");
    repo.publish("name-slash", hello, evil);
    assertRefused(work, FixtureImages.debian("amd64", repo, "name-slash", HELLO_1), report("1.0-2"),
        "../../../../tmp/pwn", "no installed package or candidate meets");
  }

  @Test
  void aBaseFileListThatLeavesTheRootIsRefused() throws Exception {
    // The old version's list names a path outside the root: removing it on upgrade would write the
    // whiteout ../../../tmp/.wh.victim. The list is refused whether or not the path exists.
    FixtureImages.Spec image = serving(repo, "base-list", DebBuilder.hello("1.0-2", "amd64"))
        .file("var/lib/dpkg/info/hello.list", "/.\n/usr\n/usr/bin\n/usr/bin/hello\n/../../../tmp/victim\n");
    assertRefused(work, image, report("1.0-2"), "var/lib/dpkg/info/hello.list", "../../../tmp/victim");
  }

  @Test
  void aBaseLayerEntryThatLeavesTheRootIsRefused() throws Exception {
    FixtureImages.Spec image = serving(repo, "base-entry", DebBuilder.hello("1.0-2", "amd64"))
        .file("../../../tmp/victim", "victim\n");
    assertRefused(work, image, report("1.0-2"), "layer 1 of 1", "../../../tmp/victim", "leaves the root");
  }
}
