package dev.imagepatch.pkg.rpmdb;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The package manifests Azure Linux / CBL-Mariner distroless images carry instead of an rpm
 * database, {@code var/lib/rpmmanifest/container-manifest-1} and {@code -2}, read and rewritten in
 * their generator's format.
 *
 * <ul>
 *   <li>{@code container-manifest-1}: {@code rpm -qa}, one NVRA per line ({@code %{nvra}}: name,
 *       version, release, arch joined as {@code N-V-R.A}).</li>
 *   <li>{@code container-manifest-2}: {@code rpm -qa --qf "%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t
 *       %{BUILDTIME}\t%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}\n"} (Azure/dalec);
 *       Copa's updater writes {@code %{EPOCH}} in column 6 instead of the literal "(none)". The epoch
 *       is column 9 (EPOCHNUM, 0 = none), as trivy reads it.</li>
 * </ul>
 *
 * <p>A manifest is kept as its lines, so an unchanged one is rewritten byte for byte; an updated
 * package's line is replaced where it stands and a new one appended, as Copa's updater does.
 */
public final class ContainerManifest {
  /** The path of the NVRA list in the image. */
  public static final String MANIFEST_1 = "var/lib/rpmmanifest/container-manifest-1";
  /** The path of the tab-separated list in the image. */
  public static final String MANIFEST_2 = "var/lib/rpmmanifest/container-manifest-2";

  /** How column 6 is written: the literal "(none)" (Azure/dalec) or {@code %{EPOCH}} (Copa). */
  public enum EpochColumn { LITERAL_NONE, EPOCH }

  /** One line of container-manifest-2: its ten columns as written. */
  public record Line(String name, String versionRelease, String installTime, String buildTime, String vendor,
      String epochColumn, String size, String arch, String epochNum, String sourceRpm) {
    /** VERSION (before the first '-': neither version nor release may hold one). */
    public String version() {
      int i = versionRelease.indexOf('-');
      return i < 0 ? versionRelease : versionRelease.substring(0, i);
    }

    /** RELEASE. */
    public String release() {
      int i = versionRelease.indexOf('-');
      return i < 0 ? "" : versionRelease.substring(i + 1);
    }

    /** The epoch (EPOCHNUM), empty when 0. */
    public Optional<Integer> epoch() {
      int e = Integer.parseInt(epochNum);
      return e == 0 ? Optional.empty() : Optional.of(e);
    }

    /** The source package's name, version and release from SOURCERPM ({@code N-V-R.src.rpm}). */
    public Optional<String[]> source() {
      String s = sourceRpm;
      if (!s.endsWith(".src.rpm") && !s.endsWith(".nosrc.rpm")) {
        return Optional.empty();
      }
      s = s.substring(0, s.lastIndexOf(s.endsWith(".src.rpm") ? ".src.rpm" : ".nosrc.rpm"));
      int r = s.lastIndexOf('-');
      int v = r < 0 ? -1 : s.lastIndexOf('-', r - 1);
      if (v < 0) {
        return Optional.empty();
      }
      return Optional.of(new String[] {s.substring(0, v), s.substring(v + 1, r), s.substring(r + 1)});
    }

    /** The line as the generator prints it, without the newline. */
    public String format() {
      return String.join("\t", name, versionRelease, installTime, buildTime, vendor, epochColumn, size, arch,
          epochNum, sourceRpm);
    }

    /** The NVRA container-manifest-1 lists for this package. */
    public String nvra() {
      return name + "-" + versionRelease + "." + arch;
    }
  }

  /** Each line of the file: a {@link Line}, or a blank line kept as its text (scanners skip them). */
  private final List<Object> items;
  private final List<Line> lines;
  private final boolean finalNewline;

  private ContainerManifest(List<Object> items, boolean finalNewline) {
    this.items = List.copyOf(items);
    List<Line> l = new ArrayList<>();
    for (Object o : items) {
      if (o instanceof Line line) {
        l.add(line);
      }
    }
    this.lines = List.copyOf(l);
    this.finalNewline = finalNewline;
  }

