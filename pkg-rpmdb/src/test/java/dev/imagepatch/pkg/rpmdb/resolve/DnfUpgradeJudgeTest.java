package dev.imagepatch.pkg.rpmdb.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.resolve.ModularFilter;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver;
import dev.imagepatch.pkg.rpm.resolve.RpmSolvable;
import dev.imagepatch.testing.Judges;
import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RpmResolver#upgrade} judged by Debian's dnf 4.14: {@code dnf --installroot R --assumeno
 * upgrade <names>} over the real CentOS Stream 9 BaseOS (2022-02-07) and AppStream (2025-01-13,
 * with modules.yaml) metadata of ../shared/vectors, and ours over the same metadata, must list the
 * same packages: upgraded, installed (requested or as dependencies) and obsoleted ("replacing"),
 * or both fail.
 *
 * <p>The installed set is the real CBL-Mariner 2.0 {@code rpmdb.sqlite} of ../shared/vectors (129
 * packages of a real image), the one real database there large enough to be interesting against
 * CentOS Stream 9: its packages have CentOS counterparts with higher EVRs (plain upgrades), with
 * epochs Mariner lacks ({@code openssl-libs 1:3.0.1}, {@code tar 2:1.34}), with new requirements
 * (sed pulls libacl, libattr, setup and the release packages), packages that obsolete installed
 * ones ({@code gdbm-libs} obsoletes {@code gdbm < 1:1.14.1}), conflicts that force other installed
 * packages up (setup conflicts with the old filesystem) and upgrades that break installed packages
 * (bzip2-libs drops the soname file-libs needs: both fail). Amazon Linux 2023's database is
 * smaller and has none of the obsoletes. No real database of ../shared/vectors holds a package
 * of an AppStream module, so real rpm adds one to it before the run: {@code nginx-filesystem
 * 1:1.20.1-1} built by rpmbuild from a four-line spec, installed with {@code rpm --justdb}. Its
 * candidates are the non-modular {@code 2:1.20.1-20.el9} while no nginx stream is enabled, and the
 * {@code nginx:1.24} build {@code 1:1.24.0-4.module_el9+1087} (a lower epoch: only visible by
 * modular filtering hiding the non-modular ones) once {@code /etc/dnf/modules.d/nginx.module}
 * enables that stream.
 *
 * <p>dnf runs with the options RHEL and Fedora's own dnf.conf sets and that define what we
 * resolve: {@code best=True} (the highest candidate or an error, never a silent older one; Debian's
 * dnf.conf says False), {@code install_weak_deps=False} (we install no Recommends), no gpg check
 * (local metadata, no packages downloaded), {@code module_platform_id=platform:el9},
 * {@code --releasever 9}, {@code --noplugins}, caches in the test's temporary directory and rpm's
 * {@code _dbpath} set to {@code /var/lib/rpm} through {@code $HOME/.rpmmacros} (Debian's rpm keeps
 * it under the home directory). The repositories are the shared metadata files, linked from a
 * temporary directory under a repomd.xml without the entries whose files the vectors do not
 * carry (comps, other, the sqlite databases: dnf downloads comps and fails without it).
 */
class DnfUpgradeJudgeTest {
  @TempDir
  static Path tmp;
  static Path home;
  static Path plainRoot;
  static Path moduleRoot;
  static Path multilibRoot;
  static List<RpmSolvable> multilibInstalled;
  static CentosStream9 metadata;
  static List<RpmSolvable> installed;

  @BeforeAll
  static void setUp() throws Exception {
    Path baseos = SharedData.path(CentosStream9.BASEOS);
    Path appstream = SharedData.path(CentosStream9.APPSTREAM);
    Path mariner = SharedData.path("vectors/rpm/rpmdb/sqlite/cbl-mariner-2.0/rpmdb.sqlite");
    for (String tool : List.of("dnf", "rpm", "rpmbuild", "sqlite3")) {
      Judges.require(tool);
    }
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    DnfRepository.link(baseos, repos.resolve("baseos"));
    DnfRepository.link(appstream, repos.resolve("appstream"));
    Files.writeString(Files.createDirectories(repos.resolve("reposd")).resolve("cs9.repo"), """
        [baseos]
        name=baseos
        baseurl=file://%s
        gpgcheck=0
        [appstream]
        name=appstream
        baseurl=file://%s
        gpgcheck=0
        """.formatted(repos.resolve("baseos"), repos.resolve("appstream")));
    Files.writeString(tmp.resolve("dnf.conf"), """
        [main]
        gpgcheck=0
        best=True
        install_weak_deps=False
        skip_if_unavailable=False
        reposdir=%s
        cachedir=%s
        module_platform_id=platform:el9
        """.formatted(repos.resolve("reposd"), tmp.resolve("cache")));
    home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve(".rpmmacros"), "%_dbpath /var/lib/rpm\n");

