package dev.imagepatch.patch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** A tiny Debian binary package (deb(5)), built in memory with its control fields and files. */
public final class DebBuilder {
  /** Fixed so that the same package is the same bytes, and so the same SHA256, every run. */
  private static final long MTIME = 1_700_000_000L;

  private final String name;
  private final String version;
  private final String architecture;
  private final Map<String, String> fields = new LinkedHashMap<>();
  private final Map<String, byte[]> files = new TreeMap<>();
  private final Map<String, byte[]> scripts = new TreeMap<>();
  private final List<String> conffiles = new ArrayList<>();
  /** data.tar entries written after the others, their names exactly as given (hostile packages). */
  private final List<RawEntry> raw = new ArrayList<>();
  private String controlInDeb;

  /** A data.tar entry as written: a file (link null), a symlink or a hard link. */
  private record RawEntry(String name, byte[] content, String link, boolean hard) {}

  private DebBuilder(String name, String version, String architecture) {
    this.name = name;
    this.version = version;
    this.architecture = architecture;
  }

  /** A package with no files yet. */
  public static DebBuilder deb(String name, String version, String architecture) {
    return new DebBuilder(name, version, architecture);
  }

  /** The harness's stock package: one program that says its version and architecture. */
  public static DebBuilder hello(String version, String architecture) {
    return deb("hello", version, architecture).file("/usr/bin/hello", "hello " + version + " for " + architecture + "\n");
  }

  public DebBuilder depends(String depends) {
    fields.put("Depends", depends);
    return this;
  }

