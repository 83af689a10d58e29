package dev.imagepatch.patch.deb;
import dev.imagepatch.pkg.deb.StatusStanzas;

import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.spi.PatchLayer;import dev.imagepatch.patch.effects.LayerTree;
import dev.imagepatch.patch.effects.PythonByteCode;
import dev.imagepatch.patch.effects.ElfInfo;
import dev.imagepatch.patch.effects.LdCache;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.layer.SafePath;
import dev.imagepatch.pkg.deb.DpkgFields;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import dev.imagepatch.pkg.deb.InstalledPackage;
import dev.imagepatch.pkg.deb.Paragraph;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The patch layer of a Debian image: the files of each upgraded or new package as dpkg would
 * unpack them over the image, whiteouts for the files the old versions had and the new ones lack,
 * conffiles as {@code dpkg --force-confold} treats them, and the dpkg database as dpkg would
 * leave it (status or status.d, info files). Every path goes through the image's directory
 * symlinks, so a usrmerged {@code /lib} stays a symlink.
 */
final class DebianLayer {
  private static final String INFO = "var/lib/dpkg/info/";
  private static final Set<String> SCRIPTS = Set.of("preinst", "postinst", "prerm", "postrm", "config");
  static final String TRIGGERS_DIR = "var/lib/dpkg/triggers";

  /** One package to put in the layer: the installed version it replaces (null for a new one) and the new .deb. */
  record Change(InstalledPackage old, DebArchive deb) {}

  private final PatchLayer out;
  private final MergedFilesystem fs;
  private final DpkgDatabase db;
  private final DpkgOverrides overrides;
  private final List<Change> changes = new ArrayList<>();
  private final Map<Change, List<String>> lists = new LinkedHashMap<>();
  private final Map<String, Paragraph> newStanzas = new LinkedHashMap<>();
  /** Per package, the MD5 of each regular file in archive order, for packages that ship no md5sums. */
  private final Map<String, Map<String, String>> md5ByPackage = new HashMap<>();
  /** Per package, the obsolete conffiles dpkg keeps (path, recorded hash), in its order. */
  private final Map<String, Map<String, String>> obsoleteByPackage = new HashMap<>();
  /** The maintainer scripts whose work this layer has done, as "package script". */
  private final Set<String> reproduced = new HashSet<>();

  /** Writes into {@code out}, over the image whose dpkg database is {@code db}. */
  DebianLayer(PatchLayer out, DpkgDatabase db) {
    this.out = out;
    this.fs = out.image();
    this.overrides = DpkgOverrides.read(fs.content(DpkgOverrides.DIVERSIONS).orElse(null),
        fs.content(DpkgOverrides.STATOVERRIDE).orElse(null), fs.content(DpkgOverrides.PASSWD).orElse(null),
        fs.content(DpkgOverrides.GROUP).orElse(null));
    this.db = db;
  }

