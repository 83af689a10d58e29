package dev.imagepatch.patch.family;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.pkg.Architecture;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.report.Report;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** fixtureos packages, repositories in a directory and images in an OCI layout, for {@link FixtureBackend}'s tests. */
final class FixtureOs {
  private FixtureOs() {}

  /** A package: its files by path (no leading slash), each a line of text. */
  record Pkg(String name, String version, Map<String, String> files) {
    /** A tar of the files; same package, same bytes. */
    byte[] tar() throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
        for (Map.Entry<String, String> f : files.entrySet()) {
          byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
          TarArchiveEntry e = new TarArchiveEntry(f.getKey());
          e.setSize(content.length);
          e.setModTime(FixtureImages.CREATED * 1000);
          tar.putArchiveEntry(e);
          tar.write(content);
          tar.closeArchiveEntry();
        }
      }
      return out.toByteArray();
    }
  }

  /** {@code name} at {@code version}, its one program saying so and for which architecture; {@code more} paths too. */
  static Pkg pkg(String name, String version, String arch, String... more) {
    Map<String, String> files = new TreeMap<>(Map.of("usr/lib/fixture/" + name, name + " " + version + " for " + arch));
    for (String path : more) {
      files.put(path, path + " of " + name + " " + version);
    }
    return new Pkg(name, version, files);
  }

  /** fixtureos's name for an OCI architecture. */
  static String arch(String goArch) {
    return Architecture.of(goArch, "").nameFor(PackageManager.RPM).orElseThrow();
  }

  /** Adds the packages of {@code goArch} to the repository at {@code repo}: its index lines and tars. */
  static void publish(Path repo, String goArch, Pkg... packages) throws IOException {
    Path dir = Files.createDirectories(repo.resolve(arch(goArch)));
    for (Pkg p : packages) {
      String file = p.name() + "-" + p.version() + ".tar";
      byte[] tar = p.tar();
      Files.write(dir.resolve(file), tar);
      Files.writeString(dir.resolve("index"), String.join(" ", p.name(), p.version(), Digest.sha256(tar).hex(), file)
          + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  /** A fixtureos image of {@code goArch} with {@code installed}, naming {@code repo}; tagged {@code tag} (null: untagged). */
  static Descriptor image(OciLayout layout, String tag, String goArch, Path repo, Pkg... installed) throws IOException {
    return image(layout, tag, "PRETTY_NAME=\"Fixture OS 1\"\nID=fixtureos\nID_LIKE=fedora\nVERSION_ID=1\n", goArch, repo,
        installed);
  }

  /** The same with its own {@code /etc/os-release} (fixtureos must be its ID or among its ID_LIKE). */
  static Descriptor image(OciLayout layout, String tag, String osRelease, String goArch, Path repo, Pkg... installed)
      throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    files.put("etc/os-release", utf8(osRelease));
    files.put(FixtureBackend.REPOSITORY, utf8(repo.toUri() + "\n"));
    StringBuilder database = new StringBuilder();
    for (Pkg p : installed) {
      p.files().forEach((path, content) -> files.put(path, utf8(content)));
      database.append(new FixtureSession.Package(p.name(), p.version(), arch(goArch), List.copyOf(p.files().keySet()))
          .line());
    }
    files.put(FixtureBackend.DATABASE, utf8(database.toString()));
    return FixtureImages.image(layout, tag, goArch, files);
  }

  /** A Trivy report on a fixtureos image of {@code goArch}: Trivy knows it by its ID_LIKE, fedora. */
  static Report report(String goArch, FixtureReports.Finding... findings) throws IOException {
    return FixtureReports.trivy("fedora", "39", goArch, findings);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
