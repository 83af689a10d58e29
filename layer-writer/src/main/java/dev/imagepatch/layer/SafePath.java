package dev.imagepatch.layer;

import java.io.IOException;
import java.util.Optional;

/**
 * The one path discipline of every package family and of the layer writer: a path from a package,
 * a package database or a base layer is normalized once (an absolute path is taken relative to the
 * root, {@code ./} and empty components removed), and refused when it has a {@code ..} component,
 * a NUL, newline, carriage return or other control character, as dpkg refuses such names.
 */
public final class SafePath {
  private SafePath() {}

  /** A path refused by the discipline; the message names the path (control characters escaped) and why. */
  public static final class UnsafePathException extends IOException {
    public UnsafePathException(String message) {
      super(message);
    }
  }

  /** The normalized form of {@code path}: relative to the root, no "./", no empty components, no trailing "/". */
  public static String normalize(String path) {
    StringBuilder out = new StringBuilder(path.length());
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }

  /**
   * Why {@code path} is refused, if it is: a ".." component, a NUL, or a line end (which would
   * break dpkg's file lists). Other control characters are allowed, as dpkg allows them.
   */
  public static Optional<String> problem(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == 0) {
        return Optional.of("has a NUL character");
      }
      if (c == '\n' || c == '\r') {
        return Optional.of("has a newline or carriage return (control character)");
      }
    }
    for (String part : path.split("/")) {
      if (part.equals("..")) {
        return Optional.of("has a '..' component, which would leave the root");
      }
    }
    return Optional.empty();
  }

  /** The normalized path; refused when {@link #problem} finds one. */
  public static String relative(String path) throws UnsafePathException {
    Optional<String> problem = problem(path);
    if (problem.isPresent()) {
      throw new UnsafePathException(printable(path) + ": " + problem.get());
    }
    return normalize(path);
  }

  /** The path with control characters escaped, for messages. */
  public static String printable(String path) {
    StringBuilder out = new StringBuilder();
    for (char c : path.toCharArray()) {
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
