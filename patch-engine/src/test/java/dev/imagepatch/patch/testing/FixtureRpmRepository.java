package dev.imagepatch.patch.testing;

import dev.imagepatch.testing.Judges;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * rpm repositories as dnf reads them, made by the real tools and served over HTTP on loopback:
 * packages built by {@code rpmbuild} from {@link RpmSpec}s, signed by {@code rpmsign} with an
 * Ed25519 key {@code gpg} makes in a private GNUPGHOME (or an impostor key, or not at all), indexed
 * by {@code createrepo_c} (module metadata added by {@code modifyrepo_c}), {@code repomd.xml}
 * signed by {@code gpg --detach-sign --armor}. Files are held in memory once published, so a test
 * can change one. Registered as a static extension it serves a whole test class and stops after it.
 */
public final class FixtureRpmRepository implements AutoCloseable, AfterAllCallback {
  public static final String KEY_UID = "imagepatch-fixture@imagepatch.invalid";
  public static final String IMPOSTOR_UID = "impostor@imagepatch.invalid";

  private final Path work;
  private final Path gnupg;
  private final LoopbackFiles http;
  private final Map<RpmSpec, Path> built = new java.util.IdentityHashMap<>();
  private byte[] publicKey;
  private byte[] impostorKey;
  private int builds;

  private FixtureRpmRepository(Path work, LoopbackFiles http) {
    this.work = work;
    this.gnupg = work.resolve("gnupg");
    this.http = http;
  }