    // The real Mariner database plus one package of an AppStream module, added by real rpm.
    Path spec = tmp.resolve("nginx-filesystem.spec");
    Files.writeString(spec, """
        Name: nginx-filesystem
        Epoch: 1
        Version: 1.20.1
        Release: 1
        Summary: An installed package of the nginx module's name
        License: MIT
        BuildArch: noarch
        AutoReqProv: no
        %description
        An installed package of the nginx module's name.
        %files
        """);
    run(List.of("rpmbuild", "-bb", "--define", "_topdir " + tmp.resolve("rpmbuild"), spec.toString()));
    Path rpm = tmp.resolve("rpmbuild/RPMS/noarch/nginx-filesystem-1.20.1-1.noarch.rpm");
    plainRoot = tmp.resolve("root");
    Path db = Files.createDirectories(plainRoot.resolve("var/lib/rpm"));
    Files.copy(mariner, db.resolve("rpmdb.sqlite"), StandardCopyOption.REPLACE_EXISTING);
    db.resolve("rpmdb.sqlite").toFile().setWritable(true);
    run(List.of("rpm", "--root", plainRoot.toString(), "--dbpath", "/var/lib/rpm", "--justdb", "--nodeps",
        "--noscripts", "--notriggers", "-i", rpm.toString()));
    run(List.of("sqlite3", db.resolve("rpmdb.sqlite").toString(), "PRAGMA wal_checkpoint(TRUNCATE);"));
    Files.deleteIfExists(db.resolve("rpmdb.sqlite-wal"));
    Files.deleteIfExists(db.resolve("rpmdb.sqlite-shm"));
    moduleRoot = tmp.resolve("root-nginx-1.24");
    Files.createDirectories(moduleRoot.resolve("var/lib/rpm"));
    Files.copy(db.resolve("rpmdb.sqlite"), moduleRoot.resolve("var/lib/rpm/rpmdb.sqlite"));
    Files.writeString(Files.createDirectories(moduleRoot.resolve("etc/dnf/modules.d")).resolve("nginx.module"), """
        [nginx]
        name=nginx
        stream=1.24
        profiles=
        state=enabled
        """);

    // Multilib: the same database with zlib's i686 build beside Mariner's x86_64 one, at its EVR.
    Path zlibSpec = tmp.resolve("zlib.spec");
    Files.writeString(zlibSpec, """
        Name: zlib
        Version: 1.2.11
        Release: 5.cm2
        Summary: The i686 half of a multilib pair
        License: MIT
        AutoReqProv: no
        %description
        The i686 half of a multilib pair.
        %files
        """);
    run(List.of("rpmbuild", "-bb", "--target", "i686", "--define", "_topdir " + tmp.resolve("rpmbuild"),
        zlibSpec.toString()));
    multilibRoot = tmp.resolve("root-multilib");
    Path mdb = Files.createDirectories(multilibRoot.resolve("var/lib/rpm"));
    Files.copy(db.resolve("rpmdb.sqlite"), mdb.resolve("rpmdb.sqlite"));
    run(List.of("rpm", "--root", multilibRoot.toString(), "--dbpath", "/var/lib/rpm", "--justdb", "--nodeps",
        "--noscripts", "--notriggers", "--ignorearch", "-i",
        tmp.resolve("rpmbuild/RPMS/i686/zlib-1.2.11-5.cm2.i686.rpm").toString()));
    run(List.of("sqlite3", mdb.resolve("rpmdb.sqlite").toString(), "PRAGMA wal_checkpoint(TRUNCATE);"));
    Files.deleteIfExists(mdb.resolve("rpmdb.sqlite-wal"));
    Files.deleteIfExists(mdb.resolve("rpmdb.sqlite-shm"));

