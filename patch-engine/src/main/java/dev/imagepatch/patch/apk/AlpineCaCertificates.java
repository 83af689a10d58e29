package dev.imagepatch.patch.apk;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.effects.CertsDirectory;
import dev.imagepatch.patch.effects.LayerTree;
import dev.imagepatch.patch.effects.Rehash;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code ca-certificates} trigger of Alpine: {@code update-ca-certificates} (alpinelinux's
 * {@code update-ca.c}, a C program, not Debian's script), then the hooks it runs with
 * {@code run-parts /etc/ca-certificates/update.d}. It links {@code /etc/ssl/certs/ca-cert-<name>.pem}
 * to every certificate {@code /etc/ca-certificates.conf} lists (lines not starting {@code #} or
 * {@code !}, relative to {@code /usr/share/ca-certificates}) and to every file of
 * {@code /usr/local/share/ca-certificates}; removes the links of {@code /etc/ssl/certs} into those
 * two directories that are no longer wanted; and writes the bundle {@code ca-certificates.crt}, the
 * files' bytes one after the other. The {@code certhash} hook ({@code c_rehash /etc/ssl/certs})
 * makes the {@code <subject-hash>.<n>} links, reproduced with {@link Rehash}.
 *
 * <p>Where Alpine differs from Debian's {@code update-ca-certificates} (patch.deb.CaCertificates):
 * the links are named {@code ca-cert-<name>.pem} (Debian: {@code <name>.pem}); the configuration
 * is only read, never rewritten (the package ships it; no debconf, no {@code .dpkg-old}); a
 * listed file that is missing still gets its (dangling) link and adds nothing to the bundle
 * (Debian warns and skips it); the bundle adds no newline after a file that lacks one; every file
 * of the local directory counts, not only {@code *.crt}, and it is not searched recursively;
 * the hash links are made by a hook, on every run, not only when links changed.
 *
 * <p>Images with only {@code ca-certificates-bundle} (or 3.10's {@code ca-certificates-cacert})
 * have no trigger: that package ships the bundle as a plain file, and nothing is done.
 */
final class AlpineCaCertificates implements PostInstallEffect {
  static final String NAME = "update-ca-certificates";
  static final String PACKAGE = "ca-certificates";
  static final String TOOL = "usr/sbin/update-ca-certificates";
  static final String CONF = "etc/ca-certificates.conf";
  static final String SHARE = "usr/share/ca-certificates";
  static final String LOCAL = "usr/local/share/ca-certificates";
  static final String ETC = CertsDirectory.PATH;
  static final String HOOKS = "etc/ca-certificates/update.d";
  static final String BUNDLE = "ca-certificates.crt";
  /** The package's {@code triggers} line. */
  static final List<String> TRIGGER_DIRECTORIES = List.of(SHARE, LOCAL, ETC, HOOKS);
  private static final String PREFIX = "ca-cert-";
  /** The certhash hook: {@code c_rehash} (or {@code openssl rehash}) of {@code /etc/ssl/certs}, nothing else. */
  private static final Pattern CERTHASH = Pattern.compile(
      "(exec\\s+)?(/usr/bin/|/bin/)?(c_rehash|openssl\\s+rehash)\\s+/etc/ssl/certs/?");
  /** The names busybox run-parts runs. */
  private static final Pattern RUN_PARTS_NAME = Pattern.compile("[A-Za-z0-9_-]+");

  /**
   * What the trigger changes in {@code /etc/ssl/certs}, names relative to it: links made or
   * retargeted, entries removed, and the bundle (null when unchanged).
   */
  record Outcome(Map<String, String> links, Set<String> removed, byte[] bundle, List<String> hooksNotRun) {}

  private final LayerTree tree;
  // /etc/ssl/certs as the program has left it so far; paths are resolved through it.
  private final CertsDirectory etc;

  /** The effect, for the backend. */
  AlpineCaCertificates() {
    this.tree = null;
    this.etc = null;
  }

  private AlpineCaCertificates(LayerTree tree) {
    this.tree = tree;
    this.etc = new CertsDirectory(tree, true);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(p -> p.equals(CONF) || p.startsWith(SHARE + "/") || p.startsWith(LOCAL + "/")
        || p.startsWith(ETC + "/") || p.startsWith(HOOKS + "/"), p -> false, p -> false);
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    LayerTree t = layer.tree();
    boolean upgraded = changes.stream().anyMatch(c -> c.name().equals(PACKAGE));
    if (!upgraded && (t.entry(TOOL).isEmpty() || !layer.touchesUnder(TRIGGER_DIRECTORIES))) {
      return true; // no trigger (ca-certificates-bundle alone), or it does not fire
    }
    if (t.entry(TOOL).isEmpty()) {
      layer.note("/" + TOOL + ": not in the image after the upgrade; the trust store is left as it is");
      return false;
    }
    Outcome o = run(t);
    String dir = layer.image().resolveParent(ETC + "/x");
    dir = dir.substring(0, dir.length() - 2);
    for (String name : o.removed()) {
      layer.whiteout(dir + "/" + name);
    }
    for (Map.Entry<String, String> l : o.links().entrySet()) {
      layer.symlink(dir + "/" + l.getKey(), l.getValue(), 0, 0, layer.epoch());
    }
    if (o.bundle() != null) {
      layer.bytes(dir + "/" + BUNDLE, 0644, o.bundle());
    }
    for (String hook : o.hooksNotRun()) {
      layer.notRun(new ScriptNotRun(PACKAGE, "hook /" + HOOKS + "/" + hook + " of update-ca-certificates"));
    }
    return true;
  }


  /** Runs {@code update-ca-certificates} and its hooks over {@code tree}. */
  static Outcome run(LayerTree tree) throws IOException {
    return new AlpineCaCertificates(tree).update();
  }

  private Outcome update() throws IOException {
    // The hash table of update-ca.c: a later entry under a name wins (hash_get finds the newest).
    Map<String, String> calinks = new LinkedHashMap<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Optional<byte[]> conf = etc.content(CONF);
    if (conf.isPresent()) {
      String text = new String(conf.get(), StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
      if (text.endsWith("\n") || text.isEmpty()) {
        lines.remove(lines.size() - 1); // getline: no line after the last newline
      }
      for (String line : lines) {
        if (line.startsWith("#") || line.startsWith("!")) {
          continue;
        }
        certificate("/" + SHARE + "/" + line, calinks, out);
      }
    }
    // readdir order is the filesystem's; byte order here.
    Optional<String> local = etc.resolve(LOCAL);
    if (local.isPresent() && tree.entry(local.get()).filter(FsEntry::isDirectory).isPresent()) {
      Set<String> names = new TreeSet<>(AlpineCaCertificates::compareBytes);
      names.addAll(tree.list(local.get()));
      for (String name : names) {
        if (!name.startsWith(".")) {
          certificate("/" + LOCAL + "/" + name, calinks, out);
        }
      }
    }
    Set<String> done = new HashSet<>();
    for (String name : etc.names()) {
      String link = etc.link(name);
      if (name.startsWith(".") || link == null) {
        continue;
      }
      String wanted = calinks.get(name);
      if (wanted == null) {
        if (link.startsWith("/" + SHARE + "/") || link.startsWith("/" + LOCAL + "/")) {
          etc.remove(name);
        }
      } else {
        if (!link.equals(wanted)) {
          etc.link(name, wanted);
        }
        done.add(name);
      }
    }
    for (Map.Entry<String, String> l : calinks.entrySet()) {
      if (!done.contains(l.getKey()) && !etc.contains(l.getKey())) {
        etc.link(l.getKey(), l.getValue()); // symlink() fails on anything there
      }
    }
    byte[] bundle = out.toByteArray();
    etc.file(BUNDLE, bundle);

    List<String> notRun = hooks();

    boolean same = etc.wasFile(BUNDLE) && tree.read(ETC + "/" + BUNDLE).map(b -> Arrays.equals(b, bundle))
        .orElse(false);
    return new Outcome(etc.linksMade(), etc.removed(), same ? null : bundle, notRun);
  }

  /** {@code proc_localglobaldir}: the link's name and target, and the file's bytes into the bundle. */
  private void certificate(String fullPath, Map<String, String> calinks, ByteArrayOutputStream out)
      throws IOException {
    String name = fullPath.substring(fullPath.lastIndexOf('/') + 1);
    if (name.length() > 4 && name.endsWith(".crt")) {
      name = name.substring(0, name.length() - 4);
    }
    String key = (PREFIX + name + ".pem").replace(',', '_').replace(' ', '_').replace('(', '=').replace(')', '=');
    calinks.remove(key);
    calinks.put(key, fullPath);
    // copyfile: open() follows links; a directory or a missing file adds nothing.
    Optional<byte[]> content = etc.content(fullPath.substring(1));
    content.ifPresent(out::writeBytes);
  }

  /**
   * {@code run-parts /etc/ca-certificates/update.d}: the certhash hook is reproduced; any other
   * hook is named, not run.
   */
  private List<String> hooks() throws IOException {
    List<String> notRun = new ArrayList<>();
    Optional<String> dir = etc.resolve(HOOKS);
    if (dir.isEmpty()) {
      return notRun;
    }
    Set<String> names = new TreeSet<>(AlpineCaCertificates::compareBytes);
    names.addAll(tree.list(dir.get()));
    for (String name : names) {
      if (!RUN_PARTS_NAME.matcher(name).matches()) {
        continue;
      }
      Optional<String> file = etc.resolve(dir.get() + "/" + name);
      Optional<FsEntry> e = file.flatMap(tree::entry);
      if (e.isEmpty() || e.get().isDirectory() || (e.get().mode() & 0111) == 0) {
        continue;
      }
      Optional<byte[]> script = tree.read(file.get());
      if (script.isPresent() && isCerthash(new String(script.get(), StandardCharsets.UTF_8))) {
        etc.rehash();
      } else {
        notRun.add(name);
      }
    }
    return notRun;
  }

  /** A shell script whose one command is {@code [exec] c_rehash /etc/ssl/certs} (or openssl rehash). */
  static boolean isCerthash(String script) {
    List<String> commands = new ArrayList<>();
    String[] lines = script.split("\n");
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (l.isEmpty() || l.startsWith("#")) {
        if (i == 0 && !l.startsWith("#!/bin/sh") && l.startsWith("#!")) {
          return false;
        }
        continue;
      }
      commands.add(l);
    }
    return commands.size() == 1 && CERTHASH.matcher(commands.get(0)).matches();
  }

  /** {@code sort} in the C locale. */
  private static int compareBytes(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