  /** A repository server whose key is made on first use, working in a new temporary directory. */
  public static FixtureRpmRepository start() {
    try {
      return new FixtureRpmRepository(Files.createTempDirectory("fixture-rpm-"), LoopbackFiles.start("fixture-rpm", "/"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Skips (or fails under CI) unless every tool a fixture repository needs is installed. */
  public static void requireTools() {
    for (String tool : List.of("rpmbuild", "rpmsign", "createrepo_c", "modifyrepo_c", "gpg", "rpm")) {
      Judges.require(tool);
    }
  }

  public String url(String repo) {
    return http.base() + repo;
  }

  /** The armored public key of the repository's signing key (for the image's /etc/pki/rpm-gpg). */
  public synchronized byte[] publicKey() throws IOException {
    keys();
    return publicKey;
  }

  /** Writes the public key into {@code dir}; returns the file (for --keyring). */
  public Path writeKey(Path dir) throws IOException {
    Files.createDirectories(dir);
    return Files.write(dir.resolve("RPM-GPG-KEY-fixture"), publicKey());
  }

  /** How packages and repomd.xml are signed. */
  public enum Signer { KEY, IMPOSTOR, NONE }

  /** Publishes {@code repo}: packages and repomd.xml signed by the key. */
  public void publish(String repo, RpmSpec... packages) throws IOException {
    publish(repo, Signer.KEY, Signer.KEY, null, packages);
  }

  /**
   * Publishes {@code repo}: each package built, copied and signed by {@code packageSigner}, indexed,
   * {@code modulesYaml} (null: none) added as the {@code modules} metadata, repomd.xml signed by
   * {@code repomdSigner}.
   */
  public synchronized void publish(String repo, Signer packageSigner, Signer repomdSigner, String modulesYaml,
      RpmSpec... packages) throws IOException {
    List<Path> rpms = new ArrayList<>();
    for (RpmSpec p : packages) {
      rpms.add(build(p));
    }
    publishFiles(repo, packageSigner, repomdSigner, modulesYaml, rpms);
  }

  /** As {@link #publish}, from rpm files made elsewhere (a hand-crafted one). */
  public synchronized void publishFiles(String repo, Signer packageSigner, Signer repomdSigner, String modulesYaml,
      List<Path> rpms) throws IOException {
    keys();
    Path dir = work.resolve("repos").resolve(repo);
    Files.createDirectories(dir.resolve("Packages"));
    List<String> copies = new ArrayList<>();
    for (Path rpm : rpms) {
      Path copy = dir.resolve("Packages").resolve(rpm.getFileName());
      Files.copy(rpm, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      copies.add(copy.toString());
    }
    if (packageSigner != Signer.NONE && !copies.isEmpty()) {
      List<String> sign = new ArrayList<>(List.of("rpmsign", "--addsign", "--define", "_gpg_name "
          + (packageSigner == Signer.KEY ? KEY_UID : IMPOSTOR_UID), "--define", "_gpg_path " + gnupg, "--define",
          "__gpg /usr/bin/gpg", "--define", "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ''"));
      sign.addAll(copies);
      run(sign, null);
    }
    byte[] said = run(List.of("createrepo_c", "--no-database", "--simple-md-filenames", dir.toString()), null);
    try (InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(dir.resolve("repodata/primary.xml.gz")))) {
      String primary = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
      if (!primary.contains("packages=\"" + rpms.size() + "\"")) {
        throw new IOException("createrepo_c did not index all of " + rpms + ": " + new String(said,
            StandardCharsets.UTF_8));
      }
    }
    if (modulesYaml != null) {
      Path yaml = work.resolve("modules.yaml");
      Files.writeString(yaml, modulesYaml);
      run(List.of("modifyrepo_c", "--mdtype=modules", yaml.toString(), dir.resolve("repodata").toString()),
          null);
    }
    if (repomdSigner != Signer.NONE) {
      run(List.of("gpg", "--homedir", gnupg.toString(), "--batch", "--yes", "--pinentry-mode", "loopback",
          "--passphrase", "", "--local-user", repomdSigner == Signer.KEY ? KEY_UID : IMPOSTOR_UID, "--detach-sign",
          "--armor", dir.resolve("repodata/repomd.xml").toString()), null);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        http.files().put(repo + "/" + dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
    }
  }

  /** The package rpmbuild made for {@code p} (unsigned; each published copy is signed on its own). */
  public synchronized Path build(RpmSpec p) throws IOException {
    Path done = built.get(p);
    if (done != null) {
      return done;
    }
    Path dir = work.resolve("build-" + (builds++));
    Path spec = p.write(dir.resolve("SOURCES"));
    List<String> cmd = new ArrayList<>(List.of("rpmbuild", "-bb", "--quiet", "--define", "_topdir " + dir,
        "--define", "_sourcedir " + dir.resolve("SOURCES"), "--define", "_build_id_links none", "--define",
        "__os_install_post %{nil}", "--define", "debug_package %{nil}", "--define", "_binary_payload w9.gzdio"));
    if (!p.arch().equals("noarch")) {
      cmd.addAll(List.of("--target", p.arch()));
    }
    cmd.add(spec.toString());
    run(cmd, null);
    Path rpm = dir.resolve("RPMS").resolve(p.arch()).resolve(p.fileName());
    if (!Files.isRegularFile(rpm)) {
      throw new IOException("rpmbuild made no " + rpm);
    }
    built.put(p, rpm);
    return rpm;
  }

  /** Serves {@code content} at {@code path} (below the base) from now on. */
  public void replace(String path, byte[] content) {
    http.files().put(path, content);
  }

  /** The bytes served at {@code path}, or null. */
  public byte[] file(String path) {
    return http.files().get(path);
  }

  private void keys() throws IOException {
    if (publicKey != null) {
      return;
    }
    Files.createDirectories(gnupg);
    Files.setPosixFilePermissions(gnupg, PosixFilePermissions.fromString("rwx------"));
    List<String> gpg = List.of("gpg", "--homedir", gnupg.toString(), "--batch", "--pinentry-mode", "loopback",
        "--passphrase", "");
    run(concat(gpg, "--quick-gen-key", "Fixture <" + KEY_UID + ">", "ed25519", "sign", "never"), null);
    run(concat(gpg, "--quick-gen-key", "Impostor <" + IMPOSTOR_UID + ">", "ed25519", "sign", "never"), null);
    publicKey = run(concat(gpg, "--armor", "--export", KEY_UID), null);
    impostorKey = run(concat(gpg, "--armor", "--export", IMPOSTOR_UID), null);
  }

  /** The impostor's armored public key (a key the image does not trust). */
  public synchronized byte[] impostorKey() throws IOException {
    keys();
    return impostorKey;
  }

  private static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(Arrays.asList(b));
    return out;
  }

  /** Runs a tool (which must exit 0); returns its stdout. */
  public static byte[] run(List<String> command, Path dir) throws IOException {
    Judges.require(command.get(0));
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
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command + " timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(command + " interrupted");
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    Files.deleteIfExists(err);
    if (p.exitValue() != 0) {
      throw new IOException(command + " exited " + p.exitValue() + ": " + stderr);
    }
    return out.toByteArray();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    http.close();
    try {
      new ProcessBuilder("gpgconf", "--homedir", gnupg.toString(), "--kill", "all").start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      // the agent exits with its directory
    }
    // The agent removes its sockets as it exits, which may be after the first pass.
    for (int pass = 0; pass < 3 && Files.exists(work); pass++) {
      try (Stream<Path> walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException | java.io.UncheckedIOException e) {
        // a temporary directory left behind is not worth failing for
      }
      if (Files.exists(work)) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
