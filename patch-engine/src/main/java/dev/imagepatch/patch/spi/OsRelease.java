package dev.imagepatch.patch.spi;

import dev.imagepatch.layer.MergedFilesystem;
import java.nio.charset.StandardCharsets;

/**
 * The image's {@code /etc/os-release} (else {@code /usr/lib/os-release}): who the image says it is.
 * Empty fields when the image has neither, as distroless images may not.
 */
public record OsRelease(String id, String idLike, String versionId, String prettyName) {
  /** The paths it is read from, for {@link ImageNeeds}. */
  public static final ImageNeeds NEEDS = new ImageNeeds(
      p -> p.equals("etc/os-release") || p.equals("usr/lib/os-release"), p -> false, p -> false);

  public static OsRelease of(MergedFilesystem image) {
    String text = image.content("etc/os-release").or(() -> image.content("usr/lib/os-release"))
        .map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    return new OsRelease(field(text, "ID"), field(text, "ID_LIKE"), field(text, "VERSION_ID"),
        field(text, "PRETTY_NAME"));
  }

  /** Whether the image says nothing of itself. */
  public boolean isEmpty() {
    return id.isEmpty();
  }

  /** Whether the image is {@code id} or like it ({@code ID_LIKE}). */
  public boolean is(String other) {
    return id.equals(other) || java.util.Arrays.asList(idLike.split("\\s+")).contains(other);
  }

  private static String field(String osRelease, String name) {
    for (String line : osRelease.split("\n")) {
      if (line.startsWith(name + "=")) {
        return line.substring(name.length() + 1).replaceAll("^\"|\"$", "").strip();
      }
    }
    return "";
  }
}