  /**
   * Unpacks the changes and runs the configuration steps dpkg's scripts would; all at once, since
   * whiteouts depend on what every new version writes.
   */
  void unpackAll(List<Change> all) throws IOException {
    changes.addAll(all);
    for (Change c : all) {
      lists.put(c, unpack(c));
    }
    Set<String> keptByOthers = pathsOfUnchangedPackages();
    for (Change c : all) {
      Map<String, String> obsolete = obsoleteConffiles(c, lists.get(c));
      whiteoutRemoved(c, lists.get(c), keptByOthers, obsolete.keySet());
      removeOnUpgrade(c);
      if (!obsolete.isEmpty()) {
        // dpkg keeps them on disk and in the package's list, after the new version's files.
        obsolete.keySet().forEach(path -> lists.get(c).add("/" + path));
        String name = c.deb().packageName();
        newStanzas.put(name, StatusStanzas.withObsolete(newStanzas.get(name), obsolete));
        obsoleteByPackage.put(name, obsolete);
      }
    }
    for (Change c : all) {
      writeInfo(c, lists.get(c));
    }
    if (all.stream().anyMatch(c -> c.deb().packageName().equals(CaCertificates.PACKAGE))) {
      configureCaCertificates();
      CaCertificates.TRIGGERS.forEach(out::applied);
      reproduced.add(CaCertificates.PACKAGE + " postinst");
      // The config script's work (which certificates to trust) is part of what the postinst step does.
      reproduced.add(CaCertificates.PACKAGE + " config");
    }
    Optional<Change> tzdata = all.stream().filter(c -> c.deb().packageName().equals(Tzdata.PACKAGE)).findFirst();
    if (tzdata.isPresent() && !db.distroless()) {
      Tzdata.Outcome tz = Tzdata.configure(out.tree(), tzdata.get().deb().controlMembers().get("config"),
          fs.content(CaCertificates.DEBCONF).orElse(null));
      if (tz.localtime() != null) {
        out.builder().symlink(Tzdata.LOCALTIME, tz.localtime(), 0, 0, out.epoch());
      }
      byte[] timezone = tz.timezone().getBytes(StandardCharsets.UTF_8);
      if (!java.util.Arrays.equals(fs.content(Tzdata.TIMEZONE).orElse(null), timezone)) {
        out.bytes(Tzdata.TIMEZONE, 0644, timezone);
      }
      reproduced.add(Tzdata.PACKAGE + " config");
      // The postinst's dpkg-maintscript-helper lines finish conversions begun before 2022g-1.
      if (tzdata.get().old() != null
          && dev.imagepatch.pkg.version.DebianVersion.ORDER.compare(tzdata.get().old().version(), "2022g-1~") >= 0) {
        reproduced.add(Tzdata.PACKAGE + " postinst");
      }
    }
    if (!db.distroless()) {
      updateAlternatives();
    }
  }

  /** The dpkg database as dpkg leaves it, once the effects have run; and the scripts not run. */
  void writeDatabase() throws IOException {
    writeDatabase(lists);
    reportScripts();
    checkDatabase();
  }

