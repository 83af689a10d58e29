package dev.imagepatch.patch.testing;

import dev.imagepatch.pkg.apk.ApkEntry;
import dev.imagepatch.pkg.apk.ApkRecord;
import dev.imagepatch.pkg.apk.InstalledPackage;
import dev.imagepatch.pkg.apk.PkgInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A v2 {@code .apk} built in memory, as abuild makes one: three gzip members, the signature tar
 * ({@code .SIGN.RSA.<key>}: SHA1withRSA over the control member's compressed bytes; cut, without
 * the end blocks), the control tar ({@code .PKGINFO} with the {@code datahash} of the data member,
 * and the scripts; cut) and the data tar (directories before what they hold, each file and symlink
 * with its {@code APK-TOOLS.checksum.SHA1} PAX record). Everything is written here with the JDK and
 * commons-compress, not with the code under test.
 */
public final class ApkBuilder {
  /** Fixed so that a package is the same bytes (and so the same C: checksum) for the same key. */
  public static final long MTIME = 1_700_000_000L;
  static final String CHECKSUM = "APK-TOOLS.checksum.SHA1";

  private final String name;
  private final String version;
  private final String arch;
  private String origin;
  private final List<String> depends = new ArrayList<>();
  private final List<String> provides = new ArrayList<>();
  private final List<String> replaces = new ArrayList<>();
  private final List<String> installIf = new ArrayList<>();
  private String triggers;
  private int providerPriority;
  private final Map<String, Node> nodes = new TreeMap<>();
  private final Map<String, byte[]> scripts = new LinkedHashMap<>();
  private final List<Node> raw = new ArrayList<>();

  /** One data tar entry: a file (content), a symlink (link) or a directory (dir). */
  private record Node(String path, byte[] content, String link, boolean dir, int mode) {}

  /** One package built: its file, its C: checksum, its index stanza and what apk would record for it. */
  public record Built(ApkBuilder source, byte[] bytes, String checksum, String stanza, PkgInfo pkgInfo,
      List<ApkEntry> entries) {
    /** The index stanza as an ApkRecord. */
    public ApkRecord record() {
      List<ApkRecord.Field> fields = new ArrayList<>();
      for (String line : stanza.split("\n")) {
        fields.add(new ApkRecord.Field(line.charAt(0), line.substring(2)));
      }
      return ApkRecord.of(fields, "fixture stanza of " + source.name);
    }

    /** The record of {@code lib/apk/db/installed} apk writes once this package is installed (from repository {@code tag}). */
    public InstalledPackage installed(String tag) {
      return InstalledPackage.installed(record(), pkgInfo, entries, tag);
    }

    public String fileName() {
      return source.name + "-" + source.version + ".apk";
    }
  }

  private ApkBuilder(String name, String version, String arch) {
    this.name = name;
    this.version = version;
    this.arch = arch;
    this.origin = name;
  }

