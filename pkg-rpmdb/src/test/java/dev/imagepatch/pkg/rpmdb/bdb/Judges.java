package dev.imagepatch.pkg.rpmdb.bdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The tools that judge these files (libdb 5.3's utilities, rpm, sqlite3), run as processes. */
final class Judges {
  private Judges() {}

  record Result(int exit, String out, String err) {
    Result ok(String what) {
      assertEquals(0, exit, what + " failed: " + err + out);
      return this;
    }
  }

  /** The tool's path; skips the test when it is missing, fails it under CI=true. */
  static String require(String tool) {
    return dev.imagepatch.testing.Judges.require(tool).toString();
  }

  static Result run(List<String> command, byte[] stdin) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().put("LC_ALL", "C");
      pb.environment().put("TZ", "UTC");
      Process p = pb.start();
      CompletableFuture<byte[]> out = drain(p.getInputStream());
      CompletableFuture<byte[]> err = drain(p.getErrorStream());
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return fail(command + " timed out");
      }
      return new Result(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
          new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Result run(String... command) {
    return run(List.of(command), null);
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** {@code db5.3_verify} on a file, outside any environment; fails the test with libdb's words. */
  static void verify(Path file) {
    Result r = run(require("db5.3_verify"), "-q", file.toString());
    assertEquals(0, r.exit(), "db5.3_verify " + file + ": " + r.err() + r.out());
    assertEquals("", r.err().strip(), "db5.3_verify " + file + " complained");
  }

  /** The key/data pairs {@code db5.3_dump -p} prints, decoded. */
  static List<byte[][]> dump(Path file) {
    Result r = run(require("db5.3_dump"), "-p", file.toString()).ok("db5.3_dump " + file);
    List<byte[][]> pairs = new ArrayList<>();
    boolean data = false;
    byte[] key = null;
    for (String line : r.out().split("\n", -1)) {
      if (!data) {
        data = line.equals("HEADER=END");
        continue;
      }
      if (line.equals("DATA=END")) {
        break;
      }
      byte[] b = unprint(line.substring(1));
      if (key == null) {
        key = b;
      } else {
        pairs.add(new byte[][] {key, b});
        key = null;
      }
    }
    return pairs;
  }

  private static byte[] unprint(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] in = s.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '\\') {
        if (in[i + 1] == '\\') {
          out.write('\\');
          i++;
        } else {
          out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
          i += 2;
        }
      } else {
        out.write(in[i]);
      }
    }
    return out.toByteArray();
  }

  /** Input for {@code db5.3_load} in the bytevalue format: each pair as hex lines. */
  static byte[] loadInput(String type, List<byte[][]> pairs) {
    return loadInput(type, "", pairs);
  }

  /** The same with extra header lines such as {@code db_lorder=4321\n}. */
  static byte[] loadInput(String type, String headerLines, List<byte[][]> pairs) {
    StringBuilder sb = new StringBuilder("VERSION=3\nformat=bytevalue\ntype=" + type + "\n" + headerLines + "HEADER=END\n");
    for (byte[][] p : pairs) {
      sb.append(' ').append(java.util.HexFormat.of().formatHex(p[0])).append('\n');
      sb.append(' ').append(java.util.HexFormat.of().formatHex(p[1])).append('\n');
    }
    sb.append("DATA=END\n");
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** rpm 4.18 reading {@code dir} with its read-only Berkeley DB backend. */
  static Result rpm(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of(require("rpm"), "--define", "_db_backend bdb_ro",
        "--dbpath", dir.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    return run(cmd, null);
  }
}