  /**
   * The database the layer wrote, read back with the parser that reads images before the layer is
   * sealed: each stanza one Package of a valid name, version and architecture, each file list of
   * valid paths. What dpkg would refuse fails the patch.
   */
  private void checkDatabase() throws IOException {
    if (db.distroless()) {
      Map<String, String> files = new LinkedHashMap<>();
      for (Change c : changes) {
        String name = c.old() != null && c.old().statusFile() != null ? c.old().statusFile() : c.deb().packageName();
        out.generated("var/lib/dpkg/status.d/" + name).ifPresent(b -> files.put(name, utf8(b)));
      }
      DpkgDatabase.ofStatusD(files);
      return;
    }
    for (String file : List.of("var/lib/dpkg/status", "var/lib/dpkg/status-old")) {
      Optional<byte[]> bytes = out.generated(file);
      if (bytes.isPresent()) {
        String source = "the patch layer's /" + file;
        // As the image's own status is read: every name checked, every installed stanza in full (dpkg
        // keeps "not-installed" stanzas without a Version); and the stanzas this layer wrote in full.
        for (Paragraph p : DpkgDatabase.ofStatus(utf8(bytes.get()), source).stanzas()) {
          if (changes.stream().anyMatch(c -> c.deb().packageName().equals(p.require("Package")))) {
            DpkgFields.check(p, source);
          }
        }
      }
    }
    for (Change c : changes) {
      String list = INFO + infoName(c.deb()) + ".list";
      for (String line : utf8(out.generated(list).orElse(new byte[0])).split("\n", -1)) {
        if (!line.isEmpty() && !line.startsWith("/")) {
          throw new IOException("/" + list + ": " + SafePath.printable(line) + " is not an absolute path");
        }
        checkedLine(list, line);
      }
    }
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String infoName(DebArchive deb) {
    return deb.control().get("Multi-Arch").map(String::strip).orElse("no").equals("same")
        ? deb.packageName() + ":" + deb.architecture() : deb.packageName();
  }

  /** The trust store as ca-certificates' postinst leaves it; see {@link CaCertificates}. */
  private void configureCaCertificates() throws IOException {
    // Distroless images too: their builders ran update-ca-certificates (or its equivalent) once, and the
    // withdrawn roots must leave their bundle as they leave a full image's.
    CaCertificates.Outcome o = CaCertificates.configure(out.tree());
    if (o.conf() != null) {
      if (o.confOld() != null) {
        int mode = fs.entry(CaCertificates.CONF).map(FsEntry::mode).orElse(0644);
        out.bytes(CaCertificates.CONF + ".dpkg-old", mode, o.confOld());
      }
      out.bytes(CaCertificates.CONF, 0644, o.conf());
    }
    if (fs.entry(CaCertificates.LOCAL).isEmpty() && !out.contains(CaCertificates.LOCAL)) {
      // The postinst makes the directory for local certificates with /usr/local's mode and group.
      fs.entry("usr/local").filter(FsEntry::isDirectory).ifPresent(local ->
          out.builder().directory(CaCertificates.LOCAL, local.mode(), 0, local.gid(), out.epoch()));
    }
    String etc = fs.resolveParent(CaCertificates.ETC + "/x");
    String dir = etc.substring(0, etc.length() - 2);
    o.removed().forEach(name -> out.whiteout(dir + "/" + name));
    o.links().forEach((name, target) -> out.builder().symlink(dir + "/" + name, target, 0, 0, out.epoch()));
    if (o.bundle() != null) {
      out.bytes(dir + "/" + CaCertificates.BUNDLE, 0644, o.bundle());
    }
    o.notes().forEach(out::note);
  }

  /** The postinsts' {@code update-alternatives --install} calls; see {@link Alternatives}. */
  private void updateAlternatives() throws IOException {
    List<Alternatives.Install> installs = new ArrayList<>();
    for (Change c : changes) {
      Alternatives.Calls calls = Alternatives.parse(c.deb().controlMembers().get("postinst"));
      if (!calls.understood()) {
        out.notRun(new ScriptNotRun(c.deb().packageName(), "postinst: update-alternatives built from shell"
            + " variables; the alternatives are left as they were"));
      }
      installs.addAll(calls.installs());
    }
    if (installs.isEmpty()) {
      return;
    }
    Alternatives.Outcome o = Alternatives.apply(out.tree(), installs);
    o.adminFiles().forEach((path, content) -> out.bytes(path, 0644, content));
    o.removed().forEach(p -> out.whiteout(fs.resolveParent(p)));
    o.links().forEach((link, target) -> out.builder().symlink(fs.resolveParent(link), target, 0, 0, out.epoch()));
    if (!o.adminFiles().isEmpty() || !o.links().isEmpty()) {
      out.note("alternatives updated as update-alternatives would: " + String.join(", ", o.adminFiles().keySet()
          .stream().map(p -> p.substring(Alternatives.ADMIN.length())).toList()));
    }
  }

  /**
   * One note per maintainer script an apt upgrade would run that this layer did not reproduce:
   * the old version's prerm and postrm, the new one's preinst, config and postinst.
   */
  private void reportScripts() {
    for (Change c : changes) {
      String name = c.deb().packageName();
      for (String script : List.of("preinst", "config", "postinst")) {
        if (c.deb().controlMembers().containsKey(script) && !reproduced.contains(name + " " + script)) {
          out.notRun(new ScriptNotRun(name, script));
        }
      }
      if (c.old() != null) {
        for (String script : List.of("prerm", "postrm")) {
          if (fs.entry(INFO + c.old().infoName() + "." + script).isPresent()) {
            out.notRun(new ScriptNotRun(name, script + " of " + c.old().version()));
          }
        }
      }
    }
  }

  /** Writes the package's entries; returns its file list as dpkg records it. */
  private List<String> unpack(Change c) throws IOException {
    DebArchive deb = c.deb();
    Set<String> conffiles = new HashSet<>();
    deb.conffiles().forEach(p -> conffiles.add(FsEntry.normalize(p)));
    Map<String, String> oldConffiles = oldConffiles(c.old());
    List<String> list = new ArrayList<>();
    Map<String, String> md5 = new LinkedHashMap<>();
    String culprit = deb.packageName() + " " + deb.version() + " (" + deb.file().getFileName() + ")";
    DpkgFields.check(deb.control(), culprit + ": control");
    try {
      unpackData(c, conffiles, oldConffiles, list, md5);
    } catch (SafePath.UnsafePathException e) {
      throw new IOException(culprit + ": " + e.getMessage() + "; dpkg refuses such a package", e);
    }
    newStanzas.put(deb.packageName(), StatusStanzas.installed(deb.control(), deb.conffileEntries(), md5,
        c.old() == null ? null : c.old().stanza()));
    md5ByPackage.put(deb.packageName(), md5);
    return list;
  }

  private void unpackData(Change c, Set<String> conffiles, Map<String, String> oldConffiles, List<String> list,
      Map<String, String> md5) throws IOException {
    DebArchive deb = c.deb();
    deb.readData((entry, content) -> {
      String path = SafePath.relative(entry.getName());
      list.add(path.isEmpty() ? "/." : "/" + path);
      if (path.isEmpty()) {
        return;
      }
      String target = out.target(overrides.target(path, deb.packageName()));
      long uid = entry.getLongUserId();
      long gid = entry.getLongGroupId();
      long mtime = entry.getModTime().getTime() / 1000;
      int mode = entry.getMode() & 07777;
      Optional<DpkgOverrides.StatOverride> so = entry.isSymbolicLink() ? Optional.empty() : overrides.override(path);
      if (so.isPresent()) {
        uid = so.get().uid();
        gid = so.get().gid();
        mode = so.get().mode();
      }
      if (entry.isDirectory()) {
        // An existing directory (or a usrmerge symlink to one) keeps its lower-layer self.
        out.directoryIfAbsent(target, mode, uid, gid, mtime);
      } else if (entry.isSymbolicLink()) {
        out.symlink(target, entry.getLinkName(), uid, gid, mtime);
      } else if (entry.isLink()) {
        String linkName = SafePath.relative(entry.getLinkName());
        out.hardlink(target, out.target(linkName), mode, uid, gid, mtime);
        String linked = md5.get(linkName);
        if (linked != null) {
          md5.put(path, linked);
        }
      } else if (DebArchive.isRegularFile(entry)) {
        PatchLayer.Staged staged = out.stage(content);
        String sum = staged.md5();
        md5.put(path, sum);
        String where = target;
        if (conffiles.contains(path)) {
          where = conffileTarget(c, path, target, sum, oldConffiles);
        }
        if (where != null) {
          out.file(where, mode, uid, gid, mtime, staged);
        }
      } else {
        throw new IOException(deb.file() + ": " + path + " is a device or FIFO, which a patch layer does not carry");
      }
    });
  }

  /**
   * Where the new version of a conffile goes, as {@code --force-confold} decides: over the old one
   * when the image left it as shipped, beside it as {@code .dpkg-dist} when the image changed it,
   * nowhere when the image deleted it.
   */
  private String conffileTarget(Change c, String path, String target, String newMd5, Map<String, String> old) {
    java.util.Optional<String> current = fs.entry(target).isPresent() ? fs.md5(target) : java.util.Optional.empty();
    String shipped = old.get(path);
    if (shipped != null) {
      if (current.isEmpty()) {
        out.note("/" + path + ": deleted in the image, left deleted (" + c.deb().packageName() + ")");
        return null;
      }
      if (current.get().equals(shipped) || current.get().equals(newMd5)) {
        return target;
      }
      if (newMd5.equals(shipped)) {
        // The package did not change it; dpkg keeps the image's version and writes nothing beside it.
        out.note("/" + path + ": changed in the image and unchanged in the package, kept (" + c.deb().packageName()
            + ")");
        return null;
      }
    } else if (current.isEmpty() || current.get().equals(newMd5)) {
      return target;
    }
    out.note("/" + path + ": changed in the image, kept; the new version is /" + target + ".dpkg-dist ("
        + c.deb().packageName() + ")");
    return target + ".dpkg-dist";
  }

  /** The hashes the old version's stanza records for its conffiles, by path without the leading "/". */
  private static Map<String, String> oldConffiles(InstalledPackage old) {
    Map<String, String> out = new HashMap<>();
    if (old != null) {
      StatusStanzas.recorded(old.stanza()).forEach((path, md5) -> out.put(FsEntry.normalize(path), md5));
    }
    return out;
  }

  /**
   * The conffiles the new version asks dpkg to remove ({@code remove-on-upgrade}): gone when the
   * image has them as recorded, else kept aside as {@code .dpkg-old}, as dpkg does when it unpacks.
   */
  private void removeOnUpgrade(Change c) throws IOException {
    Map<String, String> recorded = oldConffiles(c.old());
    for (DebArchive.Conffile conffile : c.deb().conffileEntries()) {
      if (!conffile.removeOnUpgrade()) {
        continue;
      }
      String path = FsEntry.normalize(conffile.path());
      String target = fs.resolveParent(path);
      Optional<FsEntry> e = fs.entry(target);
      if (e.isEmpty() || e.get().type() != FsEntry.Type.FILE || out.contains(target)) {
        continue;
      }
      out.whiteout(target);
      if (fs.md5(target).equals(Optional.ofNullable(recorded.get(path)))) {
        out.note("/" + path + ": obsolete conffile removed, as the package asks (" + c.deb().packageName() + ")");
        continue;
      }
      Path content = fs.spooled(target).orElseThrow(() -> new IOException("/" + target
          + ": changed in the image and to be kept as .dpkg-old, but its content was not read"));
      FsEntry was = e.get();
      out.builder().file(target + ".dpkg-old", was.mode(), was.uid(), was.gid(), was.mtimeSeconds(), Files.size(content),
          () -> Files.newInputStream(content));
      out.note("/" + path + ": obsolete conffile changed in the image, kept as /" + target + ".dpkg-old ("
          + c.deb().packageName() + ")");
    }
  }

  /** Every resolved path listed by an installed package this layer does not change. */
  private Set<String> pathsOfUnchangedPackages() throws IOException {
    Set<String> changed = new HashSet<>();
    changes.forEach(c -> changed.add(c.deb().packageName()));
    Set<String> out = new HashSet<>();
    for (InstalledPackage p : db.installed()) {
      if (changed.contains(p.name())) {
        continue;
      }
      for (String line : infoLines(p, "list")) {
        out.add(fs.resolveParent(FsEntry.normalize(line)));
      }
    }
    return out;
  }

  /**
   * The old version's conffiles the new one no longer ships and the image still has, with the hash
   * recorded for them: dpkg keeps these as obsolete. Its order is its own, the old file list read
   * backwards (it walks that list in reverse when it removes old files).
   */
  private Map<String, String> obsoleteConffiles(Change c, List<String> newList) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    Map<String, String> old = oldConffiles(c.old());
    if (old.isEmpty()) {
      return out;
    }
    Set<String> shipped = new HashSet<>();
    c.deb().conffileEntries().forEach(p -> shipped.add(FsEntry.normalize(p.path())));
    newList.forEach(p -> shipped.add(FsEntry.normalize(p)));
    List<String> oldList = infoLines(c.old(), "list");
    for (int i = oldList.size() - 1; i >= 0; i--) {
      String path = FsEntry.normalize(oldList.get(i));
      if (old.containsKey(path) && !shipped.contains(path) && fs.entry(fs.resolveParent(path)).isPresent()) {
        out.put(path, old.get(path));
      }
    }
    return out;
  }

