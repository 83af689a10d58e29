package dev.imagepatch.pkg.rpm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * The judges (rpm, rpm2cpio, cpio, sqlite3) run from tests: a missing tool skips the test
 * locally and fails it under {@code CI=true}, as SharedData does for missing files.
 */
final class Tools {
  private Tools() {}

  static void require(String tool) {
    dev.imagepatch.testing.Judges.require(tool);
  }

  /** stdout of the command (which must exit 0), stderr discarded into the failure message. */
  static byte[] run(List<String> command) throws IOException, InterruptedException {
    return run(command, null);
  }

  static byte[] run(List<String> command, Path dir) throws IOException, InterruptedException {
    require(command.get(0));
    ProcessBuilder pb = new ProcessBuilder(command);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    Path err = Files.createTempFile("tool-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      Assertions.fail(command + " timed out");
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    Files.deleteIfExists(err);
    if (p.exitValue() != 0) {
      Assertions.fail(command + " exited " + p.exitValue() + ": " + stderr);
    }
    return out.toByteArray();
  }

  static String text(List<String> command) throws IOException, InterruptedException {
    return new String(run(command), StandardCharsets.UTF_8);
  }
}