  public static ApkBuilder apk(String name, String version, String arch) {
    return new ApkBuilder(name, version, arch);
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String arch() {
    return arch;
  }

  public ApkBuilder origin(String origin) {
    this.origin = origin;
    return this;
  }

  /** {@code depend = ...} lines, apk's syntax ({@code so:libc.musl-x86_64.so.1}, {@code foo>=1.2}, {@code !bar}). */
  public ApkBuilder depends(String... deps) {
    depends.addAll(List.of(deps));
    return this;
  }

  public ApkBuilder provides(String... p) {
    provides.addAll(List.of(p));
    return this;
  }

  public ApkBuilder replaces(String... r) {
    replaces.addAll(List.of(r));
    return this;
  }

  public ApkBuilder installIf(String... i) {
    installIf.addAll(List.of(i));
    return this;
  }

  public ApkBuilder providerPriority(int k) {
    this.providerPriority = k;
    return this;
  }

  /** The {@code triggers = } globs (directories), space-separated; needs a {@code .trigger} script. */
  public ApkBuilder triggers(String globs) {
    this.triggers = globs;
    return this;
  }

  /** A regular file, path relative ({@code usr/bin/hello}); mode 0755 under a bin directory, else 0644. */
  public ApkBuilder file(String path, String content) {
    return file(path, content, path.matches("(.*/)?s?bin/.*") ? 0755 : 0644);
  }

  public ApkBuilder file(String path, String content, int mode) {
    nodes.put(path, new Node(path, content.getBytes(StandardCharsets.UTF_8), null, false, mode));
    return this;
  }

  public ApkBuilder symlink(String path, String target) {
    nodes.put(path, new Node(path, new byte[0], target, false, 0777));
    return this;
  }

  /** A directory entry with its mode (parents of files get 0755 entries anyway). */
  public ApkBuilder dir(String path, int mode) {
    nodes.put(path, new Node(path, new byte[0], null, true, mode));
    return this;
  }

  /** A control script: {@code .post-upgrade}, {@code .trigger}, ... */
  public ApkBuilder script(String name, String content) {
    scripts.put(name.startsWith(".") ? name : "." + name, content.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** A data tar file under exactly this name, after the others and with its checksum (hostile packages). */
  public ApkBuilder rawFile(String tarName, String content) {
    raw.add(new Node(tarName, content.getBytes(StandardCharsets.UTF_8), null, false, 0644));
    return this;
  }

  /** The package's regular files by path, with their content. */
  public Map<String, byte[]> files() {
    Map<String, byte[]> out = new TreeMap<>();
    nodes.values().stream().filter(n -> !n.dir && n.link == null).forEach(n -> out.put(n.path, n.content));
    return out;
  }

  /** The package's symlinks by path, with their targets. */
  public Map<String, String> symlinks() {
    Map<String, String> out = new TreeMap<>();
    nodes.values().stream().filter(n -> n.link != null).forEach(n -> out.put(n.path, n.link));
    return out;
  }

  public Map<String, byte[]> scripts() {
    return scripts;
  }

  /** The data tar's entries in order: each directory (implied ones 0755) before what it holds. */
  private List<Node> dataNodes() {
    TreeSet<String> dirs = new TreeSet<>();
    for (String p : nodes.keySet()) {
      for (int i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
        dirs.add(p.substring(0, i));
      }
    }
    nodes.values().stream().filter(Node::dir).forEach(n -> dirs.add(n.path));
    Map<String, Node> all = new TreeMap<>();
    for (String d : dirs) {
      Node given = nodes.get(d);
      all.put(d, given != null && given.dir ? given : new Node(d, new byte[0], null, true, 0755));
    }
    nodes.values().stream().filter(n -> !n.dir).forEach(n -> all.put(n.path, n));
    // TreeMap order puts "usr" before "usr/bin" before "usr/bin/x": parents first.
    List<Node> out = new ArrayList<>(all.values());
    out.addAll(raw);
    return out;
  }

  /** Builds the package, signed by {@code key} under {@code keyName} (null key: unsigned). */
  public Built build(KeyPair key, String keyName) {
    List<Node> data = dataNodes();
    byte[] dataMember = gzip(tar(data, false, true));
    long size = data.stream().mapToLong(n -> n.content.length).sum();
    StringBuilder pkginfo = new StringBuilder("# Generated by the imagepatch engine tests\n")
        .append("pkgname = ").append(name).append('\n')
        .append("pkgver = ").append(version).append('\n')
        .append("pkgdesc = ").append(name).append(" for the engine tests\n")
        .append("url = https://imagepatch.dev/\n")
        .append("builddate = ").append(MTIME).append('\n')
        .append("packager = imagepatch tests <tests@imagepatch.dev>\n")
        .append("size = ").append(size).append('\n')
        .append("arch = ").append(arch).append('\n')
        .append("origin = ").append(origin).append('\n')
        .append("commit = ").append(hex("SHA-1", (name + version).getBytes(StandardCharsets.UTF_8))).append('\n')
        .append("maintainer = imagepatch tests <tests@imagepatch.dev>\n")
        .append("license = MIT\n");
    if (providerPriority != 0) {
      pkginfo.append("provider_priority = ").append(providerPriority).append('\n');
    }
    replaces.forEach(r -> pkginfo.append("replaces = ").append(r).append('\n'));
    if (triggers != null) {
      pkginfo.append("triggers = ").append(triggers).append('\n');
    }
    installIf.forEach(i -> pkginfo.append("install_if = ").append(i).append('\n'));
    depends.forEach(d -> pkginfo.append("depend = ").append(d).append('\n'));
    provides.forEach(p -> pkginfo.append("provides = ").append(p).append('\n'));
    pkginfo.append("datahash = ").append(hex("SHA-256", dataMember)).append('\n');
    List<Node> control = new ArrayList<>();
    control.add(new Node(".PKGINFO", pkginfo.toString().getBytes(StandardCharsets.UTF_8), null, false, 0644));
    scripts.forEach((n, c) -> control.add(new Node(n, c, null, false, 0755)));
    byte[] controlMember = gzip(tar(control, true, false));
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    if (key != null) {
      file.writeBytes(signatureMember(key, keyName, controlMember));
    }
    file.writeBytes(controlMember);
    file.writeBytes(dataMember);
    byte[] bytes = file.toByteArray();
    String checksum = q1(controlMember);
    StringBuilder stanza = new StringBuilder().append("C:").append(checksum).append("\nP:").append(name)
        .append("\nV:").append(version).append("\nA:").append(arch).append("\nS:").append(bytes.length)
        .append("\nI:").append(size).append("\nT:").append(name).append(" for the engine tests")
        .append("\nU:https://imagepatch.dev/\nL:MIT\no:").append(origin)
        .append("\nm:imagepatch tests <tests@imagepatch.dev>\nt:").append(MTIME)
        .append("\nc:").append(hex("SHA-1", (name + version).getBytes(StandardCharsets.UTF_8)));
    if (providerPriority != 0) {
      stanza.append("\nk:").append(providerPriority);
    }
    if (!depends.isEmpty()) {
      stanza.append("\nD:").append(String.join(" ", depends));
    }
    if (!provides.isEmpty()) {
      stanza.append("\np:").append(String.join(" ", provides));
    }
    if (!installIf.isEmpty()) {
      stanza.append("\ni:").append(String.join(" ", installIf));
    }
    stanza.append('\n');
    List<ApkEntry> entries = new ArrayList<>();
    for (Node n : data) {
      ApkEntry.Type type = n.dir ? ApkEntry.Type.DIRECTORY : n.link != null ? ApkEntry.Type.SYMLINK : ApkEntry.Type.FILE;
      String sum = n.dir ? null : hex("SHA-1", n.link != null ? n.link.getBytes(StandardCharsets.UTF_8) : n.content);
      entries.add(new ApkEntry(n.path, type, n.mode, 0, 0, MTIME, n.content.length, n.link, sum,
          sum == null ? Map.of() : Map.of(CHECKSUM, sum)));
    }
    PkgInfo info = PkgInfo.parse(pkginfo.toString(), ".PKGINFO of " + name);
    return new Built(this, bytes, checksum, stanza.toString(), info, entries);
  }

  /** A signature member: a cut tar of one {@code .SIGN.RSA.<keyName>}, SHA1withRSA over {@code signed}. */
  public static byte[] signatureMember(KeyPair key, String keyName, byte[] signed) {
    try {
      Signature s = Signature.getInstance("SHA1withRSA");
      s.initSign(key.getPrivate());
      s.update(signed);
      byte[] sig = s.sign();
      return gzip(tar(List.of(new Node(".SIGN.RSA." + keyName, sig, null, false, 0644)), true, false));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A tar of {@code nodes}; {@code cut}: without the end-of-archive blocks; {@code sums}: with apk's PAX checksums. */
  static byte[] tar(List<Node> nodes, boolean cut, boolean sums) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Node n : nodes) {
        TarArchiveEntry e;
        if (n.dir) {
          e = new TarArchiveEntry(n.path + "/", true);
          e.setMode(040000 | n.mode);
        } else if (n.link != null) {
          e = new TarArchiveEntry(n.path, TarConstants.LF_SYMLINK, true);
          e.setLinkName(n.link);
          e.setMode(0120000 | n.mode);
          if (sums) {
            e.addPaxHeader(CHECKSUM, hex("SHA-1", n.link.getBytes(StandardCharsets.UTF_8)));
          }
        } else {
          e = new TarArchiveEntry(n.path, true);
          e.setMode(0100000 | n.mode);
          e.setSize(n.content.length);
          if (sums) {
            e.addPaxHeader(CHECKSUM, hex("SHA-1", n.content));
          }
        }
        e.setModTime(MTIME * 1000);
        e.setUserName("root");
        e.setGroupName("root");
        tar.putArchiveEntry(e);
        tar.write(n.content);
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    byte[] b = out.toByteArray();
    return cut ? Arrays.copyOf(b, b.length - 1024) : b;
  }

  /** A tar (not cut, as apk index writes one) of named files, for an APKINDEX member. */
  static byte[] plainTar(Map<String, byte[]> files) {
    List<Node> n = new ArrayList<>();
    files.forEach((k, v) -> n.add(new Node(k, v, null, false, 0644)));
    return tar(n, false, false);
  }

  static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static String q1(byte[] b) {
    try {
      return "Q1" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(String algorithm, byte[] content) {
    return DebBuilder.hex(algorithm, content);
  }

  @Override
  public String toString() {
    return name + "-" + version + " (" + arch + ")";
  }

  static String hexOf(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
