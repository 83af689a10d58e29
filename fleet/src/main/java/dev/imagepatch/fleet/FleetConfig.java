package dev.imagepatch.fleet;

import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.FailsafeSchema;

/**
 * A fleet: Copa's {@code PatchConfig} ({@code apiVersion: copa.sh/v1alpha1}) read unchanged, or the
 * seed's plain list, one {@code REGISTRY/REPO:TAG} a line with {@code #} comments (tagged
 * {@code TAG-patched-YYYYMMDD}, as the seed's CronJob does).
 */
public final class FleetConfig {
  /**
   * One entry of {@code images}.
   *
   * @param image the source repository, {@code REGISTRY/REPO} without a tag
   * @param platforms the platforms to patch; empty: every Linux platform
   * @param targetRegistry where patched images go, Copa's {@code target.registry}: a registry or
   *     {@code REGISTRY/NAMESPACE}, to which the source's last path element is appended; empty: the source repository
   */
  public record ImageSpec(String name, String image, TagStrategy tags, List<Platform> platforms,
      Optional<String> targetRegistry, TagTemplate targetTag) {
    public ImageSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(image, "image");
      platforms = List.copyOf(platforms);
    }

    /** The repository the patched tags of {@code source} go to. */
    public ImageReference target(ImageReference source) {
      if (targetRegistry.isEmpty()) {
        return source;
      }
      String t = targetRegistry.get().replaceAll("/+$", "");
      String last = source.repository().substring(source.repository().lastIndexOf('/') + 1);
      // Copa: a target that already ends with the image's name is the repository itself.
      String repo = t.endsWith("/" + last) ? t : t + "/" + last;
      ImageReference parsed = ImageReference.parse(repo + ":" + source.tag().orElse("latest"));
      return parsed;
    }
  }

  private final String source;
  private final List<ImageSpec> images;

  private FleetConfig(String source, List<ImageSpec> images) {
    this.source = source;
    this.images = List.copyOf(images);
  }

  public static FleetConfig of(String source, List<ImageSpec> images) {
    return new FleetConfig(source, images);
  }

  /** Reads {@code file}: a PatchConfig when it has a {@code kind:} or {@code apiVersion:} line, else a plain list. */
  public static FleetConfig read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /** Parses {@code text}; errors name {@code source} and the field or line. */
  public static FleetConfig parse(String text, String source) {
    boolean yaml = text.lines().anyMatch(l -> l.startsWith("apiVersion:") || l.startsWith("kind:"));
    return yaml ? patchConfig(text, source) : plainList(text, source);
  }

  public String source() {
    return source;
  }

  public List<ImageSpec> images() {
    return images;
  }

  private static FleetConfig plainList(String text, String source) {
    List<ImageSpec> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String entry = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (entry.isEmpty()) {
        continue;
      }
      String where = source + ":" + (i + 1);
      if (entry.contains("@")) {
        throw new IllegalArgumentException(where + ": " + entry + " is pinned by digest; the list needs REGISTRY/REPO:TAG");
      }
      ImageReference ref;
      try {
        ref = ImageReference.parse(entry);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      String name = ref.registry() + "/" + ref.repository();
      int slash = entry.lastIndexOf('/');
      if (entry.indexOf(':', slash + 1) < 0) {
        throw new IllegalArgumentException(where + ": " + entry + " names no tag; the list needs REGISTRY/REPO:TAG");
      }
      out.add(new ImageSpec(ref.repository() + ":" + ref.tag().orElseThrow(), name,
          TagStrategy.list(List.of(ref.tag().orElseThrow())), List.of(), Optional.empty(), TagTemplate.DATED));
    }
    return new FleetConfig(source, out);
  }

  private static FleetConfig patchConfig(String text, String source) {
    Object doc;
    try {
      doc = new Load(LoadSettings.builder().setSchema(new FailsafeSchema()).setLabel(source).build()).loadFromString(text);
    } catch (YamlEngineException e) {
      throw new IllegalArgumentException(source + ": not YAML: " + e.getMessage(), e);
    }
    Map<?, ?> root = map(doc, source, "the document");
    String api = string(root, "apiVersion", source, "");
    if (!api.equals("copa.sh/v1alpha1")) {
      throw new IllegalArgumentException(source + ": apiVersion " + api + " is not copa.sh/v1alpha1");
    }
    String kind = string(root, "kind", source, "");
    if (!kind.equals("PatchConfig")) {
      throw new IllegalArgumentException(source + ": kind " + kind + " is not PatchConfig");
    }
    Map<?, ?> target = root.get("target") == null ? Map.of() : map(root.get("target"), source, "target");
    Optional<String> registry = Optional.ofNullable((String) scalar(target.get("registry"), source, "target.registry"));
    TagTemplate tag = template(target, source, "target.tag", TagTemplate.COPA_DEFAULT);
    Object list = root.get("images");
    if (!(list instanceof List<?> images)) {
      throw new IllegalArgumentException(source + ": images: a list of images is needed");
    }
    List<ImageSpec> out = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      String at = "images[" + i + "]";
      Map<?, ?> e = map(images.get(i), source, at);
      String image = string(e, "image", source + ": " + at, null);
      if (image.contains("@")) {
        throw new IllegalArgumentException(source + ": " + at + ".image " + image + ": a repository, not a digest");
      }
      ImageReference ref = ImageReference.parse(image);
      if (image.substring(image.lastIndexOf('/') + 1).contains(":")) {
        throw new IllegalArgumentException(source + ": " + at + ".image " + image
            + " has a tag; tags come from tags.strategy");
      }
      String name = e.get("name") == null ? ref.repository() : (String) scalar(e.get("name"), source, at + ".name");
      TagStrategy strategy = strategy(e.get("tags"), source, at + ".tags");
      List<Platform> platforms = new ArrayList<>();
      if (e.get("platforms") instanceof List<?> ps) {
        for (Object p : ps) {
          platforms.add(Platform.parse((String) scalar(p, source, at + ".platforms")));
        }
      }
      Optional<String> reg = registry;
      TagTemplate t = tag;
      if (e.get("target") != null) {
        Map<?, ?> own = map(e.get("target"), source, at + ".target");
        if (own.get("registry") != null) {
          reg = Optional.of((String) scalar(own.get("registry"), source, at + ".target.registry"));
        }
        t = template(own, source, at + ".target.tag", tag);
      }
      out.add(new ImageSpec(name, ref.registry() + "/" + ref.repository(), strategy, platforms, reg, t));
    }
    return new FleetConfig(source, out);
  }

  private static TagStrategy strategy(Object node, String source, String at) {
    if (node == null) {
      throw new IllegalArgumentException(source + ": " + at + ": missing (strategy list, pattern or latest)");
    }
    Map<?, ?> tags = map(node, source, at);
    String s = string(tags, "strategy", source + ": " + at, null);
    Set<String> exclude = new LinkedHashSet<>(strings(tags.get("exclude"), source, at + ".exclude"));
    int max = 0;
    if (tags.get("maxTags") != null) {
      try {
        max = Integer.parseInt((String) scalar(tags.get("maxTags"), source, at + ".maxTags"));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(source + ": " + at + ".maxTags: not a number: " + tags.get("maxTags"));
      }
    }
    return switch (s) {
      case "list" -> {
        List<String> l = strings(tags.get("list"), source, at + ".list");
        if (l.isEmpty()) {
          throw new IllegalArgumentException(source + ": " + at + ".list: strategy list needs tags");
        }
        yield TagStrategy.list(l);
      }
      case "pattern" -> {
        String p = string(tags, "pattern", source + ": " + at, null);
        try {
          yield TagStrategy.pattern(p, max, exclude);
        } catch (PatternSyntaxException ex) {
          throw new IllegalArgumentException(source + ": " + at + ".pattern: " + ex.getDescription() + ": " + p);
        }
      }
      case "latest" -> TagStrategy.latest(exclude);
      default -> throw new IllegalArgumentException(source + ": " + at + ".strategy " + s
          + " is not list, pattern or latest");
    };
  }

  private static TagTemplate template(Map<?, ?> m, String source, String at, TagTemplate dflt) {
    Object t = m.get("tag");
    if (t == null) {
      return dflt;
    }
    try {
      return TagTemplate.parse((String) scalar(t, source, at));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + at + ": " + e.getMessage(), e);
    }
  }

  private static Map<?, ?> map(Object o, String source, String at) {
    if (!(o instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(source + ": " + at + ": a mapping is needed");
    }
    return m;
  }

  private static Object scalar(Object o, String source, String at) {
    if (o != null && !(o instanceof String)) {
      throw new IllegalArgumentException(source + ": " + at + ": a string is needed");
    }
    return o;
  }

  private static String string(Map<?, ?> m, String key, String where, String dflt) {
    Object o = m.get(key);
    if (o == null) {
      if (dflt != null) {
        return dflt;
      }
      throw new IllegalArgumentException(where + "." + key + ": missing");
    }
    return (String) scalar(o, where, key);
  }

  private static List<String> strings(Object o, String source, String at) {
    if (o == null) {
      return List.of();
    }
    if (!(o instanceof List<?> l)) {
      throw new IllegalArgumentException(source + ": " + at + ": a list is needed");
    }
    List<String> out = new ArrayList<>();
    for (Object x : l) {
      out.add((String) scalar(x, source, at));
    }
    return out;
  }
}
