package dev.imagepatch.patch.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Debian images written to an OCI layout, and read back: one base layer with the installed
 * packages' files, their dpkg database, {@code /etc/os-release} and a deb822 source naming a
 * {@link FixtureAptRepository}, whose key the image keeps in {@code /etc/apt/keyrings}.
 */
public final class FixtureImages {
  /** The base image's creation time, and so the patch layer's default time. */
  public static final long CREATED = 1_700_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private FixtureImages() {}

  /** A Debian 12 image of {@code arch} with {@code installed}, its sources naming {@code suite} of {@code repo}. */
  public static Spec debian(String arch, FixtureAptRepository repo, String suite, DebBuilder... installed) {
    return new Spec(arch, repo, suite, List.of(installed));
  }

  /** What goes into one image; change the defaults before {@link #write}. */
  public static final class Spec {
    private final String arch;
    private final FixtureAptRepository repo;
    private final String suite;
    private final List<DebBuilder> installed;
    private String osId = "debian";
    private boolean dpkgDatabase = true;
    private boolean distroless;
    private final Map<String, byte[]> extra = new TreeMap<>();

    private Spec(String arch, FixtureAptRepository repo, String suite, List<DebBuilder> installed) {
      this.arch = arch;
      this.repo = repo;
      this.suite = suite;
      this.installed = installed;
    }

    /** Another {@code ID} in /etc/os-release. */
    public Spec osId(String id) {
      this.osId = id;
      return this;
    }

    /** No /var/lib/dpkg at all; the packages' files are still there. */
    public Spec withoutDpkgDatabase() {
      this.dpkgDatabase = false;
      return this;
    }

    /**
     * As Google's distroless images are: one {@code status.d} file (and its md5sums) per package, no
     * status file, no file lists, no APT sources; the request must bring the repository.
     */
    public Spec distroless() {
      this.distroless = true;
      return this;
    }

    /**
     * A file of the base layer, written after (and over) the others; a name with ".." is written as
     * is (a hostile base image).
     */
    public Spec file(String path, String content) {
      extra.put(path, utf8(content));
      return this;
    }

    /** Writes the image and tags it (null: untagged); returns its descriptor, platform set. */
    public Descriptor write(OciLayout layout, String tag) throws IOException {
      Map<String, byte[]> files = new TreeMap<>();
      files.put("etc/os-release", utf8("PRETTY_NAME=\"Fixture 12\"\nID=" + osId + "\nVERSION_ID=\"12\"\n"));
      if (!distroless) {
        files.put("etc/apt/sources.list.d/fixture.sources", utf8("Types: deb\nURIs: " + repo.uri() + "\nSuites: "
            + suite + "\nComponents: main\nSigned-By: /etc/apt/keyrings/fixture.gpg\n"));
        files.put("etc/apt/keyrings/fixture.gpg", repo.keyring());
      }
      StringBuilder status = new StringBuilder();
      for (DebBuilder deb : installed) {
        deb.files().forEach((path, content) -> files.put(path.substring(1), content));
        status.append(deb.installedStanza());
        if (distroless) {
          files.put("var/lib/dpkg/status.d/" + deb.name(), utf8(deb.installedStanza().strip() + "\n"));
          files.put("var/lib/dpkg/status.d/" + deb.name() + ".md5sums", utf8(deb.md5sums()));
        } else if (dpkgDatabase) {
          files.put("var/lib/dpkg/info/" + deb.name() + ".list", utf8(String.join("\n", deb.list()) + "\n"));
          files.put("var/lib/dpkg/info/" + deb.name() + ".md5sums", utf8(deb.md5sums()));
        }
      }
      if (dpkgDatabase && !distroless) {
        files.put("var/lib/dpkg/status", utf8(status.toString()));
      }
      files.putAll(extra);
      return image(layout, tag, arch, files);
    }
  }

