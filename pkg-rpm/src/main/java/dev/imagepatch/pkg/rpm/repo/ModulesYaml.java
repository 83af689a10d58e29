package dev.imagepatch.pkg.rpm.repo;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.FailsafeSchema;

/**
 * A repository's {@code modules.yaml}: the module streams ({@code modulemd} v2 documents) with
 * the packages each is made of, and the default streams ({@code modulemd-defaults} v1). Enough
 * to filter modular packages as dnf does: a package of a module stream is visible only when that
 * stream is active (enabled, or the module's default and the module not disabled), and a
 * non-modular package of the same name as a package of an active stream is hidden by it.
 * Documents are loaded one at a time (YAML 1.2, failsafe schema: every scalar a string, so
 * streams such as {@code 10.10} keep their text); other document kinds (obsoletes,
 * translations) are passed over.
 */
public final class ModulesYaml {
  /** The largest YAML document read: real ones are tens of KiB. */
  static final int DOCUMENT_LIMIT = 16 << 20;

  /**
   * One {@code modulemd} v2 document: a build of a module stream.
   *
   * @param artifacts the packages it is made of, as {@code name-epoch:version-release.arch}
   */
  public record ModuleStream(String name, String stream, long version, String context, String arch,
      List<String> artifacts, Map<String, List<String>> profiles) {
    /** {@code name:stream}. */
    public String id() {
      return name + ":" + stream;
    }
  }

  /** One {@code modulemd-defaults} v1 document; {@code stream} null when the module has no default stream. */
  public record Defaults(String module, String stream, Map<String, List<String>> profiles) {}

  private final List<ModuleStream> streams;
  private final Map<String, Defaults> defaults;
  /** artifact NEVRA -> the streams (name:stream) that list it. */
  private final Map<String, Set<String>> byArtifact = new HashMap<>();

  private ModulesYaml(List<ModuleStream> streams, Map<String, Defaults> defaults) {
    this.streams = List.copyOf(streams);
    this.defaults = Map.copyOf(defaults);
    for (ModuleStream s : streams) {
      for (String a : s.artifacts()) {
        byArtifact.computeIfAbsent(a, k -> new HashSet<>(2)).add(s.id());
      }
    }
  }

  /** Reads the modules file repomd's {@code data} entry names, verified as {@link MetadataFile} does. */
  public static ModulesYaml read(Repomd.Data data, InputStream stored, String source) throws IOException {
    try (InputStream content = MetadataFile.open(data, stored, source)) {
      ModulesYaml m = read(content, source);
      content.transferTo(java.io.OutputStream.nullOutputStream());
      return m;
    }
  }