    metadata = CentosStream9.read(repos.resolve("baseos"), repos.resolve("appstream"));
    multilibInstalled = CentosStream9.installed(mdb);
    installed = CentosStream9.installed(db);
    assertEquals(130, installed.size(), "the Mariner database's 129 packages and nginx-filesystem");
  }

  @Test
  void plainUpgrades() throws Exception {
    judge(plainRoot, List.of("readline", "zlib", "json-c", "mpfr"));
  }

  @Test
  void epochUpgradeWithNewDependencies() throws Exception {
    judge(plainRoot, List.of("openssl-libs"));
  }

  @Test
  void newDependenciesAndAConflictThatUpgradesAnInstalledPackage() throws Exception {
    judge(plainRoot, List.of("sed"));
  }

  @Test
  void obsoletes() throws Exception {
    judge(plainRoot, List.of("gdbm", "sed"));
  }

  @Test
  void manyDependencies() throws Exception {
    judge(plainRoot, List.of("python3", "coreutils", "curl"));
  }

  /** The 63 names dnf upgrades alone (see {@link #sweep}), all at once: 66 upgrades, 51 installs. */
  @Test
  void everyNameThatUpgradesAloneAllTogether() throws Exception {
    Set<String> dnf = judge(plainRoot, List.of(("audit audit-libs bash chkconfig coreutils cpio cryptsetup-libs"
        + " curl debugedit device-mapper-libs e2fsprogs e2fsprogs-libs filesystem findutils gawk gdbm glibc gmp"
        + " gnupg2 json-c libarchive libassuan libcap libcap-ng libffi libgcc libgcrypt libgomp libsolv libstdc++"
        + " libtasn1 lua-libs lz4 mpfr ncurses ncurses-libs net-tools newt nginx-filesystem npth nspr openldap"
        + " openssl openssl-libs p11-kit p11-kit-trust pcre popt popt-devel python3 python3-libs readline sed"
        + " shadow-utils slang sqlite-libs sudo tar unzip wget xz xz-libs zlib").split(" ")));
    assertEquals(66, dnf.stream().filter(s -> s.startsWith("upgrade ")).count(), dnf::toString);
  }

  @Test
  void brokenInstalledPackageFailsBoth() throws Exception {
    judge(plainRoot, List.of("bzip2"));
  }

  @Test
  void modularCandidateHiddenWhileItsStreamIsNotEnabled() throws Exception {
    assertEquals(Set.of("upgrade nginx-filesystem-2:1.20.1-20.el9.noarch"),
        judge(plainRoot, List.of("nginx-filesystem")));
  }

  @Test
  void modularCandidateOnceItsStreamIsEnabled() throws Exception {
    assertEquals(Set.of("upgrade nginx-filesystem-1:1.24.0-4.module_el9+1087+9adf8b0f.noarch"),
        judge(moduleRoot, List.of("nginx-filesystem")));
  }

  /**
   * zlib installed as x86_64 and i686: both upgrade, and the i686 one pulls i686 glibc and libgcc,
   * allowed beside their x86_64 builds only in lock-step (same EVR), as libsolv's infarch rules say.
   */
  @Test
  void multilibPairUpgradesTogetherAndPullsLockstepDependencies() throws Exception {
    Set<String> dnf = judge(multilibRoot, List.of("zlib"));
    assertTrue(dnf.contains("upgrade zlib-1.2.11-31.el9.i686") && dnf.contains("install-dependency"
        + " glibc-2.34-21.el9.i686"), dnf::toString);
  }

  @Test
  void missingPackageFailsBoth() throws Exception {
    assertEquals(Set.of("FAIL"), judge(plainRoot, List.of("no-such-package")));
  }

  /**
   * Every installed name upgraded alone, both ways; the disagreements listed (a few minutes: run with
   * {@code -Dimagepatch.dnfSweep=true}; {@code -Dimagepatch.dnfSweepDb=vectors/rpm/rpmdb/sqlite/...}
   * sweeps another database of ../shared instead of the Mariner one with nginx-filesystem).
   */
  @Test
  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "imagepatch.dnfSweep", matches = "true")
  void sweep() throws Exception {
    Path root = plainRoot;
    List<RpmSolvable> set = installed;
    String other = System.getProperty("imagepatch.dnfSweepDb");
    if (other != null) {
      root = tmp.resolve("sweep-root");
      Path db = Files.createDirectories(root.resolve("var/lib/rpm"));
      Files.copy(SharedData.path(other + "/rpmdb.sqlite"), db.resolve("rpmdb.sqlite"));
      db.resolve("rpmdb.sqlite").toFile().setWritable(true);
      set = CentosStream9.installed(db);
    }
    List<String> disagreements = new ArrayList<>();
    Set<String> names = new TreeSet<>();
    set.forEach(s -> names.add(s.name()));
    names.remove("gpg-pubkey");
    for (String name : names) {
      Set<String> dnf = dnf(root, List.of(name));
      Set<String> ours = ours(set, Map.of(), List.of(name));
      System.out.println(name + ": " + (dnf.equals(ours) ? "same " : "DIFFERENT ") + dnf.size() + " " + dnf);
      if (!dnf.equals(ours)) {
        Set<String> onlyDnf = new TreeSet<>(dnf);
        onlyDnf.removeAll(ours);
        Set<String> onlyOurs = new TreeSet<>(ours);
        onlyOurs.removeAll(dnf);
        disagreements.add(name + ": only dnf " + onlyDnf + ", only ours " + onlyOurs);
      }
    }
    assertEquals(List.of(), disagreements);
  }

  /** Runs both; asserts they agree; returns dnf's transaction. */
  static Set<String> judge(Path root, List<String> names) throws Exception {
    Set<String> dnf = dnf(root, names);
    Set<String> ours = ours(root, names);
    assertEquals(dnf, ours, "dnf upgrade " + names + " (left: dnf, right: ours)");
    return dnf;
  }

  static Set<String> ours(Path root, List<String> names) {
    return ours(root.equals(multilibRoot) ? multilibInstalled : installed, root.equals(moduleRoot)
        ? Map.of("nginx", "1.24") : Map.of(), names);
  }

  static Set<String> ours(List<RpmSolvable> installed, Map<String, String> enabled, List<String> names) {
    ModularFilter filter = ModularFilter.of(metadata.modules, enabled, Set.of(), Set.of());
    RpmResolver resolver = RpmResolver.of(installed, metadata.repositories(filter), "x86_64",
        CentosStream9.INSTALLONLY);
    try {
      RpmResolver.Transaction t = resolver.upgrade(names.stream().map(RpmResolver.Request::of).toList());
      Set<String> out = new TreeSet<>();
      for (RpmResolver.Change c : t.changes()) {
        if (c.to() == null) {
          out.add("obsolete " + c.from().nevra());
        } else if (c.from() == null) {
          out.add((c.reason().equals("dependency") ? "install-dependency " : "install ") + c.to().nevra());
        } else {
          out.add("upgrade " + c.to().nevra());
        }
      }
      return out;
    } catch (RpmResolver.ResolutionException e) {
      System.out.println("ours: " + e.getMessage());
      return Set.of("FAIL");
    }
  }

  private static final Pattern PACKAGE = Pattern.compile("^ (\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+[\\d.]+ [kMG]$");
  private static final Pattern REPLACING = Pattern.compile("^\\s+replacing\\s+(\\S+)\\.(\\S+) (\\S+)$");

  /** dnf's transaction as the set ours is compared with; {"FAIL"} when dnf refuses. */
  static Set<String> dnf(Path root, List<String> names) throws Exception {
    List<String> command = new ArrayList<>(List.of("dnf", "-c", tmp.resolve("dnf.conf").toString(), "--installroot",
        root.toString(), "--noplugins", "--releasever", "9", "--assumeno", "upgrade"));
    command.addAll(names);
    String out = run(command, true);
    Set<String> result = new TreeSet<>();
    if (out.contains("Nothing to do.")) {
      return result;
    }
    if (!out.contains("Transaction Summary")) {
      assertTrue(out.contains("Error:"), out);
      return Set.of("FAIL");
    }
    String section = null;
    List<String> lines = new ArrayList<>(out.lines().toList());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      // A long name is printed alone with the rest on the next line.
      if (line.matches("^ \\S+$") && i + 1 < lines.size()) {
        line = line + lines.get(++i).replaceFirst("^\\s+", " ");
      }
      if (line.matches("^[A-Z][a-z ]+:$")) {
        section = line;
        continue;
      }
      Matcher m = PACKAGE.matcher(line);
      Matcher rep = REPLACING.matcher(line);
      if (rep.matches()) {
        result.add("obsolete " + rep.group(1) + "-" + rep.group(3) + "." + rep.group(2));
      } else if (m.matches() && section != null) {
        String nevra = m.group(1) + "-" + m.group(3) + "." + m.group(2);
        switch (section) {
          case "Upgrading:" -> result.add("upgrade " + nevra);
          case "Installing:" -> result.add("install " + nevra);
          case "Installing dependencies:" -> result.add("install-dependency " + nevra);
          default -> result.add(section + " " + nevra);
        }
      }
    }
    return result;
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    return run(command, false);
  }

  /** stdout and stderr together; a non-zero exit fails unless {@code anyExit} (dnf --assumeno exits 1). */
  static String run(List<String> command, boolean anyExit) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LC_ALL", "C");
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(command + " timed out");
    }
    String text = out.toString(StandardCharsets.UTF_8);
    if (!anyExit && p.exitValue() != 0) {
      throw new IOException(command + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }
}