  /**
   * An image of {@code arch} whose one layer holds {@code files} (paths without the leading slash),
   * tagged {@code tag} (null: untagged); returns its descriptor, platform set.
   */
  public static Descriptor image(OciLayout layout, String tag, String arch, Map<String, byte[]> files)
      throws IOException {
    if (files.keySet().stream().anyMatch(p -> List.of(p.split("/")).contains(".."))) {
      return image(layout, tag, arch, rawLayer(files));
    }
    LayerBuilder layer = new LayerBuilder();
    files.forEach((path, content) -> {
      for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
        layer.directory(path.substring(0, i), 0755, 0, 0, CREATED);
      }
      layer.file(path, path.contains("/bin/") ? 0755 : 0644, 0, 0, CREATED, content.length,
          () -> new ByteArrayInputStream(content));
    });
    Path blob = Files.createTempFile("fixture-layer-", ".tar.gz");
    try {
      return image(layout, tag, arch, layer.write(blob, LayerBuilder.Compression.GZIP, CREATED), blob);
    } finally {
      Files.deleteIfExists(blob);
    }
  }

  /**
   * An image of {@code arch} whose one layer is {@code layer} (symlinks and modes as given), tagged
   * {@code tag} (null: untagged); returns its descriptor, platform set.
   */
  public static Descriptor image(OciLayout layout, String tag, String arch, LayerBuilder layer) throws IOException {
    Path blob = Files.createTempFile("fixture-layer-", ".tar.gz");
    try {
      return image(layout, tag, arch, layer.write(blob, LayerBuilder.Compression.GZIP, CREATED), blob);
    } finally {
      Files.deleteIfExists(blob);
    }
  }

  private static Descriptor image(OciLayout layout, String tag, String arch, byte[] tarGz) throws IOException {
    Path blob = Files.createTempFile("fixture-layer-", ".tar.gz");
    try {
      Files.write(blob, tarGz);
      byte[] tar;
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(tarGz))) {
        tar = in.readAllBytes();
      }
      return image(layout, tag, arch, new LayerBuilder.Written(Digest.sha256(tarGz), tarGz.length, Digest.sha256(tar),
          0), blob);
    } finally {
      Files.deleteIfExists(blob);
    }
  }

  /** A layer tar written entry by entry with the names as given, which LayerBuilder would refuse. */
  private static byte[] rawLayer(Map<String, byte[]> files) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(new java.util.zip.GZIPOutputStream(out))) {
      tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
      java.util.Set<String> dirs = new java.util.TreeSet<>();
      files.keySet().forEach(path -> {
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
          dirs.add(path.substring(0, i));
        }
      });
      dirs.removeIf(d -> List.of(d.split("/")).contains(".."));
      for (String d : dirs) {
        TarArchiveEntry e = new TarArchiveEntry(d + "/", true);
        e.setMode(040755);
        e.setModTime(CREATED * 1000);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey(), true);
        e.setMode(0100644);
        e.setSize(f.getValue().length);
        e.setModTime(CREATED * 1000);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  private static Descriptor image(OciLayout layout, String tag, String arch, LayerBuilder.Written w, Path blob)
      throws IOException {
    {
      Descriptor layerDescriptor = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, w.digest(), w.size());
      layout.putBlob(layerDescriptor, () -> Files.newInputStream(blob));
      ObjectNode config = JSON.createObjectNode().put("architecture", arch).put("os", "linux")
          .put("created", Instant.ofEpochSecond(CREATED).toString());
      if (arch.equals("arm64")) {
        config.put("variant", "v8");
      }
      config.putObject("config").putArray("Cmd").add("/bin/sh");
      config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(w.diffId().toString());
      config.putArray("history").addObject().put("created", config.get("created").asText())
          .put("created_by", "fixture base layer");
      Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, blob(layout, MediaTypes.OCI_CONFIG,
          JSON.writeValueAsBytes(config)), List.of(layerDescriptor))
          .withAnnotation("org.opencontainers.image.title", "fixture");
      layout.putManifest(m, tag);
      return m.descriptor().withPlatform(arch.equals("arm64") ? Platform.of("linux", "arm64", "v8")
          : Platform.of("linux", arch));
    }
  }

  /** An OCI index of {@code entries}, annotated, tagged {@code tag}. */
  public static Index index(OciLayout layout, String tag, List<Descriptor> entries) throws IOException {
    Index index = Index.create(MediaTypes.OCI_INDEX, entries).withAnnotation("org.example.index", "fixture");
    layout.putManifest(index, tag);
    return index;
  }

  /** A build attestation of {@code subject}, as BuildKit attaches them to an index. */
  public static Descriptor attestation(OciLayout layout, Digest subject) throws IOException {
    Descriptor statement = blob(layout, "application/vnd.in-toto+json",
        utf8("{\"_type\":\"https://in-toto.io/Statement/v0.1\"}"));
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, blob(layout, MediaTypes.OCI_CONFIG, utf8("{}")),
        List.of(statement));
    layout.putManifest(m, null);
    return m.descriptor().withPlatform(Platform.of("unknown", "unknown"))
        .withAnnotation("vnd.docker.reference.type", "attestation-manifest")
        .withAnnotation("vnd.docker.reference.digest", subject.toString());
  }

  /** A Windows image with no layers, which a Debian patch must leave alone. */
  public static Descriptor windows(OciLayout layout) throws IOException {
    ObjectNode c = JSON.createObjectNode().put("architecture", "amd64").put("os", "windows");
    c.putObject("rootfs").put("type", "layers").putArray("diff_ids");
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, blob(layout, MediaTypes.OCI_CONFIG,
        JSON.writeValueAsBytes(c)), List.of());
    layout.putManifest(m, null);
    return m.descriptor().withPlatform(Platform.parse("windows/amd64"));
  }

  /** The manifest at {@code reference} (a tag or a digest). */
  public static Manifest manifest(OciLayout layout, String reference) throws IOException {
    return (Manifest) layout.fetchManifest(reference);
  }

  public static ImageConfig config(OciLayout layout, Manifest manifest) throws IOException {
    try (InputStream in = layout.openBlob(manifest.config())) {
      return ImageConfig.parse(in.readAllBytes(), manifest.config().mediaType(), manifest.config().digest(), "config");
    }
  }

  /** The regular files (and whiteouts) of a gzip layer, by path. */
  public static Map<String, byte[]> files(OciLayout layout, Descriptor layer) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(layout.openBlob(layer)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (e.isFile()) {
          out.put(e.getName(), tar.readAllBytes());
        }
      }
    }
    return out;
  }

  /** The files of the top layer of the image at {@code reference}. */
  public static Map<String, byte[]> topLayer(OciLayout layout, String reference) throws IOException {
    List<Descriptor> layers = manifest(layout, reference).layers();
    return files(layout, layers.get(layers.size() - 1));
  }

  /** Every file of the layout, by path, with its content: what "nothing was written" compares. */
  public static Map<String, String> snapshot(OciLayout layout) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (var walk = Files.walk(layout.root())) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(layout.root().relativize(p).toString(), DebBuilder.hex("SHA-256", Files.readAllBytes(p)));
      }
    }
    return out;
  }

  private static Descriptor blob(OciLayout layout, String mediaType, byte[] content) throws IOException {
    Descriptor d = Descriptor.of(mediaType, Digest.sha256(content), content.length);
    layout.putBlob(d, () -> new ByteArrayInputStream(content));
    return d;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
