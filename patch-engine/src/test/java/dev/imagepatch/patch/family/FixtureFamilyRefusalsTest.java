package dev.imagepatch.patch.family;

import static dev.imagepatch.patch.family.FixtureOs.pkg;
import static dev.imagepatch.patch.family.FixtureOs.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the pipeline and the fixture family refuse, naming why and writing nothing. */
class FixtureFamilyRefusalsTest {
  @TempDir
  Path work;

  /** Patches the image tagged 1 of {@code source} without a report; returns the refusal. */
  String refusal(OciLayout source) throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("target"));
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(
        PatchRequest.builder(source, "1").target(target, "1-patched").build()));
    assertEquals(before, FixtureImages.snapshot(target), "nothing written");
    return e.getMessage();
  }

  @Test
  void anImageOfNeitherFamilyNamesWhatEachBackendLooksFor() throws Exception {
    OciLayout source = OciLayout.openOrCreate(work.resolve("source"));
    // Gentoo's portage database: no family here patches it.
    FixtureImages.image(source, "1", "amd64", Map.of("etc/os-release", utf8("ID=gentoo\nPRETTY_NAME=Gentoo\n"),
        "var/db/pkg/sys-libs/musl-1.2.4/CONTENTS", utf8("obj /lib/libc.so 0 0\n")));

    String message = refusal(source);
    assertTrue(message.contains("no package backend recognizes the image (Gentoo)")
        && message.contains("/var/lib/dpkg/status") && message.contains("/lib/apk/db/installed")
        && message.contains("/var/lib/fixture/installed"), message);
  }

  @Test
  void aPackageThatDoesNotMatchItsIndexIsRefused() throws Exception {
    Path repo = work.resolve("repo");
    FixtureOs.publish(repo, "amd64", pkg("hello", "1.1", "amd64"));
    Path tar = repo.resolve("x86_64/hello-1.1.tar");
    Files.write(tar, pkg("hello", "1.1", "amd64", "usr/bin/backdoor").tar());
    OciLayout source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureOs.image(source, "1", "amd64", repo, pkg("hello", "1.0", "amd64"));

    String message = refusal(source);
    assertTrue(message.contains(tar + ": SHA-256 does not match the index"), message);
  }
}
