package dev.imagepatch.patch.hostile;

import static dev.imagepatch.patch.hostile.HostileRun.assertRefused;
import static dev.imagepatch.patch.hostile.HostileRun.report;
import static dev.imagepatch.patch.hostile.HostileRun.serving;

import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Packages that would leave a dpkg database dpkg itself refuses: refused before anything is written. */
class HostileDatabaseTest {
  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();

  @Test
  void aCarriageReturnInTheControlFileIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64");
    evil.controlInDeb(evil.control().replace("Version: 1.0-2\n", "Version: 1.0-2\rPackage: evil\n"));
    assertRefused(work, serving(repo, "carriage-return", evil), report("1.0-2"), "hello", "carriage return");
  }

  @Test
  void aControlNamingAnotherPackageIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64");
    evil.controlInDeb(evil.control().replace("Package: hello\n", "Package: openssl\n"));
    assertRefused(work, serving(repo, "other-name", evil), report("1.0-2"), "hello", "openssl", "Package");
  }

  @Test
  void aControlWithAnotherVersionIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64");
    evil.controlInDeb(evil.control().replace("Version: 1.0-2\n", "Version: 9.9-9\n"));
    assertRefused(work, serving(repo, "other-version", evil), report("1.0-2"), "hello", "9.9-9", "Version");
  }

  @Test
  void aControlWithAnArchitectureThatLeavesTheInfoDirectoryIsRefused() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64");
    evil.controlInDeb(evil.control().replace("Architecture: amd64\n", "Architecture: ../../../tmp/x\nMulti-Arch: same\n"));
    assertRefused(work, serving(repo, "arch-slash", evil), report("1.0-2"), "hello", "../../../tmp/x", "Architecture");
  }

  /** A version dpkg refuses (its epoch is no number) is bad input: a failed patch (exit 1), never a usage error. */
  @Test
  void anInvalidVersionInThePackageIsAPatchFailure() throws Exception {
    DebBuilder evil = DebBuilder.hello("1.0-2", "amd64");
    evil.controlInDeb(evil.control().replace("Version: 1.0-2\n", "Version: x:1.0-2\n"));
    assertRefused(work, serving(repo, "bad-version", evil), report("1.0-2"), "hello", "x:1.0-2");
  }

  /** An index record dpkg would refuse is passed over, as apt does: nothing can resolve to it. */
  @Test
  void anInvalidVersionInTheIndexLeavesNoCandidate() throws Exception {
    assertRefused(work, serving(repo, "bad-index-version", DebBuilder.hello("x:1.0-2", "amd64")), report("1.0-2"),
        "hello", "1.0-2");
  }
}
