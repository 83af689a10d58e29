package dev.imagepatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/** {@code --timeout}, Copa's wall-clock limit, stops a real patch blocked on a silent package mirror. */
class PatchTimeoutTest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @TempDir
  Path work;

  @Test
  void aPatchBlockedOnASilentMirrorIsStoppedAtTheTimeoutAndTagsNothing() throws Exception {
    try (ServerSocket mirror = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // Accepts every connection and never answers: the Release file never comes.
      List<Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(mirror.accept());
          }
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();

      Path rootfs = Files.createDirectories(work.resolve("rootfs"));
      Files.createDirectories(rootfs.resolve("etc/apt"));
      Files.createDirectories(rootfs.resolve("var/lib/dpkg"));
      Files.writeString(rootfs.resolve("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
      Files.writeString(rootfs.resolve("etc/apt/sources.list"),
          "deb http://127.0.0.1:" + mirror.getLocalPort() + "/debian bookworm main\n");
      Files.writeString(rootfs.resolve("var/lib/dpkg/status"), "Package: zlib1g\nStatus: install ok installed\n"
          + "Architecture: amd64\nVersion: 1:1.2.13.dfsg-1\n\n");
      OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
      DebianDemo.image(rootfs, layout, "base", "amd64", 1_700_000_000L);
      String image = registry.host() + "/timeout/app:12";
      ImageCopier.create(2, new ImageCopier.Listener() {}).copy(layout, "base",
          registry.client().repository("timeout/app"), "12");
      Path report = DebianDemo.trivyReport(work.resolve("report.json"), image, "debian", "12", "amd64",
          List.of(new DebianDemo.Upgrade("zlib1g", "1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1")));

      CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliRun.of("patch", "-i", image, "-r",
          report.toString(), "--push", "--timeout", "5s", "--cache", work.resolve("cache").toString(),
          "--keyring", "/usr/share/keyrings/debian-archive-keyring.gpg"));
      assertEquals(1, r.code(), r.out() + r.err());
      assertTrue(r.err().contains("the patch exceeded its timeout of 5s and was stopped; the image's tag was not"
          + " written"), r.err());
      assertFalse(held.isEmpty(), "the patch reached the mirror");
      assertTrue(registry.client().headManifest("timeout/app", "12-patched").isEmpty());
    }
  }

  @Test
  void durationsAreReadAsCopaReadsThem() {
    GoDuration go = new GoDuration();
    assertEquals(Duration.ofMinutes(5), go.convert("5m"));
    assertEquals(Duration.ofMinutes(90), go.convert("1h30m"));
    assertEquals(Duration.ofMinutes(90), go.convert("1.5h"));
    assertEquals(Duration.ofMillis(300), go.convert("300ms"));
    assertEquals(Duration.ofSeconds(3605), go.convert("1h0m5s"));
    for (String bad : List.of("", "10", "5x", "m", "-5m", "0s", "1h 30m")) {
      assertThrows(TypeConversionException.class, () -> go.convert(bad), bad);
    }
  }

  @Test
  void aBadTimeoutIsACommandLineError() {
    CliRun r = CliRun.of("patch", "-i", "localhost:1/x:1", "--dry-run", "--timeout", "10");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'10' is not a duration such as 30s, 10m or 1h30m"), r.err());
  }
}