  private void whiteoutRemoved(Change c, List<String> newList, Set<String> keptByOthers, Set<String> obsolete)
      throws IOException {
    if (c.old() == null) {
      return;
    }
    Set<String> newTargets = new HashSet<>();
    for (String p : newList) {
      newTargets.add(fs.resolveParent(FsEntry.normalize(p)));
    }
    for (String line : infoLines(c.old(), "list")) {
      String target = fs.resolveParent(overrides.target(FsEntry.normalize(line), c.deb().packageName()));
      if (target.isEmpty() || obsolete.contains(FsEntry.normalize(line)) || newTargets.contains(target)
          || keptByOthers.contains(target) || out.wrote(target)) {
        continue;
      }
      java.util.Optional<FsEntry> e = fs.entry(target);
      if (e.isPresent() && !e.get().isDirectory()) {
        out.whiteout(target);
      }
    }
  }

  /** A path of the image's database, as the path discipline allows it ({@link SafePath}). */
  private static String checkedLine(String file, String line) throws IOException {
    Optional<String> problem = SafePath.problem(line);
    if (problem.isPresent()) {
      throw new IOException("/" + file + ": " + SafePath.printable(line) + " " + problem.get()
          + "; dpkg refuses such a database");
    }
    return line;
  }

  private List<String> infoLines(InstalledPackage p, String kind) throws IOException {
    if (kind.equals("list") && p.statusFile() != null) {
      return distrolessList(p);
    }
    String file = INFO + p.infoName() + "." + kind;
    byte[] bytes = fs.content(file).orElse(null);
    if (bytes == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank() && !line.equals("/.")) {
        out.add(checkedLine(file, line));
      }
    }
    return out;
  }

  /**
   * A distroless image keeps no file lists; its {@code status.d/<pkg>.md5sums} names the package's
   * regular files (conffiles, links and directories aside), which is what removal needs.
   */
  private List<String> distrolessList(InstalledPackage p) throws IOException {
    byte[] bytes = fs.content("var/lib/dpkg/status.d/" + p.statusFile() + ".md5sums").orElse(null);
    if (bytes == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      String[] f = line.strip().split("\\s+", 2);
      if (f.length == 2) {
        out.add("/" + FsEntry.normalize(checkedLine("var/lib/dpkg/status.d/" + p.statusFile() + ".md5sums", f[1])));
      }
    }
    return out;
  }

  /**
   * A status.d file: the control file, with {@code Status: install ok installed} after the
   * {@code Package} line when the image's files carry one.
   */
  static byte[] statusD(byte[] control, boolean withStatus) {
    if (!withStatus) {
      return control;
    }
    String text = new String(control, StandardCharsets.UTF_8);
    int eol = text.indexOf('\n');
    String out = text.substring(0, eol + 1) + "Status: install ok installed\n" + text.substring(eol + 1);
    return out.getBytes(StandardCharsets.UTF_8);
  }

  /** info/ files (or status.d files on distroless images) of one changed package. */
  private void writeInfo(Change c, List<String> list) throws IOException {
    DebArchive deb = c.deb();
    if (db.distroless()) {
      String name = c.old() != null && c.old().statusFile() != null ? c.old().statusFile() : deb.packageName();
      out.bytes("var/lib/dpkg/status.d/" + name, 0644, statusD(deb.controlMembers().get("control"),
          c.old() != null && c.old().stanza().get("Status").isPresent()));
      byte[] md5sums = deb.controlMembers().get("md5sums");
      if (md5sums != null) {
        out.bytes("var/lib/dpkg/status.d/" + name + ".md5sums", 0644, md5sums);
      }
      return;
    }
    String infoName = infoName(deb);
    Set<String> names = new HashSet<>();
    out.bytes(INFO + infoName + ".list", 0644, (String.join("\n", list) + "\n").getBytes(StandardCharsets.UTF_8));
    names.add(INFO + infoName + ".list");
    for (Map.Entry<String, DebArchive.ControlMember> m : deb.controlArchive().entrySet()) {
      if (m.getKey().equals("control") || m.getKey().contains("/")) {
        continue;
      }
      String path = INFO + infoName + "." + m.getKey();
      int mode = SCRIPTS.contains(m.getKey()) ? 0755 : 0644;
      out.builder().file(path, mode, 0, 0, Math.min(m.getValue().mtimeSeconds(), out.epoch()), m.getValue().content().length,
          () -> new java.io.ByteArrayInputStream(m.getValue().content()));
      names.add(path);
    }
    if (!deb.controlMembers().containsKey("md5sums")) {
      // dpkg computes the sums of a package that ships none while it unpacks, in archive order.
      StringBuilder sums = new StringBuilder();
      md5ByPackage.get(deb.packageName()).forEach((path, sum) -> sums.append(sum).append("  ").append(path).append('\n'));
      String path = INFO + infoName + ".md5sums";
      out.bytes(path, 0644, sums.toString().getBytes(StandardCharsets.UTF_8));
      names.add(path);
    }
    // Files of the old version's info/ that the new version does not have go away, as dpkg removes them.
    if (c.old() != null) {
      String prefix = INFO + c.old().infoName() + ".";
      for (String path : fs.entries().keySet()) {
        if (path.startsWith(prefix) && path.indexOf('/', INFO.length()) < 0 && !names.contains(path)) {
          out.whiteout(path);
        }
      }
    }
  }

  /**
   * The status file as dpkg leaves it once apt's run is over, {@code status-old} as dpkg's last
   * call of that run found it (see {@link AptOrdering}), and apt's {@code extended_states}. Triggers
   * this engine reproduces are processed; others stay pending, as dpkg records them, and are told.
   */
  private void writeDatabase(Map<Change, List<String>> lists) throws IOException {
    if (db.distroless()) {
      return;
    }
    Set<String> changed = new HashSet<>();
    changes.forEach(c -> changed.add(c.deb().packageName()));
    Triggers triggers = new Triggers();
    for (InstalledPackage p : db.installed()) {
      if (!changed.contains(p.name())) {
        fs.content(INFO + p.infoName() + ".triggers").ifPresent(b -> triggers.addInterests(p.name(), b));
      }
    }
    for (Change c : changes) {
      triggers.addInterests(c.deb().packageName(), c.deb().controlMembers().get("triggers"));
    }
    List<Triggers.Activation> activations = new ArrayList<>();
    for (Change c : changes) {
      List<String> paths = new ArrayList<>(lists.get(c));
      if (c.old() != null) {
        paths.addAll(infoLines(c.old(), "list"));
      }
      activations.addAll(triggers.activations(c.deb().packageName(), c.deb().controlMembers().get("triggers"), paths));
    }
    List<Triggers.Activation> unprocessed = activations.stream().filter(a -> !out.wasApplied(a.trigger())).toList();
    for (Triggers.Activation a : unprocessed) {
      ScriptNotRun pending = new ScriptNotRun(a.interested(), "trigger " + a.trigger() + ", activated by "
          + a.activator() + "; left pending for dpkg");
      if (!out.scriptsNotRun().contains(pending)) {
        out.notRun(pending);
      }
    }

    Map<String, Paragraph> controls = new LinkedHashMap<>();
    changes.forEach(c -> controls.put(c.deb().packageName(), c.deb().control()));
    Set<String> immediate = AptOrdering.immediate(db.stanzas(), controls);
    Map<String, Paragraph> interim = new LinkedHashMap<>();
    for (Change c : changes) {
      String name = c.deb().packageName();
      interim.put(name, immediate.contains(name) ? newStanzas.get(name)
          : StatusStanzas.withObsolete(StatusStanzas.unpacked(c.deb().control(), c.deb().conffileEntries(),
              c.old() == null ? null : c.old().stanza()), obsoleteByPackage.getOrDefault(name, Map.of())));
    }
    Triggers.Registry registry = new Triggers.Registry(fs.contentsUnder(TRIGGERS_DIR));
    changes.forEach(c -> registry.reregister(c.deb().packageName(), c.deb().controlMembers().get("triggers")));
    registry.changed().forEach((name, content) -> {
      if (content == null) {
        out.whiteout(TRIGGERS_DIR + "/" + name);
      } else {
        out.bytes(TRIGGERS_DIR + "/" + name, 0644, content);
      }
    });
    out.bytes("var/lib/dpkg/status", 0644, render(newStanzas, unprocessed));
    Optional<FsEntry> old = fs.entry("var/lib/dpkg/status-old");
    out.bytes("var/lib/dpkg/status-old", old.map(FsEntry::mode).orElse(0644), render(interim, activations));
    writeExtendedStates();
  }

  /** The version of a changed package that was configured before this layer, if any. */
  private Optional<String> configuredBefore(String name) {
    return changes.stream().filter(c -> c.deb().packageName().equals(name) && c.old() != null).findFirst()
        .flatMap(c -> c.old().stanza().get("Version")).map(String::strip);
  }

  /** The status file: the image's stanzas with the given ones in their place, and triggers pending. */
  private byte[] render(Map<String, Paragraph> replacing, List<Triggers.Activation> pendingActivations) {
    Map<String, Set<String>> pending = Triggers.pending(pendingActivations);
    Map<String, Set<String>> awaited = new LinkedHashMap<>();
    for (Triggers.Activation a : pendingActivations) {
      if (a.await()) {
        awaited.computeIfAbsent(a.activator(), k -> new java.util.LinkedHashSet<>()).add(a.interested());
      }
    }
    List<Paragraph> stanzas = new ArrayList<>();
    Set<String> replaced = new HashSet<>();
    for (Paragraph p : db.stanzas()) {
      String name = p.require("Package");
      Paragraph fresh = replacing.get(name);
      if (fresh != null && !replaced.contains(name)) {
        stanzas.add(fresh);
        replaced.add(name);
      } else if (fresh == null) {
        stanzas.add(p);
      }
    }
    for (Map.Entry<String, Paragraph> e : replacing.entrySet()) {
      if (!replaced.contains(e.getKey())) {
        stanzas.add(e.getValue());
      }
    }
    stanzas.sort((a, b) -> a.require("Package").compareTo(b.require("Package")));
    StringBuilder status = new StringBuilder();
    for (Paragraph p : stanzas) {
      String name = p.require("Package");
      // dpkg records triggers only for packages at least awaiting triggers, not for unpacked ones.
      String state = p.get("Status").map(String::strip).orElse("");
      boolean configured = state.endsWith(" installed") || state.endsWith(" triggers-pending")
          || state.endsWith(" triggers-awaited");
      Set<String> awaits = awaited.get(name);
      if (awaits != null) {
        p = StatusStanzas.with(p, "Triggers-Awaited", String.join(" ", awaits));
        if (state.endsWith(" installed")) {
          p = StatusStanzas.with(p, "Status", state.substring(0, state.lastIndexOf(' ')) + " triggers-awaited");
          // Until the awaited triggers run, dpkg still names the version configured before as such.
          Optional<String> before = configuredBefore(name);
          if (before.isPresent()) {
            p = StatusStanzas.with(p, "Config-Version", before.get());
          }
        }
      }
      Set<String> names = pending.get(name);
      if (names != null && configured) {
        p = StatusStanzas.with(p, "Triggers-Pending", String.join(" ", names));
        p = StatusStanzas.with(p, "Status", state.substring(0, state.lastIndexOf(' ')) + " triggers-pending");
      }
      status.append(p).append('\n');
    }
    return status.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * apt's record of which packages were installed only as dependencies: the new ones this layer
   * adds are, and apt writes the file (empty if need be) whenever it installs.
   */
  private void writeExtendedStates() {
    String path = "var/lib/apt/extended_states";
    if (fs.entry("var/lib/apt").filter(FsEntry::isDirectory).isEmpty()) {
      return;
    }
    StringBuilder states = new StringBuilder();
    fs.content(path).ifPresent(b -> states.append(new String(b, StandardCharsets.UTF_8)));
    boolean added = false;
    for (Change c : changes) {
      if (c.old() == null) {
        if (states.length() > 0 && !states.toString().endsWith("\n\n")) {
          states.append('\n');
        }
        states.append("Package: ").append(c.deb().packageName()).append("\nArchitecture: ")
            .append(c.deb().architecture()).append("\nAuto-Installed: 1\n\n");
        added = true;
      }
    }
    if (added || fs.entry(path).isEmpty()) {
      this.out.bytes(path, 0644, states.toString().getBytes(StandardCharsets.UTF_8));
    }
  }
}
