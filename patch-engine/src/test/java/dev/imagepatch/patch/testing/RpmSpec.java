package dev.imagepatch.patch.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small rpm package described in Java and built by the real {@code rpmbuild} from the spec file
 * it writes: files with their contents and modes, {@code %config} and {@code %config(noreplace)},
 * {@code %ghost}, {@code %doc}, directories, symlinks, hard links, dependencies and scriptlets.
 * No build-root policy scripts run (no strip, no build ids), so what is declared is what is packed.
 */
public final class RpmSpec {
  private final String name;
  private final String version;
  private final String release;
  private String arch = "noarch";
  private String epoch;
  private final List<String> preamble = new ArrayList<>();
  private final List<String> install = new ArrayList<>();
  private final List<String> files = new ArrayList<>();
  private final Map<String, byte[]> sources = new LinkedHashMap<>();
  private final List<String> scripts = new ArrayList<>();

  private RpmSpec(String name, String version, String release) {
    this.name = name;
    this.version = version;
    this.release = release;
  }

  public static RpmSpec rpm(String name, String version, String release) {
    return new RpmSpec(name, version, release);
  }

  public String name() {
    return name;
  }

  public String arch() {
    return arch;
  }

  /** {@code [epoch:]version-release}. */
  public String evr() {
    return (epoch == null ? "" : epoch + ":") + version + "-" + release;
  }

  /** The file name rpmbuild gives the package. */
  public String fileName() {
    return name + "-" + version + "-" + release + "." + arch + ".rpm";
  }

  public RpmSpec arch(String a) {
    this.arch = a;
    return this;
  }

  public RpmSpec epoch(String e) {
    this.epoch = e;
    preamble.add("Epoch: " + e);
    return this;
  }

  /** A preamble line: {@code Requires: x}, {@code Provides: y = 1}, {@code Obsoletes: z < 2}. */
  public RpmSpec tag(String line) {
    preamble.add(line);
    return this;
  }

  public RpmSpec file(String path, String content) {
    return file(path, content, path.contains("/bin/") ? 0755 : 0644, "");
  }

  public RpmSpec file(String path, String content, int mode) {
    return file(path, content, mode, "");
  }

  /** A regular file with a %files directive before it ({@code %config(noreplace)}, {@code %doc}, ...). */
  public RpmSpec file(String path, String content, int mode, String directive) {
    String src = "s" + sources.size();
    sources.put(src, content.getBytes(StandardCharsets.UTF_8));
    install.add(String.format("install -D -m %o %%{_sourcedir}/%s %%{buildroot}%s", mode, src, path));
    files.add(String.format("%s %%attr(%o,root,root) %s", directive, mode, path).strip());
    return this;
  }

  public RpmSpec config(String path, String content) {
    return file(path, content, 0644, "%config");
  }

  public RpmSpec configNoreplace(String path, String content) {
    return file(path, content, 0644, "%config(noreplace)");
  }

  public RpmSpec doc(String path, String content) {
    return file(path, content, 0644, "%doc");
  }

  public RpmSpec ghost(String path) {
    install.add("mkdir -p $(dirname %{buildroot}" + path + ") && touch %{buildroot}" + path);
    files.add("%ghost %attr(0644,root,root) " + path);
    return this;
  }

  public RpmSpec dir(String path) {
    install.add("mkdir -p %{buildroot}" + path);
    files.add("%dir %attr(0755,root,root) " + path);
    return this;
  }

  public RpmSpec symlink(String path, String target) {
    install.add("mkdir -p $(dirname %{buildroot}" + path + ") && ln -s " + target + " %{buildroot}" + path);
    files.add(path);
    return this;
  }

  /** {@code path} a hard link to {@code existing}, a file declared before. */
  public RpmSpec hardlink(String path, String existing) {
    install.add("mkdir -p $(dirname %{buildroot}" + path + ") && ln %{buildroot}" + existing + " %{buildroot}" + path);
    files.add(path);
    return this;
  }

  /** A scriptlet: {@code %post}, {@code %post -p /sbin/ldconfig}, {@code %preun}, ... with its body. */
  public RpmSpec script(String header, String body) {
    scripts.add(header + "\n" + body);
    return this;
  }

  /** Writes the spec and its sources into {@code dir}; returns the spec file. */
  Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> s : sources.entrySet()) {
      Files.write(dir.resolve(s.getKey()), s.getValue());
    }
    StringBuilder b = new StringBuilder();
    b.append("Name: ").append(name).append("\nVersion: ").append(version).append("\nRelease: ").append(release)
        .append("\nSummary: ").append(name).append(" for imagepatch's tests\nLicense: MIT\nAutoReqProv: no\n");
    if (arch.equals("noarch")) {
      b.append("BuildArch: noarch\n");
    }
    preamble.forEach(l -> b.append(l).append('\n'));
    b.append("%description\n").append(name).append(" built by a test\n");
    b.append("%install\nmkdir -p %{buildroot}\n");
    install.forEach(l -> b.append(l).append('\n'));
    b.append("%files\n");
    files.forEach(l -> b.append(l).append('\n'));
    scripts.forEach(s -> b.append(s).append('\n'));
    Path spec = dir.resolve(name + ".spec");
    Files.writeString(spec, b.toString());
    return spec;
  }

  @Override
  public String toString() {
    return name + "-" + evr() + "." + arch;
  }
}
