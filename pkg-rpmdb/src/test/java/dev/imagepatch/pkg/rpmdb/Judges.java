package dev.imagepatch.pkg.rpmdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * The judges (rpm, rpmbuild, sqlite3) run from tests: a missing tool skips the test locally and
 * fails it under {@code CI=true}, as SharedData does for missing files.
 */
final class Judges {
  private Judges() {}

  static void require(String tool) {
    dev.imagepatch.testing.Judges.require(tool);
  }

  /** The command's stdout; it must exit 0 (stderr goes into the failure message). */
  static String run(String... command) throws IOException, InterruptedException {
    Result r = exec(List.of(command));
    if (r.exit != 0) {
      Assertions.fail(List.of(command) + " exited " + r.exit + ": " + r.err);
    }
    return r.out;
  }

  record Result(int exit, String out, String err) {}

  static Result exec(List<String> command) throws IOException, InterruptedException {
    require(command.get(0));
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
    pb.environment().put("LC_ALL", "C");
    Path err = Files.createTempFile("judge-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      Assertions.fail(command + " timed out");
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    Files.deleteIfExists(err);
    return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), stderr);
  }
}
