package dev.imagepatch.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.layer.DirectoryLayer;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.pkg.apt.AptSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Real Debian 12 material for the demo and the end-to-end tests: the archive mirror as this
 * machine's apt is configured (never a host name written in the repository), debootstrap of the
 * plain bookworm suite, images assembled from a root filesystem, and apt's own view of what an
 * upgrade would do, written as a Trivy report.
 */
public final class DebianDemo {
  private DebianDemo() {}

  /** The archive and security URIs this machine's apt uses for bookworm. */
  public record Mirrors(String archive, String security) {}

  public static Mirrors hostMirrors() throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    Path list = Path.of("/etc/apt/sources.list");
    if (Files.isRegularFile(list)) {
      files.put(list.toString(), Files.readString(list));
    }
    Path dir = Path.of("/etc/apt/sources.list.d");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.sorted().toList()) {
          String n = p.getFileName().toString();
          if (n.endsWith(".list") || n.endsWith(".sources")) {
            files.put(p.toString(), Files.readString(p));
          }
        }
      }
    }
    String archive = null;
    String security = null;
    for (AptSource s : AptSource.parse(files)) {
      if (s.suite().equals("bookworm") && archive == null) {
        archive = s.uri().toString();
      }
      if (s.suite().equals("bookworm-security") && security == null) {
        security = s.uri().toString();
      }
    }
    if (archive == null || security == null) {
      throw new IllegalStateException("this machine's apt sources name no bookworm and bookworm-security archive;"
          + " the end-to-end tests read the Debian mirror from them");
    }
    return new Mirrors(strip(archive), strip(security));
  }

  private static String strip(String uri) {
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  /** The deb822 sources a Debian 12 image carries, pointing at this machine's mirrors. */
  public static String imageSources(Mirrors m) {
    return "Types: deb\nURIs: " + m.archive() + "\nSuites: bookworm bookworm-updates\nComponents: main\n"
        + "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        + "Types: deb\nURIs: " + m.security() + "\nSuites: bookworm-security\nComponents: main\n"
        + "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
  }

  /** debootstrap --variant=minbase of the plain bookworm suite, with the image's sources written as Debian's image has them. */
  public static void debootstrap(Path rootfs, Mirrors m, List<String> include) throws Exception {
    run("debootstrap", "--variant=minbase", "--include=" + String.join(",", include), "bookworm",
        rootfs.toString(), m.archive());
    Files.deleteIfExists(rootfs.resolve("etc/apt/sources.list"));
    Files.writeString(rootfs.resolve("etc/apt/sources.list.d/debian.sources"), imageSources(m));
    // What debootstrap leaves behind that no image carries.
    run("sh", "-c", "rm -rf '" + rootfs + "'/var/lib/apt/lists/* '" + rootfs + "'/var/cache/apt/*.bin '"
        + rootfs + "'/dev/*");
  }

  /** An OCI image of one layer holding {@code rootfs}, written to {@code layout} under {@code tag}. */
  public static Manifest image(Path rootfs, OciLayout layout, String tag, String architecture, long created)
      throws IOException {
    Path blob = Files.createTempFile("layer-", ".tar.gz");
    try {
      LayerBuilder.Written w = DirectoryLayer.of(rootfs).write(blob, LayerBuilder.Compression.GZIP, created);
      return image(blob, w, layout, tag, architecture, created, "debootstrap bookworm");
    } finally {
      Files.deleteIfExists(blob);
    }
  }

  /** An OCI image of one written layer blob, written to {@code layout} under {@code tag}. */
  public static Manifest image(Path blob, LayerBuilder.Written w, OciLayout layout, String tag, String architecture,
      long created, String createdBy) throws IOException {
    {
      Descriptor layer = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, w.digest(), w.size());
      layout.putBlob(layer, () -> Files.newInputStream(blob));
      ObjectMapper json = new ObjectMapper();
      ObjectNode config = json.createObjectNode();
      config.put("architecture", architecture);
      config.put("os", "linux");
      config.put("created", java.time.Instant.ofEpochSecond(created).toString());
      ObjectNode c = config.putObject("config");
      c.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      c.putArray("Cmd").add("bash");
      c.putObject("Labels").put("org.example.test", "debian-e2e");
      ObjectNode rootfsNode = config.putObject("rootfs");
      rootfsNode.put("type", "layers");
      rootfsNode.putArray("diff_ids").add(w.diffId().toString());
      ArrayNode history = config.putArray("history");
      history.addObject().put("created", config.get("created").asText()).put("created_by", createdBy);
      byte[] configBytes = json.writeValueAsBytes(config);
      Descriptor cd = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
      layout.putBlob(cd, () -> new ByteArrayInputStream(configBytes));
      Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, cd, List.of(layer))
          .withAnnotation("org.opencontainers.image.title", "debian-e2e");
      layout.putManifest(m, tag);
      return m;
    }
  }

  /** An upgrade as apt itself would do it: package, installed version, version apt would install. */
  public record Upgrade(String name, String from, String to) {}

  private static final Pattern INST = Pattern.compile("^Inst (\\S+) \\[([^]]+)] \\((\\S+) ");

  /**
   * What {@code apt-get upgrade} would upgrade in a root filesystem, asked of this machine's apt
   * with the image's sources and status file and lists of its own, so nothing of the host is used.
   */
  public static List<Upgrade> aptUpgrades(Path rootfs, Path work) throws Exception {
    Apt apt = Apt.of(work, Files.readString(rootfs.resolve("etc/apt/sources.list.d/debian.sources")),
        rootfs.resolve("var/lib/dpkg/status"));
    String sim = apt.run("apt-get", "-s", "upgrade");
    List<Upgrade> out = new java.util.ArrayList<>();
    for (String line : sim.split("\n")) {
      Matcher m = INST.matcher(line);
      if (m.find()) {
        out.add(new Upgrade(m.group(1), m.group(2), m.group(3)));
      }
    }
    return out;
  }

  /**
   * This machine's apt, pointed at given sources and a given status file, with lists and caches of
   * its own in {@code work}: apt's answers about an image, with nothing of the host's state used.
   */
  public record Apt(Path work, String[] options) {
    public static Apt of(Path work, String sources, Path status) throws Exception {
      return of(work, sources, status, null);
    }

    /** As {@link #of(Path, String, Path)}, for another architecture than this machine's (null: this one's). */
    public static Apt of(Path work, String sources, Path status, String architecture) throws Exception {
      Path parts = Files.createDirectories(work.resolve("sources.list.d"));
      Files.writeString(parts.resolve("image.sources"), sources);
      Files.createDirectories(work.resolve("lists/partial"));
      Files.createDirectories(work.resolve("cache/archives/partial"));
      String[] options = {"-o", "Dir::Etc::SourceList=/dev/null", "-o",
          "Dir::Etc::SourceParts=" + parts, "-o", "Dir::State::Lists=" + work.resolve("lists"), "-o",
          "Dir::Cache=" + work.resolve("cache"), "-o", "Dir::State::status=" + status, "-o",
          "APT::Sandbox::User=root"};
      if (architecture != null) {
        options = concat(options, new String[] {"-o", "APT::Architecture=" + architecture, "-o",
            "APT::Architectures=" + architecture});
      }
      Apt apt = new Apt(work, options);
      apt.run("apt-get", "-q", "update");
      return apt;
    }

    public String run(String tool, String... args) throws Exception {
      String[] full = concat(new String[] {tool}, options, args);
      return runText(full);
    }

    /** apt's candidate version of a package. */
    public String candidate(String name) throws Exception {
      for (String line : run("apt-cache", "policy", name).split("\n")) {
        if (line.strip().startsWith("Candidate:")) {
          return line.strip().substring("Candidate:".length()).strip();
        }
      }
      throw new IllegalStateException("apt knows no candidate of " + name);
    }
  }

  private static String[] concat(String[]... parts) {
    return Stream.of(parts).flatMap(Stream::of).toArray(String[]::new);
  }

  /** A Trivy (SchemaVersion 2) report naming one finding per upgrade, fixed at apt's version. */
  public static Path trivyReport(Path file, String artifact, String family, String version, String arch,
      List<Upgrade> upgrades) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode r = json.createObjectNode();
    r.put("SchemaVersion", 2);
    r.put("ArtifactName", artifact);
    r.put("ArtifactType", "container_image");
    ObjectNode md = r.putObject("Metadata");
    md.putObject("OS").put("Family", family).put("Name", version);
    md.putObject("ImageConfig").put("architecture", arch);
    ObjectNode result = r.putArray("Results").addObject();
    result.put("Target", artifact + " (" + family + " " + version + ")");
    result.put("Class", "os-pkgs");
    result.put("Type", family);
    ArrayNode vulns = result.putArray("Vulnerabilities");
    for (Upgrade u : upgrades) {
      ObjectNode v = vulns.addObject();
      v.put("VulnerabilityID", "APT-UPGRADE-" + u.name());
      v.put("PkgName", u.name());
      v.put("InstalledVersion", u.from());
      v.put("FixedVersion", u.to());
      v.put("Status", "fixed");
      v.put("Severity", "HIGH");
    }
    Files.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
    return file;
  }

  /** Runs a command; returns its standard output, or fails with its standard error. */
  static byte[] run(String... command) throws IOException, InterruptedException {
    Path err = Files.createTempFile("imagepatch-", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + Files.readString(err));
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }

  public static String runText(String... command) throws IOException, InterruptedException {
    return new String(run(command), StandardCharsets.UTF_8);
  }
}
