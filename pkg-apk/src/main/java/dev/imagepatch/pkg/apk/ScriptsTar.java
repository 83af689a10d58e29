package dev.imagepatch.pkg.apk;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code lib/apk/db/scripts.tar}: the scripts of every installed package, as apk-tools 2 keeps them.
 * Entry names are {@code <name>-<version>.<Q1checksum>.<action>}; apk rewrites the whole file on
 * every commit ({@code apk_db_scriptdb_write}, {@code src/database.c}): for each installed package in
 * installed order, its scripts in the order of apk's script enum ({@link #ACTIONS}), each a
 * {@code apk_tar_write_entry} ({@code src/tar.c}) header: name (at most 99 bytes, {@code strlcpy}),
 * mode 0755, uid and gid 0, uname and gname "root", size, the same mtime for every entry (2.10:
 * the time of the commit; 2.12+: {@code SOURCE_DATE_EPOCH} or now), magic {@code "ustar  "}, octal
 * fields zero-padded and NUL-ended, checksum {@code %06o\0 }; the data padded to 512 bytes; two zero
 * blocks at the end and no padding to a 10240-byte record. Written with the original mtime, an
 * unchanged file comes back byte for byte.
 */
public final class ScriptsTar {
  /** apk's script enum ({@code apk_script_types}, {@code src/package.c}), the order of a package's entries. */
  public static final List<String> ACTIONS = List.of("pre-install", "post-install", "pre-deinstall",
      "post-deinstall", "pre-upgrade", "post-upgrade", "trigger");

  /** One script: {@code nameVersion} is {@code <name>-<version>}, {@code checksum} the package's {@code Q1...}. */
  public record Script(String nameVersion, String checksum, String action, byte[] content) {
    public Script {
      Objects.requireNonNull(nameVersion);
      Objects.requireNonNull(checksum);
      if (!ACTIONS.contains(action)) {
        throw new IllegalArgumentException("not an apk script action: " + action);
      }
      content = content.clone();
    }

    /** The tar entry's name, {@code <name>-<version>.<Q1checksum>.<action>}. */
    public String entryName() {
      return nameVersion + "." + checksum + "." + action;
    }

    @Override
    public byte[] content() {
      return content.clone();
    }
  }

  private final List<Script> scripts;
  private final long mtime;

  private ScriptsTar(List<Script> scripts, long mtime) {
    this.scripts = List.copyOf(scripts);
    this.mtime = mtime;
  }

  /** An empty one. */
  public static ScriptsTar empty() {
    return new ScriptsTar(List.of(), 0);
  }

  /**
   * Reads the file as {@code apk_read_script_archive_entry} does: regular entries named
   * {@code <anything>.<checksum>.<action>} with a known action; others are passed over, as apk does.
   */
  public static ScriptsTar read(byte[] tar, String source) throws IOException {
    List<Script> out = new ArrayList<>();
    long mtime = 0;
    boolean first = true;
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (!e.isFile()) {
          continue;
        }
        String name = e.getName();
        int action = name.lastIndexOf('.');
        int sum = action > 0 ? name.lastIndexOf('.', action - 1) : -1;
        if (sum < 0 || !ACTIONS.contains(name.substring(action + 1))) {
          continue;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        out.add(new Script(name.substring(0, sum), name.substring(sum + 1, action), name.substring(action + 1),
            b.toByteArray()));
        if (first) {
          mtime = e.getModTime().toInstant().getEpochSecond();
          first = false;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException(source + ": not a tar apk can read: " + e.getMessage(), e);
    }
    return new ScriptsTar(out, mtime);
  }

  /** The scripts in the file's order. */
  public List<Script> scripts() {
    return scripts;
  }

  /** The scripts of the package with {@code checksum}, in the file's order. */
  public List<Script> scripts(String checksum) {
    return scripts.stream().filter(s -> s.checksum().equals(checksum)).toList();
  }

  /** The mtime of the first entry read (0 when empty): what apk wrote them all with. */
  public long mtime() {
    return mtime;
  }

  /**
   * The file apk writes for {@code installed}: every installed package's scripts in installed order,
   * actions in {@link #ACTIONS} order. A package's scripts come from {@code added} (by checksum:
   * file names as in the control tar, {@code ".post-install"}, or action names) when it is there,
   * else from this file; scripts of packages no longer installed (an upgrade's old version) are
   * dropped, as apk drops them when it reads the file.
   */
  public ScriptsTar update(InstalledDatabase installed, Map<String, Map<String, byte[]>> added) {
    List<Script> out = new ArrayList<>();
    for (InstalledPackage p : installed.packages()) {
      String sum = p.header().checksum();
      Map<String, byte[]> byAction = new HashMap<>();
      if (added.containsKey(sum)) {
        for (Map.Entry<String, byte[]> s : added.get(sum).entrySet()) {
          String action = s.getKey().startsWith(".") ? s.getKey().substring(1) : s.getKey();
          if (ACTIONS.contains(action)) {
            byAction.put(action, s.getValue());
          }
        }
      } else {
        for (Script s : scripts(sum)) {
          byAction.put(s.action(), s.content);
        }
      }
      for (String action : ACTIONS) {
        if (byAction.containsKey(action)) {
          out.add(new Script(p.name() + "-" + p.version(), sum, action, byAction.get(action)));
        }
      }
    }
    return new ScriptsTar(out, mtime);
  }

  /** The file's bytes as {@code apk_db_scriptdb_write} writes them, every entry with {@code mtime}. */
  public byte[] write(long mtime) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Script s : scripts) {
      byte[] h = new byte[512];
      byte[] name = s.entryName().getBytes(StandardCharsets.UTF_8);
      System.arraycopy(name, 0, h, 0, Math.min(name.length, 99));
      octal(h, 100, 8, 0755);
      octal(h, 108, 8, 0);
      octal(h, 116, 8, 0);
      octal(h, 124, 12, s.content.length);
      octal(h, 136, 12, mtime);
      h[156] = '0';
      byte[] magic = "ustar  ".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(magic, 0, h, 257, magic.length);
      h[265] = 'r';
      h[266] = 'o';
      h[267] = 'o';
      h[268] = 't';
      h[297] = 'r';
      h[298] = 'o';
      h[299] = 'o';
      h[300] = 't';
      for (int i = 148; i < 156; i++) {
        h[i] = ' ';
      }
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      octal(h, 148, 7, sum);
      out.writeBytes(h);
      out.writeBytes(s.content);
      int pad = (512 - s.content.length % 512) % 512;
      out.writeBytes(new byte[pad]);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  /** apk's put_octal: {@code size - 1} zero-padded octal digits and a NUL. */
  private static void octal(byte[] h, int off, int size, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > size - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a " + size + "-byte tar field");
    }
    String padded = "0".repeat(size - 1 - digits.length()) + digits;
    for (int i = 0; i < size - 1; i++) {
      h[off + i] = (byte) padded.charAt(i);
    }
    h[off + size - 1] = 0;
  }
}