  /** Parses container-manifest-2. */
  public static ContainerManifest parse(byte[] content, String source) throws IOException {
    String text = new String(content, StandardCharsets.UTF_8);
    if (!java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), content)) {
      throw new IOException(source + ": not UTF-8");
    }
    List<Object> out = new ArrayList<>();
    boolean finalNewline = text.isEmpty() || text.endsWith("\n");
    String[] raw = text.split("\n", -1);
    int n = finalNewline ? raw.length - 1 : raw.length;
    for (int i = 0; i < n; i++) {
      if (raw[i].isBlank()) {
        out.add(raw[i]);
        continue;
      }
      String[] f = raw[i].split("\t", -1);
      if (f.length != 10) {
        throw new IOException(source + " line " + (i + 1) + ": " + f.length + " columns, not 10");
      }
      if (f[0].isEmpty() || !f[8].matches("[0-9]{1,10}") || Long.parseLong(f[8]) > Integer.MAX_VALUE) {
        // Checked here, not left to Line.epoch(): digits past an int made epoch() throw an unchecked
        // NumberFormatException on a manifest that had parsed (the file comes from an image).
        throw new IOException(source + " line " + (i + 1) + ": no name or no EPOCHNUM (an int)");
      }
      out.add(new Line(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]));
    }
    return new ContainerManifest(out, finalNewline || n == 0);
  }

  /** An empty manifest. */
  public static ContainerManifest empty() {
    return new ContainerManifest(List.of(), true);
  }

  /** The lines, in file order. */
  public List<Line> lines() {
    return Collections.unmodifiableList(lines);
  }

  /** container-manifest-2 as bytes. */
  public byte[] write2() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      Object o = items.get(i);
      sb.append(o instanceof Line l ? l.format() : (String) o);
      if (i < items.size() - 1 || finalNewline) {
        sb.append('\n');
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** container-manifest-1 for these packages ({@code rpm -qa}: one NVRA a line). */
  public byte[] write1() {
    StringBuilder sb = new StringBuilder();
    for (Line l : lines) {
      sb.append(l.nvra()).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Which column-6 style this manifest uses: EPOCH when some line shows an epoch there. */
  public EpochColumn epochColumn() {
    for (Line l : lines) {
      if (!l.epochColumn().equals("(none)")) {
        return EpochColumn.EPOCH;
      }
    }
    return EpochColumn.LITERAL_NONE;
  }

  /** The line rpm's query format prints for an installed header. */
  public static Line line(Header installed, EpochColumn style) {
    String epochNum = Long.toString(installed.number(Tags.EPOCH).orElse(0));
    String epoch = installed.has(Tags.EPOCH) ? epochNum : "(none)";
    return new Line(str(installed, Tags.NAME), str(installed, Tags.VERSION) + "-" + str(installed, Tags.RELEASE),
        num(installed, Tags.INSTALLTIME), num(installed, Tags.BUILDTIME), str(installed, Tags.VENDOR),
        style == EpochColumn.EPOCH ? epoch : "(none)", size(installed), str(installed, Tags.ARCH), epochNum,
        str(installed, Tags.SOURCERPM));
  }

  private static String size(Header h) {
    return num(h, Tags.SIZE); // %{SIZE} is the SIZE tag (LONGSIZE is %{LONGSIZE})
  }

  private static String str(Header h, int tag) {
    return h.string(tag).orElse("(none)");
  }

  private static String num(Header h, int tag) {
    return h.has(tag) ? Long.toString(h.number(tag).getAsLong()) : "(none)";
  }

  /**
   * This manifest with {@code line}'s package in it: the line of the same name (and arch)
   * replaced where it stands, or appended.
   */
  public ContainerManifest upsert(Line line) {
    List<Object> out = new ArrayList<>(items);
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i) instanceof Line l && l.name().equals(line.name()) && l.arch().equals(line.arch())) {
        out.set(i, line);
        return new ContainerManifest(out, finalNewline);
      }
    }
    // appended after the last package line (a trailing blank line stays last)
    int at = out.size();
    while (at > 0 && !(out.get(at - 1) instanceof Line)) {
      at--;
    }
    out.add(at, line);
    return new ContainerManifest(out, finalNewline || at == out.size() - 1);
  }

  /** This manifest without the package {@code name} (every arch). */
  public ContainerManifest remove(String name) {
    List<Object> out = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof Line l && l.name().equals(name))) {
        out.add(o);
      }
    }
    return new ContainerManifest(out, finalNewline);
  }
}
