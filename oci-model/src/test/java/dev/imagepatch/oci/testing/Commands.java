package dev.imagepatch.oci.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real tools tests compare against (skopeo, umoci, ...); a missing tool fails the test. */
public final class Commands {
  private Commands() {}

  /** Runs a command and returns its standard output; a non-zero exit fails with its stderr. */
  public static byte[] run(String... command) throws IOException, InterruptedException {
    require(command[0]);
    Path err = Files.createTempFile("imagepatch-cmd-", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 5 minutes");
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": "
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }

  public static String runText(String... command) throws IOException, InterruptedException {
    return new String(run(command), StandardCharsets.UTF_8);
  }

  private static void require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return;
      }
    }
    throw new IllegalStateException(tool + " is not installed; scripts/test installs the Debian packages"
        + " the tests use (" + List.of("docker-registry", "skopeo", "umoci") + ")");
  }
}