  /** Reads decompressed modules YAML (nothing verified). */
  public static ModulesYaml read(InputStream content, String source) throws IOException {
    // An empty document ("---" alone, or "--- !!null") is a null node, and the failsafe schema has no
    // constructor for it: snakeyaml-engine 2.10 then throws a NullPointerException (found by
    // RepoMetadataFuzzTest). Null is what such a document is, and the loop below passes it over.
    LoadSettings settings = LoadSettings.builder().setSchema(new FailsafeSchema()).setAllowDuplicateKeys(false)
        .setTagConstructors(Map.of(Tag.NULL, node -> null))
        .setCodePointLimit(DOCUMENT_LIMIT).setLabel(source).build();
    List<ModuleStream> streams = new ArrayList<>();
    Map<String, Defaults> defaults = new LinkedHashMap<>();
    int index = 0;
    try {
      for (Object doc : new Load(settings).loadAllFromInputStream(content)) {
        index++;
        dev.imagepatch.pkg.io.Bounded.checkInterrupted(source);
        if (!(doc instanceof Map<?, ?> m)) {
          continue; // an empty document
        }
        String where = source + " (document " + index + ")";
        String kind = string(m.get("document"));
        String version = string(m.get("version"));
        Map<?, ?> data = m.get("data") instanceof Map<?, ?> d ? d : Map.of();
        if ("modulemd".equals(kind) && "2".equals(version)) {
          streams.add(stream(data, where));
        } else if ("modulemd-defaults".equals(kind) && "1".equals(version)) {
          String module = require(data, "module", where);
          defaults.put(module, new Defaults(module, string(data.get("stream")), profiles(data.get("profiles"))));
        }
      }
    } catch (YamlEngineException e) {
      throw new IOException(source + ": malformed modules YAML (document " + (index + 1) + "): " + e.getMessage(),
          e);
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
    return new ModulesYaml(streams, defaults);
  }

  private static ModuleStream stream(Map<?, ?> data, String where) throws IOException {
    String name = require(data, "name", where);
    String stream = require(data, "stream", where);
    long version;
    try {
      version = Long.parseLong(require(data, "version", where));
    } catch (NumberFormatException e) {
      throw new IOException(where + ": module " + name + ":" + stream + " has a version that is not a number");
    }
    List<String> artifacts = List.of();
    if (data.get("artifacts") instanceof Map<?, ?> a) {
      artifacts = strings(a.get("rpms"));
    }
    Map<String, List<String>> profiles = new LinkedHashMap<>();
    if (data.get("profiles") instanceof Map<?, ?> p) {
      for (Map.Entry<?, ?> e : p.entrySet()) {
        if (e.getValue() instanceof Map<?, ?> profile) {
          profiles.put(String.valueOf(e.getKey()), strings(profile.get("rpms")));
        }
      }
    }
    return new ModuleStream(name, stream, version, string(data.get("context")), string(data.get("arch")),
        artifacts, Map.copyOf(profiles));
  }

  private static Map<String, List<String>> profiles(Object o) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(String.valueOf(e.getKey()), strings(e.getValue()));
      }
    }
    return Map.copyOf(out);
  }

  private static List<String> strings(Object o) {
    if (!(o instanceof List<?> l)) {
      return List.of();
    }
    List<String> out = new ArrayList<>(l.size());
    for (Object x : l) {
      if (x instanceof String s) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  private static String string(Object o) {
    return o instanceof String s ? s : null;
  }

  private static String require(Map<?, ?> data, String key, String where) throws IOException {
    String v = string(data.get(key));
    if (v == null || v.isBlank()) {
      throw new IOException(where + ": no data." + key);
    }
    return v;
  }

  /** Every module stream build, in document order. */
  public List<ModuleStream> streams() {
    return streams;
  }

  /** The builds of a module stream (several versions and contexts may be listed). */
  public List<ModuleStream> streams(String module, String stream) {
    return streams.stream().filter(s -> s.name().equals(module) && s.stream().equals(stream)).toList();
  }

  /** The defaults documents by module name. */
  public Map<String, Defaults> defaults() {
    return defaults;
  }

  /** The module's default stream, when its defaults document names one. */
  public Optional<String> defaultStream(String module) {
    Defaults d = defaults.get(module);
    return d == null ? Optional.empty() : Optional.ofNullable(d.stream());
  }

  /** The streams ({@code name:stream}) whose artifacts list the package. */
  public Set<String> streamsOf(RpmRecord r) {
    Set<String> s = byArtifact.get(r.nevra());
    return s == null ? Set.of() : Set.copyOf(s);
  }

  /** Whether a module stream lists the package: it is then visible only while that stream is active. */
  public boolean isModular(RpmRecord r) {
    return byArtifact.containsKey(r.nevra());
  }

  /**
   * The streams dnf would make active: those {@code enabled} names (module -> stream, e.g. from
   * the image's {@code /etc/dnf/modules.d}), else each module's default stream unless the module
   * is in {@code disabled}.
   */
  public Set<String> activeStreams(Map<String, String> enabled, Set<String> disabled) {
    Set<String> active = new HashSet<>();
    Set<String> modules = new HashSet<>();
    streams.forEach(s -> modules.add(s.name()));
    for (String module : modules) {
      String stream = enabled.get(module);
      if (stream == null && !disabled.contains(module)) {
        stream = defaultStream(module).orElse(null);
      }
      if (stream != null) {
        active.add(module + ":" + stream);
      }
    }
    return active;
  }

  /**
   * dnf's modular filtering as a predicate over primary's packages: a modular package is visible
   * when one of its streams is active; a non-modular package is hidden when an active stream
   * carries a package of the same name (its builds replace the distribution's).
   */
  public Predicate<RpmRecord> visible(Map<String, String> enabled, Set<String> disabled) {
    Set<String> active = activeStreams(enabled, disabled);
    Set<String> activeNames = new HashSet<>();
    for (ModuleStream s : streams) {
      if (active.contains(s.id())) {
        for (String a : s.artifacts()) {
          activeNames.add(nameOf(a));
        }
      }
    }
    return r -> {
      Set<String> of = byArtifact.get(r.nevra());
      if (of != null) {
        return of.stream().anyMatch(active::contains);
      }
      return !activeNames.contains(r.name());
    };
  }

  /** The name of a {@code name-epoch:version-release.arch}. */
  static String nameOf(String nevra) {
    int colon = nevra.lastIndexOf(':');
    int dash = nevra.lastIndexOf('-', colon < 0 ? nevra.length() : colon);
    return dash < 0 ? nevra : nevra.substring(0, dash);
  }
}
