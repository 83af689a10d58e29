package dev.imagepatch.patch.effects;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.spi.ImageNeeds;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.patch.spi.PostInstallEffect;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code update-ca-trust extract} of RHEL, Fedora, CentOS, Amazon Linux and Azure Linux, the
 * {@code ca-certificates} package's script: the {@code trust extract} runs it makes with p11-kit's
 * trust module (reproduced by {@link TrustToken} and {@link TrustExtract}) over the sources
 * {@code /etc/pki/ca-trust/source} and {@code /usr/share/pki/ca-trust-source} (their files,
 * {@code anchors/}, the blocklist directory, {@code .p11-kit} files), written under
 * {@code /etc/pki/ca-trust/extracted}: the PEM bundles, {@code openssl/ca-bundle.trust.crt},
 * {@code java/cacerts}, {@code edk2/cacerts.bin} and, where the image's script makes it,
 * {@code pem/directory-hash/}. The image's own script says which outputs there are. When the
 * ca-certificates package changes, its %post's {@code ca-legacy install} comes first (see
 * {@link #covers} for the scriptlets this stands for).
 *
 * <p>Where the result can differ from the tool's: the module reads a source directory in
 * {@code readdir} order, which depends on the filesystem; here it is byte order of the names
 * (the ca-certificates package ships one bundle file, whose own order is kept). The Java key
 * store's entries are dated with the layer's time, as p11-kit dates them with
 * {@code SOURCE_DATE_EPOCH}. Files are mode 0444 and {@code pem/directory-hash} 0555, as the tool
 * leaves them.
 */
public final class CaTrustExtract implements PostInstallEffect {
  public static final String NAME = "update-ca-trust";
  static final String SCRIPT = "usr/bin/update-ca-trust";
  static final List<String> SOURCES = List.of("etc/pki/ca-trust/source", "usr/share/pki/ca-trust-source");
  static final String EXTRACTED = "etc/pki/ca-trust/extracted";
  private static final List<String> MODULE_CONFIGS = List.of("etc/pkcs11/modules/p11-kit-trust.module",
      "usr/share/p11-kit/modules/p11-kit-trust.module");
  private static final List<String> TRUST_MODULES = List.of("usr/lib64/pkcs11/p11-kit-trust.so",
      "usr/lib/pkcs11/p11-kit-trust.so", "usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so",
      "usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-trust.so");
  private static final Set<String> PACKAGES = Set.of("ca-certificates");
  static final String CA_LEGACY = "usr/bin/ca-legacy";
  /** Where the legacy bundles the source link points to are (a source read through a link elsewhere is not kept). */
  static final String LEGACY = "usr/share/pki/ca-trust-legacy";
  private static final Pattern ASSIGNMENT = Pattern.compile("^(LCFILE|LLINK|LDEFAULT|LDISABLE)=(\\S+)\\s*$");
  private static final Pattern DISABLED = Pattern.compile("(?i)^legacy *= *disable *$");
  private static final Pattern SCRIPT_LINE = Pattern.compile("(/usr)?(/bin/)?(update-ca-trust( extract)?"
      + "|ca-legacy install)|if \\[ -x (/usr)?/bin/ln \\] ?; ?then|fi");

  /** The extracted files and links by path, and the directories extracted into with the names they hold. */
  record Extracted(Map<String, TrustExtract.Entry> entries, Map<String, Set<String>> directories) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ImageNeeds needs() {
    return new ImageNeeds(p -> SOURCES.stream().anyMatch(s -> p.startsWith(s + "/")) || p.equals(SCRIPT)
        || p.equals(CA_LEGACY) || p.equals("etc/pki/ca-trust/ca-legacy.conf") || p.startsWith(LEGACY + "/")
        || MODULE_CONFIGS.contains(p)
        || TRUST_MODULES.contains(p), p -> p.startsWith(EXTRACTED + "/"), p -> false);
  }

  @Override
  public boolean apply(PatchLayer layer, List<PackageChange> changes) throws IOException {
    boolean upgraded = changes.stream().anyMatch(c -> PACKAGES.contains(c.name()));
    if (!upgraded && !layer.touchesUnder(SOURCES)) {
      return true; // the trigger does not fire
    }
    if (upgraded) {
      caLegacyInstall(layer); // the package's %post runs it before update-ca-trust
    }
    LayerTree tree = layer.tree();
    Optional<byte[]> script = tree.read(SCRIPT);
    if (script.isEmpty()) {
      layer.note("/" + SCRIPT + ": not in the image; the trust sources changed but "
          + "/" + EXTRACTED + " is left as it is");
      return false;
    }
    Extracted out;
    try {
      out = extract(tree, new String(script.get(), StandardCharsets.UTF_8), layer.epoch());
    } catch (TrustExtract.Unsupported e) {
      layer.note("/" + SCRIPT + ": " + e.getMessage() + " is not reproduced; /" + EXTRACTED + " is left as it is");
      return false;
    }
    write(layer, out);
    return true;
  }

  /**
   * Whether a scriptlet body only runs what this effect reproduces: {@code ca-legacy install} and
   * {@code update-ca-trust [extract]}, as ca-certificates' %post does (Azure Linux's inside
   * {@code if [ -x /usr/bin/ln ]; then ... fi}), with {@code || :} and output to /dev/null allowed.
   */
  public static boolean covers(String body) {
    boolean any = false;
    for (String raw : body.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      line = line.replaceAll("\\s*\\|\\|\\s*(:|true|/bin/true)\\s*$", "")
          .replaceAll("\\s*[0-9&]?>\\s*/dev/null", "").replaceAll("\\s*2>&1", "").strip();
      if (!SCRIPT_LINE.matcher(line).matches()) {
        return false;
      }
      any |= line.contains("update-ca-trust");
    }
    return any;
  }

  /**
   * RHEL's {@code ca-legacy install}: {@code /etc/pki/ca-trust/source/ca-bundle.legacy.crt} linked
   * to the legacy bundle {@code /etc/pki/ca-trust/ca-legacy.conf} chooses ({@code legacy=disable},
   * else the default one), with the paths the image's script sets. Nothing without the script.
   */
  static void caLegacyInstall(PatchLayer layer) throws IOException {
    LayerTree tree = layer.tree();
    Optional<byte[]> script = tree.read(CA_LEGACY);
    if (script.isEmpty()) {
      return;
    }
    Map<String, String> vars = new LinkedHashMap<>(Map.of("LCFILE", "/etc/pki/ca-trust/ca-legacy.conf",
        "LLINK", "/etc/pki/ca-trust/source/ca-bundle.legacy.crt",
        "LDEFAULT", "/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.default.crt",
        "LDISABLE", "/usr/share/pki/ca-trust-legacy/ca-bundle.legacy.disable.crt"));
    for (String line : new String(script.get(), StandardCharsets.UTF_8).split("\n")) {
      Matcher m = ASSIGNMENT.matcher(line);
      if (m.matches()) {
        vars.put(m.group(1), m.group(2).replace("\"", ""));
      }
    }
    boolean disabled = false;
    Optional<byte[]> conf = tree.read(FsEntry.normalize(vars.get("LCFILE")));
    if (conf.isPresent()) {
      for (String line : new String(conf.get(), StandardCharsets.UTF_8).split("\n")) {
        disabled |= DISABLED.matcher(line).matches();
      }
    }
    String target = vars.get(disabled ? "LDISABLE" : "LDEFAULT");
    String link = layer.target(FsEntry.normalize(vars.get("LLINK")));
    Optional<FsEntry> old = tree.entry(link);
    if (old.isPresent() && old.get().isDirectory()) {
      layer.note("/" + link + ": a directory; ca-legacy install would link inside it, which is not reproduced");
      return;
    }
    if (old.isEmpty() || old.get().type() != FsEntry.Type.SYMLINK || !target.equals(old.get().linkTarget())) {
      parents(layer, link);
      layer.symlink(link, target, 0, 0, layer.epoch());
    }
  }

  /** Runs the steps of {@code script} over the sources of {@code tree}. */
  static Extracted extract(LayerTree tree, String script, long epochSeconds) throws IOException,
      TrustExtract.Unsupported {
    List<UpdateCaTrustScript.Step> steps = UpdateCaTrustScript.parse(script);
    String blocklist = blocklistName(tree);
    List<TrustToken> tokens = new ArrayList<>();
    for (String path : tokenPaths(tree)) {
      tokens.add(TrustToken.load(tree, path, blocklist));
    }
    Map<String, TrustExtract.Entry> entries = new LinkedHashMap<>();
    Map<String, Set<String>> directories = new LinkedHashMap<>();
    for (UpdateCaTrustScript.Step step : steps) {
      String dest = FsEntry.normalize(step.destination());
      if (step.extract() == null) {
        entries.put(dest, new TrustExtract.Entry(null, step.target()));
        Set<String> dir = directories.get(FsEntry.parent(dest));
        if (dir != null) {
          dir.add(dest.substring(dest.lastIndexOf('/') + 1));
        }
        continue;
      }
      TrustExtract.Output o = TrustExtract.run(tokens, step.extract(), epochSeconds);
      if (o.file() != null) {
        entries.put(dest, new TrustExtract.Entry(o.file(), null));
      } else {
        entries.keySet().removeIf(p -> dest.equals(FsEntry.parent(p)));
        directories.put(dest, new LinkedHashSet<>(o.directory().keySet()));
        for (Map.Entry<String, TrustExtract.Entry> e : o.directory().entrySet()) {
          entries.put(dest + "/" + e.getKey(), e.getValue());
        }
      }
    }
    return new Extracted(entries, directories);
  }

  /** The trust module's paths: its configuration's {@code x-init-reserved: paths=}, else the RHEL default. */
  static List<String> tokenPaths(LayerTree tree) throws IOException {
    for (String config : MODULE_CONFIGS) {
      Optional<byte[]> c = tree.read(config);
      if (c.isEmpty()) {
        continue;
      }
      for (String line : new String(c.get(), StandardCharsets.UTF_8).split("\n")) {
        String l = line.strip();
        if (l.startsWith("x-init-reserved:")) {
          for (String part : l.substring(16).strip().split("\\s+")) {
            if (part.startsWith("paths=")) {
              List<String> paths = new ArrayList<>();
              for (String p : part.substring(6).split(":")) {
                if (!p.isEmpty()) {
                  paths.add(FsEntry.normalize(p));
                }
              }
              return paths;
            }
          }
        }
      }
    }
    return SOURCES;
  }

  /** p11-kit 0.24 reads {@code blocklist/}, older ones {@code blacklist/}: the image's trust module says which. */
  static String blocklistName(LayerTree tree) throws IOException {
    for (String module : TRUST_MODULES) {
      Optional<byte[]> so = tree.read(module);
      if (so.isPresent()) {
        String text = new String(so.get(), StandardCharsets.ISO_8859_1);
        if (text.contains("\0blocklist\0")) {
          return "blocklist";
        }
        if (text.contains("\0blacklist\0")) {
          return "blacklist";
        }
      }
    }
    return "blocklist";
  }


  /** Puts what changed into the layer: files 0444, directory outputs 0555 holding only what was extracted. */
  private static void write(PatchLayer layer, Extracted out) throws IOException {
    LayerTree tree = layer.tree();
    for (Map.Entry<String, Set<String>> d : out.directories().entrySet()) {
      String dir = layer.target(d.getKey());
      parents(layer, dir);
      Optional<FsEntry> e = tree.entry(dir);
      if (e.isEmpty() || !e.get().isDirectory() || (e.get().mode() & 07777) != 0555) {
        layer.builder().directory(dir, 0555, 0, 0, layer.epoch());
      }
      for (String name : tree.list(dir)) {
        Optional<FsEntry> old = tree.entry(dir + "/" + name);
        if (!d.getValue().contains(name) && old.isPresent() && !old.get().isDirectory()) {
          layer.whiteout(dir + "/" + name);
        }
      }
    }
    for (Map.Entry<String, TrustExtract.Entry> e : out.entries().entrySet()) {
      String target = layer.target(e.getKey());
      parents(layer, target);
      Optional<FsEntry> old = layer.image().entry(target);
      TrustExtract.Entry entry = e.getValue();
      if (entry.link() != null) {
        if (old.isEmpty() || old.get().type() != FsEntry.Type.SYMLINK || !entry.link().equals(old.get().linkTarget())
            || layer.contains(target)) {
          layer.symlink(target, entry.link(), 0, 0, layer.epoch());
        }
      } else {
        boolean same = old.isPresent() && old.get().type() == FsEntry.Type.FILE && (old.get().mode() & 07777) == 0444
            && layer.image().md5(target).filter(m -> m.equals(md5(entry.content()))).isPresent()
            && !layer.contains(target);
        if (!same) {
          layer.bytes(target, 0444, entry.content());
        }
      }
    }
  }

  private static void parents(PatchLayer layer, String path) throws SafePath.UnsafePathException {
    String parent = FsEntry.parent(path);
    if (parent == null || parent.isEmpty() || layer.tree().entry(parent).isPresent()) {
      return;
    }
    parents(layer, parent);
    layer.directoryIfAbsent(parent, 0755, 0, 0, layer.epoch());
  }

  private static String md5(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
