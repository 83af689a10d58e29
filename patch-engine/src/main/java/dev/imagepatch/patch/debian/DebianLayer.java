package dev.imagepatch.patch.debian;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
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
  /** How notes about maintainer scripts and triggers whose effects were not reproduced begin. */
  static final String SCRIPT_NOT_RUN = "script not run: ";
  static final String TRIGGERS_DIR = "var/lib/dpkg/triggers";

  /** One package to put in the layer: the installed version it replaces (null for a new one) and the new .deb. */
  record Change(InstalledPackage old, DebArchive deb) {}

  private final MergedFilesystem fs;
  private final DpkgDatabase db;
  private final Path staging;
  private final long epoch;
  private final long clamp;
  private final String architecture;
  private final DpkgOverrides overrides;
  private final LayerBuilder layer = new LayerBuilder();
  private final List<Change> changes = new ArrayList<>();
  private final Map<String, Paragraph> newStanzas = new LinkedHashMap<>();
  /** Per package, the MD5 of each regular file in archive order, for packages that ship no md5sums. */
  private final Map<String, Map<String, String>> md5ByPackage = new HashMap<>();
  /** Per package, the obsolete conffiles dpkg keeps (path, recorded hash), in its order. */
  private final Map<String, Map<String, String>> obsoleteByPackage = new HashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final Set<String> written = new HashSet<>();
  private final Map<String, Path> stagedAt = new HashMap<>();
  private final Map<String, PythonByteCode.Source> pythonSources = new HashMap<>();
  private final Set<String> removed = new HashSet<>();
  /** The maintainer scripts whose work this layer has done, as "package script". */
  private final Set<String> reproduced = new HashSet<>();
  /** The triggers whose work this layer has done. */
  private final Set<String> processed = new HashSet<>();
  private int staged;

  /**
   * @param architecture the image's dpkg architecture
   * @param epochSeconds the time of what the layer generates (database, configuration)
   * @param clampSeconds the latest time a package's file may carry in the layer
   */
  DebianLayer(MergedFilesystem fs, DpkgDatabase db, String architecture, Path staging, long epochSeconds,
      long clampSeconds) {
    this.fs = fs;
    this.overrides = DpkgOverrides.read(fs.content(DpkgOverrides.DIVERSIONS).orElse(null),
        fs.content(DpkgOverrides.STATOVERRIDE).orElse(null), fs.content(DpkgOverrides.PASSWD).orElse(null),
        fs.content(DpkgOverrides.GROUP).orElse(null));
    this.architecture = architecture;
    this.db = db;
    this.staging = staging;
    this.epoch = epochSeconds;
    this.clamp = clampSeconds;
  }

  LayerBuilder builder() {
    return layer;
  }

  /** Decisions worth telling the user (conffiles kept, ...). */
  List<String> notes() {
    return notes;
  }

  /** Adds the changes; all at once, since whiteouts depend on what every new version writes. */
  void addAll(List<Change> all) throws IOException {
    changes.addAll(all);
    Map<Change, List<String>> lists = new LinkedHashMap<>();
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
    PythonByteCode.Outcome pyc = PythonByteCode.refresh(fs, layer, pythonSources, removed, staging, epoch);
    if (pyc.refreshed() + pyc.removed() > 0) {
      notes.add("python byte-code: " + pyc.refreshed() + " .pyc headers brought up to date with unchanged sources, "
          + pyc.removed() + " .pyc of changed or removed sources removed (Python compiles them on import)");
    }
    for (Change c : all) {
      writeInfo(c, lists.get(c));
    }
    if (all.stream().anyMatch(c -> c.deb().packageName().equals(CaCertificates.PACKAGE))) {
      configureCaCertificates();
      processed.addAll(CaCertificates.TRIGGERS);
      reproduced.add(CaCertificates.PACKAGE + " postinst");
      // The config script's work (which certificates to trust) is part of what the postinst step does.
      reproduced.add(CaCertificates.PACKAGE + " config");
    }
    Optional<Change> tzdata = all.stream().filter(c -> c.deb().packageName().equals(Tzdata.PACKAGE)).findFirst();
    if (tzdata.isPresent() && !db.distroless()) {
      Tzdata.Outcome tz = Tzdata.configure(new LayerTree(), tzdata.get().deb().controlMembers().get("config"),
          fs.content(CaCertificates.DEBCONF).orElse(null));
      if (tz.localtime() != null) {
        layer.symlink(Tzdata.LOCALTIME, tz.localtime(), 0, 0, epoch);
      }
      byte[] timezone = tz.timezone().getBytes(StandardCharsets.UTF_8);
      if (!java.util.Arrays.equals(fs.content(Tzdata.TIMEZONE).orElse(null), timezone)) {
        bytes(Tzdata.TIMEZONE, 0644, timezone);
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
    runLdconfig();
    writeDatabase(lists);
    reportScripts();
  }

  /** The trust store as ca-certificates' postinst leaves it; see {@link CaCertificates}. */
  private void configureCaCertificates() throws IOException {
    // Distroless images too: their builders ran update-ca-certificates (or its equivalent) once, and the
    // withdrawn roots must leave their bundle as they leave a full image's.
    CaCertificates.Outcome o = CaCertificates.configure(new LayerTree());
    if (o.conf() != null) {
      if (o.confOld() != null) {
        int mode = fs.entry(CaCertificates.CONF).map(FsEntry::mode).orElse(0644);
        bytes(CaCertificates.CONF + ".dpkg-old", mode, o.confOld());
      }
      bytes(CaCertificates.CONF, 0644, o.conf());
    }
    if (fs.entry(CaCertificates.LOCAL).isEmpty() && !layer.contains(CaCertificates.LOCAL)) {
      // The postinst makes the directory for local certificates with /usr/local's mode and group.
      fs.entry("usr/local").filter(FsEntry::isDirectory).ifPresent(local ->
          layer.directory(CaCertificates.LOCAL, local.mode(), 0, local.gid(), epoch));
    }
    String etc = fs.resolveParent(CaCertificates.ETC + "/x");
    String dir = etc.substring(0, etc.length() - 2);
    o.removed().forEach(name -> layer.whiteout(dir + "/" + name));
    o.links().forEach((name, target) -> layer.symlink(dir + "/" + name, target, 0, 0, epoch));
    if (o.bundle() != null) {
      bytes(dir + "/" + CaCertificates.BUNDLE, 0644, o.bundle());
    }
    notes.addAll(o.notes());
  }

  /** The postinsts' {@code update-alternatives --install} calls; see {@link Alternatives}. */
  private void updateAlternatives() throws IOException {
    List<Alternatives.Install> installs = new ArrayList<>();
    for (Change c : changes) {
      Alternatives.Calls calls = Alternatives.parse(c.deb().controlMembers().get("postinst"));
      if (!calls.understood()) {
        notes.add(SCRIPT_NOT_RUN + c.deb().packageName() + " (postinst: update-alternatives built from shell"
            + " variables; the alternatives are left as they were)");
      }
      installs.addAll(calls.installs());
    }
    if (installs.isEmpty()) {
      return;
    }
    Alternatives.Outcome o = Alternatives.apply(new LayerTree(), installs);
    o.adminFiles().forEach((path, content) -> bytes(path, 0644, content));
    o.removed().forEach(p -> layer.whiteout(fs.resolveParent(p)));
    o.links().forEach((link, target) -> layer.symlink(fs.resolveParent(link), target, 0, 0, epoch));
    if (!o.adminFiles().isEmpty() || !o.links().isEmpty()) {
      notes.add("alternatives updated as update-alternatives would: " + String.join(", ", o.adminFiles().keySet()
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
          notes.add(SCRIPT_NOT_RUN + name + " (" + script + ")");
        }
      }
      if (c.old() != null) {
        for (String script : List.of("prerm", "postrm")) {
          if (fs.entry(INFO + c.old().infoName() + "." + script).isPresent()) {
            notes.add(SCRIPT_NOT_RUN + name + " (" + script + " of " + c.old().version() + ")");
          }
        }
      }
    }
  }

  /**
   * The ldconfig trigger: a new {@code /etc/ld.so.cache} (and soname links) for the libraries as
   * the layer leaves them, when the image has a cache; without one there is nothing to refresh.
   */
  private void runLdconfig() throws IOException {
    Optional<byte[]> old = fs.content(LdCache.CACHE);
    if (old.isEmpty()) {
      processed.add(LdCache.TRIGGER);
      return;
    }
    Optional<String> generator = LdCache.generator(old.get());
    if (generator.isEmpty()) {
      notes.add("/" + LdCache.CACHE + ": not in glibc's current format, left as it is");
      return;
    }
    String gen = generator.get();
    for (Change c : changes) {
      if (c.deb().packageName().equals("libc-bin") && c.old() != null) {
        gen = gen.replace("GLIBC " + c.old().version() + ")", "GLIBC " + c.deb().version() + ")");
      }
    }
    LdCache.Outcome o = LdCache.run(new LayerTree(), architecture, gen);
    if (o.problem() != null) {
      notes.add("/" + LdCache.CACHE + " not regenerated: " + o.problem());
      return;
    }
    o.removed().forEach(layer::whiteout);
    o.links().forEach((link, target) -> layer.symlink(link, target, 0, 0, epoch));
    if (!java.util.Arrays.equals(o.cache(), old.get())) {
      bytes(LdCache.CACHE, 0644, o.cache());
    }
    processed.add(LdCache.TRIGGER);
  }

  /** The image with this layer over it, for the configuration steps. */
  private final class LayerTree implements LdCache.Tree {
    private final Map<String, FsEntry> upper = layer.entries();

    @Override
    public java.util.Optional<FsEntry> entry(String path) {
      String p = fs.resolveParent(FsEntry.normalize(path));
      FsEntry e = upper.get(p);
      if (e != null) {
        return java.util.Optional.of(e);
      }
      return hidden(p) ? java.util.Optional.empty() : fs.entry(p);
    }

    @Override
    public java.util.Optional<byte[]> read(String path) throws IOException {
      String p = fs.resolveParent(FsEntry.normalize(path));
      Path file = stagedAt.get(p);
      if (file != null) {
        return java.util.Optional.of(Files.readAllBytes(file));
      }
      if (upper.containsKey(p) || hidden(p)) {
        return java.util.Optional.empty();
      }
      return fs.content(p);
    }

    @Override
    public Set<String> list(String directory) {
      String dir = fs.resolveParent(FsEntry.normalize(directory) + "/x");
      dir = dir.substring(0, dir.length() - 1);
      Set<String> names = new java.util.TreeSet<>();
      for (String p : fs.entries().keySet()) {
        if (p.startsWith(dir) && p.length() > dir.length() && p.indexOf('/', dir.length()) < 0 && !hidden(p)) {
          names.add(p.substring(dir.length()));
        }
      }
      for (String p : upper.keySet()) {
        if (p.startsWith(dir) && p.length() > dir.length() && p.indexOf('/', dir.length()) < 0) {
          String name = p.substring(dir.length());
          if (!name.startsWith(".wh.")) {
            names.add(name);
          }
        }
      }
      return names;
    }

    @Override
    public Optional<ElfInfo> elf(String path) throws IOException {
      String p = FsEntry.normalize(path);
      Path file = stagedAt.get(p);
      if (file != null) {
        try (InputStream in = Files.newInputStream(file)) {
          return ElfInfo.read(in);
        }
      }
      if (upper.containsKey(p) || hidden(p)) {
        return Optional.empty();
      }
      return fs.probed(p).map(ElfInfo::decode);
    }

    /** Whether a whiteout in this layer hides the path or one of its parents. */
    private boolean hidden(String path) {
      String p = path;
      while (p != null && !p.isEmpty()) {
        String parent = FsEntry.parent(p);
        String name = p.substring(p.lastIndexOf('/') + 1);
        if (upper.containsKey((parent == null || parent.isEmpty() ? "" : parent + "/") + ".wh." + name)) {
          return true;
        }
        p = parent;
      }
      return false;
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
    deb.readData((entry, content) -> {
      String path = FsEntry.normalize(entry.getName());
      list.add(path.isEmpty() ? "/." : "/" + path);
      if (path.isEmpty()) {
        return;
      }
      String target = fs.resolveParent(overrides.target(path, deb.packageName()));
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
        if (fs.entry(target).isEmpty() && !layer.contains(target)) {
          layer.directory(target, mode, uid, gid, mtime);
        }
      } else if (entry.isSymbolicLink()) {
        layer.symlink(target, entry.getLinkName(), uid, gid, mtime);
        written.add(target);
      } else if (entry.isLink()) {
        layer.hardlink(target, fs.resolveParent(FsEntry.normalize(entry.getLinkName())), mode, uid, gid, mtime);
        written.add(target);
        String linked = md5.get(FsEntry.normalize(entry.getLinkName()));
        if (linked != null) {
          md5.put(path, linked);
        }
      } else if (DebArchive.isRegularFile(entry)) {
        Path file = staging.resolve(Integer.toString(staged++));
        String sum = stage(content, file);
        md5.put(path, sum);
        String where = target;
        if (conffiles.contains(path)) {
          where = conffileTarget(c, path, target, sum, oldConffiles);
        }
        if (where != null) {
          layer.file(where, mode, uid, gid, mtime, Files.size(file), () -> Files.newInputStream(file));
          written.add(where);
          stagedAt.put(where, file);
          if (where.equals(target) && PythonByteCode.isSource(target)) {
            pythonSources.put(target, new PythonByteCode.Source(sum, Files.size(file), Math.min(mtime, clamp)));
          }
        }
      } else {
        throw new IOException(deb.file() + ": " + path + " is a device or FIFO, which a patch layer does not carry");
      }
    });
    newStanzas.put(deb.packageName(), StatusStanzas.installed(deb.control(), deb.conffileEntries(), md5,
        c.old() == null ? null : c.old().stanza()));
    md5ByPackage.put(deb.packageName(), md5);
    return list;
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
        notes.add("/" + path + ": deleted in the image, left deleted (" + c.deb().packageName() + ")");
        return null;
      }
      if (current.get().equals(shipped) || current.get().equals(newMd5)) {
        return target;
      }
      if (newMd5.equals(shipped)) {
        // The package did not change it; dpkg keeps the image's version and writes nothing beside it.
        notes.add("/" + path + ": changed in the image and unchanged in the package, kept (" + c.deb().packageName()
            + ")");
        return null;
      }
    } else if (current.isEmpty() || current.get().equals(newMd5)) {
      return target;
    }
    notes.add("/" + path + ": changed in the image, kept; the new version is /" + target + ".dpkg-dist ("
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
      if (e.isEmpty() || e.get().type() != FsEntry.Type.FILE || layer.contains(target)) {
        continue;
      }
      layer.whiteout(target);
      removed.add(target);
      if (fs.md5(target).equals(Optional.ofNullable(recorded.get(path)))) {
        notes.add("/" + path + ": obsolete conffile removed, as the package asks (" + c.deb().packageName() + ")");
        continue;
      }
      Path content = fs.spooled(target).orElseThrow(() -> new IOException("/" + target
          + ": changed in the image and to be kept as .dpkg-old, but its content was not read"));
      FsEntry was = e.get();
      layer.file(target + ".dpkg-old", was.mode(), was.uid(), was.gid(), was.mtimeSeconds(), Files.size(content),
          () -> Files.newInputStream(content));
      notes.add("/" + path + ": obsolete conffile changed in the image, kept as /" + target + ".dpkg-old ("
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
          || keptByOthers.contains(target) || written.contains(target)) {
        continue;
      }
      java.util.Optional<FsEntry> e = fs.entry(target);
      if (e.isPresent() && !e.get().isDirectory()) {
        layer.whiteout(target);
        removed.add(target);
      }
    }
  }

  private List<String> infoLines(InstalledPackage p, String kind) {
    if (kind.equals("list") && p.statusFile() != null) {
      return distrolessList(p);
    }
    byte[] bytes = fs.content(INFO + p.infoName() + "." + kind).orElse(null);
    if (bytes == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank() && !line.equals("/.")) {
        out.add(line);
      }
    }
    return out;
  }

  /**
   * A distroless image keeps no file lists; its {@code status.d/<pkg>.md5sums} names the package's
   * regular files (conffiles, links and directories aside), which is what removal needs.
   */
  private List<String> distrolessList(InstalledPackage p) {
    byte[] bytes = fs.content("var/lib/dpkg/status.d/" + p.statusFile() + ".md5sums").orElse(null);
    if (bytes == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      String[] f = line.strip().split("\\s+", 2);
      if (f.length == 2) {
        out.add("/" + FsEntry.normalize(f[1]));
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
      bytes("var/lib/dpkg/status.d/" + name, 0644, statusD(deb.controlMembers().get("control"),
          c.old() != null && c.old().stanza().get("Status").isPresent()));
      byte[] md5sums = deb.controlMembers().get("md5sums");
      if (md5sums != null) {
        bytes("var/lib/dpkg/status.d/" + name + ".md5sums", 0644, md5sums);
      }
      return;
    }
    String infoName = deb.control().get("Multi-Arch").map(String::strip).orElse("no").equals("same")
        ? deb.packageName() + ":" + deb.architecture() : deb.packageName();
    Set<String> names = new HashSet<>();
    bytes(INFO + infoName + ".list", 0644, (String.join("\n", list) + "\n").getBytes(StandardCharsets.UTF_8));
    names.add(INFO + infoName + ".list");
    for (Map.Entry<String, DebArchive.ControlMember> m : deb.controlArchive().entrySet()) {
      if (m.getKey().equals("control") || m.getKey().contains("/")) {
        continue;
      }
      String path = INFO + infoName + "." + m.getKey();
      int mode = SCRIPTS.contains(m.getKey()) ? 0755 : 0644;
      layer.file(path, mode, 0, 0, Math.min(m.getValue().mtimeSeconds(), epoch), m.getValue().content().length,
          () -> new java.io.ByteArrayInputStream(m.getValue().content()));
      names.add(path);
    }
    if (!deb.controlMembers().containsKey("md5sums")) {
      // dpkg computes the sums of a package that ships none while it unpacks, in archive order.
      StringBuilder sums = new StringBuilder();
      md5ByPackage.get(deb.packageName()).forEach((path, sum) -> sums.append(sum).append("  ").append(path).append('\n'));
      String path = INFO + infoName + ".md5sums";
      bytes(path, 0644, sums.toString().getBytes(StandardCharsets.UTF_8));
      names.add(path);
    }
    // Files of the old version's info/ that the new version does not have go away, as dpkg removes them.
    if (c.old() != null) {
      String prefix = INFO + c.old().infoName() + ".";
      for (String path : fs.entries().keySet()) {
        if (path.startsWith(prefix) && path.indexOf('/', INFO.length()) < 0 && !names.contains(path)) {
          layer.whiteout(path);
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
    List<Triggers.Activation> unprocessed = activations.stream().filter(a -> !processed.contains(a.trigger())).toList();
    for (Triggers.Activation a : unprocessed) {
      String note = SCRIPT_NOT_RUN + a.interested() + " (trigger " + a.trigger() + ", activated by " + a.activator()
          + "; left pending for dpkg)";
      if (!notes.contains(note)) {
        notes.add(note);
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
        layer.whiteout(TRIGGERS_DIR + "/" + name);
      } else {
        bytes(TRIGGERS_DIR + "/" + name, 0644, content);
      }
    });
    bytes("var/lib/dpkg/status", 0644, render(newStanzas, unprocessed));
    Optional<FsEntry> old = fs.entry("var/lib/dpkg/status-old");
    bytes("var/lib/dpkg/status-old", old.map(FsEntry::mode).orElse(0644), render(interim, activations));
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
    StringBuilder out = new StringBuilder();
    fs.content(path).ifPresent(b -> out.append(new String(b, StandardCharsets.UTF_8)));
    boolean added = false;
    for (Change c : changes) {
      if (c.old() == null) {
        if (out.length() > 0 && !out.toString().endsWith("\n\n")) {
          out.append('\n');
        }
        out.append("Package: ").append(c.deb().packageName()).append("\nArchitecture: ")
            .append(c.deb().architecture()).append("\nAuto-Installed: 1\n\n");
        added = true;
      }
    }
    if (added || fs.entry(path).isEmpty()) {
      bytes(path, 0644, out.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void bytes(String path, int mode, byte[] content) {
    layer.file(path, mode, 0, 0, epoch, content.length, () -> new java.io.ByteArrayInputStream(content));
  }

  private static String stage(InputStream content, Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
      content.transferTo(out);
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