  /** A regular file, {@code path} absolute as in the package's file list. */
  public DebBuilder file(String path, String content) {
    files.put(path, content.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** A file in /etc that dpkg keeps as a conffile. */
  public DebBuilder conffile(String path, String content) {
    conffiles.add(path);
    return file(path, content);
  }

  /** A data.tar file under exactly this name, after the other entries (may escape the root). */
  public DebBuilder rawFile(String tarName, String content) {
    raw.add(new RawEntry(tarName, content.getBytes(StandardCharsets.UTF_8), null, false));
    return this;
  }

  /** A data.tar symlink under exactly this name, after the other entries. */
  public DebBuilder rawSymlink(String tarName, String target) {
    raw.add(new RawEntry(tarName, new byte[0], target, false));
    return this;
  }

  /** A data.tar hard link under exactly this name, after the other entries. */
  public DebBuilder rawHardlink(String tarName, String target) {
    raw.add(new RawEntry(tarName, new byte[0], target, true));
    return this;
  }

  /** The control file the .deb carries instead of {@link #control()} (which the index still publishes). */
  public DebBuilder controlInDeb(String control) {
    this.controlInDeb = control;
    return this;
  }

  /** A maintainer script (preinst, postinst, ...). */
  public DebBuilder script(String script, String content) {
    scripts.put(script, content.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String architecture() {
    return architecture;
  }

  /** The pool path a repository serves the package under; without the epoch, as Debian's archive names it. */
  public String filename() {
    String name = this.name.replace('/', '_');
    char initial = Character.isLetterOrDigit(name.charAt(0)) ? name.charAt(0) : '_';
    return "pool/main/" + initial + "/" + name + "/" + name + "_" + version.replaceFirst("^[0-9]+:", "") + "_"
        + architecture + ".deb";
  }

  /** The control file, as dpkg-deb --field prints it. */
  public String control() {
    StringBuilder out = new StringBuilder();
    out.append("Package: ").append(name).append('\n').append("Version: ").append(version).append('\n')
        .append("Architecture: ").append(architecture).append('\n')
        .append("Maintainer: imagepatch tests <tests@imagepatch.dev>\n")
        .append("Installed-Size: 1\n");
    fields.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
    return out.append("Description: ").append(name).append(" for the engine tests\n").toString();
  }

  /** The package's stanza in {@code /var/lib/dpkg/status} once installed, conffiles with their MD5s. */
  public String installedStanza() {
    StringBuilder out = new StringBuilder(control().replaceFirst("\n", "\nStatus: install ok installed\n"));
    if (!conffiles.isEmpty()) {
      out.append("Conffiles:\n");
      conffiles.forEach(c -> out.append(' ').append(c).append(' ').append(hex("MD5", files.get(c))).append('\n'));
    }
    return out.append('\n').toString();
  }

  /** The package's files with their content. */
  public Map<String, byte[]> files() {
    return files;
  }

  /** What dpkg writes to {@code info/NAME.list}: the data.tar's members in archive order (directories first). */
  public List<String> list() {
    TreeSet<String> dirs = new TreeSet<>();
    for (String f : files.keySet()) {
      for (int i = f.indexOf('/', 1); i > 0; i = f.indexOf('/', i + 1)) {
        dirs.add(f.substring(0, i));
      }
    }
    List<String> out = new ArrayList<>(List.of("/."));
    out.addAll(dirs);
    out.addAll(files.keySet());
    return out;
  }

  /** The md5sums member: {@code MD5  path} without the leading slash, conffiles excluded as dpkg-deb does. */
  public String md5sums() {
    StringBuilder out = new StringBuilder();
    files.forEach((path, content) -> {
      if (!conffiles.contains(path)) {
        out.append(hex("MD5", content)).append("  ").append(path.substring(1)).append('\n');
      }
    });
    return out.toString();
  }

  /** The .deb: debian-binary, control.tar.gz, data.tar.gz. */
  public byte[] build() throws IOException {
    Map<String, byte[]> control = new TreeMap<>();
    control.put("./control", (controlInDeb != null ? controlInDeb : control()).getBytes(StandardCharsets.UTF_8));
    control.put("./md5sums", md5sums().getBytes(StandardCharsets.UTF_8));
    if (!conffiles.isEmpty()) {
      control.put("./conffiles", (String.join("\n", conffiles) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    scripts.forEach((script, content) -> control.put("./" + script, content));
    Map<String, byte[]> data = new TreeMap<>();
    files.forEach((path, content) -> data.put("." + path, content));
    ByteArrayOutputStream deb = new ByteArrayOutputStream();
    try (ArArchiveOutputStream ar = new ArArchiveOutputStream(deb)) {
      member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
      member(ar, "control.tar.gz", tarGz(control, List.of()));
      member(ar, "data.tar.gz", tarGz(data, raw));
    }
    return deb.toByteArray();
  }

  private static void member(ArArchiveOutputStream ar, String name, byte[] content) throws IOException {
    ar.putArchiveEntry(new ArArchiveEntry(name, content.length, 0, 0, 0100644, MTIME));
    ar.write(content);
    ar.closeArchiveEntry();
  }

  /** A tar as dpkg-deb writes one: {@code ./}-relative, parents before children, root-owned. */
  private static byte[] tarGz(Map<String, byte[]> entries, List<RawEntry> raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TreeSet<String> dirs = new TreeSet<>(List.of("./"));
      for (String path : entries.keySet()) {
        for (int i = path.indexOf('/', 2); i > 0; i = path.indexOf('/', i + 1)) {
          dirs.add(path.substring(0, i + 1));
        }
      }
      for (String dir : dirs) {
        TarArchiveEntry e = new TarArchiveEntry(dir);
        e.setMode(040755);
        e.setModTime(MTIME * 1000);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, byte[]> f : entries.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        boolean executable = f.getKey().matches("\\./(preinst|postinst|prerm|postrm|config)|.*/bin/.*");
        e.setMode(executable ? 0100755 : 0100644);
        e.setSize(f.getValue().length);
        e.setModTime(MTIME * 1000);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
      for (RawEntry r : raw) {
        TarArchiveEntry e = r.link == null ? new TarArchiveEntry(r.name, true)
            : new TarArchiveEntry(r.name, r.hard ? TarConstants.LF_LINK : TarConstants.LF_SYMLINK, true);
        if (r.link == null) {
          e.setMode(0100644);
          e.setSize(r.content.length);
        } else {
          e.setLinkName(r.link);
          e.setMode(r.hard ? 0100644 : 0120777);
        }
        e.setModTime(MTIME * 1000);
        tar.putArchiveEntry(e);
        tar.write(r.content);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  static String hex(String algorithm, byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
