package dev.imagepatch.pkg.rpm.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.repo.Checksum;
import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.rpm.repo.RpmFile;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Repository;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.Request;
import dev.imagepatch.pkg.rpm.resolve.RpmResolver.ResolutionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The resolver's rules on small made-up repositories (the real metadata and dnf itself judge it in
 * pkg-rpmdb's DnfUpgradeJudgeTest).
 */
class RpmResolverTest {
  /** A package: "name-[e:]v-r.arch" then dependency lines "P:dep", "R:dep", "C:dep", "O:dep", "F:/path". */
  static RpmRecord pkg(String nevra, String... deps) {
    int dot = nevra.lastIndexOf('.');
    String arch = nevra.substring(dot + 1);
    String nvr = nevra.substring(0, dot);
    int r = nvr.lastIndexOf('-');
    int v = nvr.lastIndexOf('-', r - 1);
    String name = nvr.substring(0, v);
    String ver = nvr.substring(v + 1, r);
    String epoch = "0";
    if (ver.contains(":")) {
      epoch = ver.substring(0, ver.indexOf(':'));
      ver = ver.substring(ver.indexOf(':') + 1);
    }
    List<RpmDependency> provides = new ArrayList<>();
    List<RpmDependency> requires = new ArrayList<>();
    List<RpmDependency> conflicts = new ArrayList<>();
    List<RpmDependency> obsoletes = new ArrayList<>();
    List<RpmDependency> suggests = new ArrayList<>();
    List<RpmFile> files = new ArrayList<>();
    for (String d : deps) {
      String body = d.substring(2);
      switch (d.charAt(0)) {
        case 'P' -> provides.add(parse(body));
        case 'R' -> requires.add(parse(body));
        case 'C' -> conflicts.add(parse(body));
        case 'O' -> obsoletes.add(parse(body));
        case 'S' -> suggests.add(parse(body));
        case 'F' -> files.add(new RpmFile(body, "file"));
        default -> throw new IllegalArgumentException(d);
      }
    }
    return new RpmRecord(name, arch, epoch, ver, nvr.substring(r + 1), new Checksum("sha256", "00".repeat(32)),
        "Packages/" + nevra + ".rpm", null, -1, -1, -1, -1, -1, null, -1, -1, provides, requires, conflicts,
        obsoletes, List.of(), suggests, List.of(), List.of(), files);
  }

  /** "name", "name >= [e:]v[-r]", or a rich "(...)". */
  static RpmDependency parse(String text) {
    if (text.startsWith("(")) {
      return new RpmDependency(text, null, null, null, null, false);
    }
    String[] p = text.split(" ");
    if (p.length == 1) {
      return new RpmDependency(text, null, null, null, null, false);
    }
    Dependency.Simple s = RichParser.simple(p[0], 0, p[2]);
    RpmDependency.Flags f = switch (p[1]) {
      case "=" -> RpmDependency.Flags.EQ;
      case "<" -> RpmDependency.Flags.LT;
      case ">" -> RpmDependency.Flags.GT;
      case "<=" -> RpmDependency.Flags.LE;
      default -> RpmDependency.Flags.GE;
    };
    return new RpmDependency(p[0], f, s.epoch(), s.version(), s.release(), false);
  }

  static RpmSolvable installed(String nevra, String... deps) {
    RpmRecord r = pkg(nevra, deps);
    List<String> files = r.files().stream().map(RpmFile::path).toList();
    return new RpmSolvable(r.name(), r.epoch(), r.version(), r.release(), r.arch(), r.provides(), r.requires(),
        r.conflicts(), r.obsoletes(), files, RpmSolvable.SYSTEM);
  }

  static RpmResolver resolver(List<RpmSolvable> installed, List<Repository> repos) {
    return RpmResolver.of(installed, repos, "x86_64", Set.of("kernel", "kernel-core"));
  }

  /** The transaction as "upgrade|install|remove nevra (reason)" lines. */
  static Set<String> upgrade(RpmResolver r, String... names) throws ResolutionException {
    Set<String> out = new TreeSet<>();
    for (RpmResolver.Change c : r.upgrade(List.of(names).stream().map(Request::of).toList()).changes()) {
      out.add(c.to() == null ? "remove " + c.from().nevra() + " (" + c.reason() + ")"
          : (c.from() == null ? "install " : "upgrade ") + c.to().nevra() + " (" + c.reason() + ")");
    }
    return out;
  }

  @Test
  void highestCandidateWithEpochs() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1.0-1.x86_64")), List.of(Repository.of("a", List.of(
        pkg("foo-9.0-1.x86_64"), pkg("foo-1:0.5-1.x86_64"), pkg("foo-0.9-1.x86_64")))));
    assertEquals(Set.of("upgrade foo-1:0.5-1.x86_64 (requested)"), upgrade(r, "foo"));
    RpmResolver.Change c = r.upgrade(List.of(Request.of("foo"))).changes().get(0);
    assertEquals("1.0", c.from().version());
    assertEquals("Packages/foo-1:0.5-1.x86_64.rpm", c.record().location());
    assertEquals("a", c.repository());
  }

  @Test
  void repositoryPriorityBeforeVersion() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1.0-1.x86_64")), List.of(
        new Repository("high", 10, 1000, List.of(pkg("foo-2.0-1.x86_64"))),
        Repository.of("low", List.of(pkg("foo-3.0-1.x86_64")))));
    assertEquals(Set.of("upgrade foo-2.0-1.x86_64 (requested)"), upgrade(r, "foo"));
  }

  @Test
  void newDependencyPrefersInstalledProviderThenBestArchAndVersion() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1.0-1.x86_64"), installed("have-1-1.x86_64", "P:virt")),
        List.of(Repository.of("a", List.of(
            pkg("foo-2.0-1.x86_64", "R:libbar.so.1()(64bit)", "R:virt", "R:/usr/bin/tool"),
            pkg("bar-1-1.x86_64", "P:libbar.so.1()(64bit)"), pkg("bar-2-1.x86_64", "P:libbar.so.1()(64bit)"),
            pkg("bar-3-1.i686", "P:libbar.so.1()(64bit)"), pkg("other-1-1.x86_64", "P:virt"),
            pkg("tools-1-1.noarch", "F:/usr/bin/tool")))));
    assertEquals(Set.of("upgrade foo-2.0-1.x86_64 (requested)", "install bar-2-1.x86_64 (dependency)",
        "install tools-1-1.noarch (dependency)"), upgrade(r, "foo"));
  }

  @Test
  void obsoletesReplaceInstalledPackages() throws Exception {
    RpmResolver r = resolver(List.of(installed("gdbm-1.21-1.x86_64")), List.of(Repository.of("a", List.of(
        pkg("gdbm-libs-1:1.19-4.x86_64", "O:gdbm < 1:1.14.1-4"), pkg("gdbm-libs-1:1.19-4.i686",
            "O:gdbm < 1:1.14.1-4")))));
    assertEquals(Set.of("install gdbm-libs-1:1.19-4.x86_64 (requested)", "remove gdbm-1.21-1.x86_64 (obsoleted)"),
        upgrade(r, "gdbm"));
  }

  @Test
  void conflictUpgradesTheInstalledPackage() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64"), installed("filesystem-1-1.x86_64")),
        List.of(Repository.of("a", List.of(pkg("foo-2-1.x86_64", "C:filesystem < 3"),
            pkg("filesystem-3-1.x86_64"), pkg("filesystem-4-1.x86_64", "R:missing")))));
    assertEquals(Set.of("upgrade foo-2-1.x86_64 (requested)", "upgrade filesystem-3-1.x86_64 (dependency)"),
        upgrade(r, "foo"), "filesystem 4 cannot be installed: its next best update is taken");
  }

  @Test
  void brokenInstalledDependentIsUpgradedOrTheUpgradeFails() throws Exception {
    List<RpmSolvable> inst = List.of(installed("xz-libs-1-1.x86_64"), installed("xz-devel-1-1.x86_64",
        "R:xz-libs = 1-1"));
    RpmResolver ok = resolver(inst, List.of(Repository.of("a", List.of(pkg("xz-libs-2-1.x86_64"),
        pkg("xz-devel-2-1.x86_64", "R:xz-libs = 2-1"), pkg("xz-devel-3-1.x86_64", "R:xz-libs = 3-1")))));
    assertEquals(Set.of("upgrade xz-libs-2-1.x86_64 (requested)", "upgrade xz-devel-2-1.x86_64 (dependency)"),
        upgrade(ok, "xz-libs"));
    RpmResolver stuck = resolver(inst, List.of(Repository.of("a", List.of(pkg("xz-libs-2-1.x86_64")))));
    ResolutionException e = assertThrows(ResolutionException.class, () -> stuck.upgrade(List.of(
        new Request("xz-libs", "2-1", List.of("CVE-2024-3094")))));
    assertTrue(e.getMessage().contains("xz-devel"), e.getMessage());
    assertEquals(List.of("CVE-2024-3094"), e.vulnerabilities());
  }

  @Test
  void alreadyBrokenInstalledRequirementsAreLeftAlone() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64"), installed("broken-1-1.x86_64", "R:gone")),
        List.of(Repository.of("a", List.of(pkg("foo-2-1.x86_64")))));
    assertEquals(Set.of("upgrade foo-2-1.x86_64 (requested)"), upgrade(r, "foo"));
  }

  @Test
  void multilibArchesUpgradeTogetherAndNoarchSwitchesAreAllowed() throws Exception {
    RpmResolver r = resolver(List.of(installed("lib-1-1.x86_64"), installed("lib-1-1.i686"),
        installed("data-1-1.x86_64")), List.of(Repository.of("a", List.of(pkg("lib-2-1.x86_64"),
            pkg("lib-2-1.i686"), pkg("data-2-1.noarch")))));
    assertEquals(Set.of("upgrade lib-2-1.x86_64 (requested)", "upgrade lib-2-1.i686 (multilib)",
        "upgrade data-2-1.noarch (requested)"), upgrade(r, "lib", "data"));
  }

  @Test
  void inferiorArchIsNotInstalledAsADependency() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64"), installed("crack-3-1.x86_64")),
        List.of(Repository.of("a", List.of(pkg("foo-2-1.x86_64", "R:crack = 2-1"), pkg("crack-2-1.x86_64"),
            pkg("crack-2-1.i686")))));
    ResolutionException e = assertThrows(ResolutionException.class, () -> upgrade(r, "foo"));
    assertTrue(e.getMessage().contains("crack = 2-1"), e.getMessage());
  }

  @Test
  void inferiorArchComesInLockStepWithItsBestArchSibling() throws Exception {
    RpmResolver r = resolver(List.of(installed("z-1-1.x86_64"), installed("z-1-1.i686"),
        installed("c-1-1.x86_64", "P:libc.so.6()(64bit)")), List.of(Repository.of("a", List.of(
            pkg("z-2-1.x86_64", "R:libc.so.6()(64bit)"), pkg("z-2-1.i686", "R:libc.so.6"),
            pkg("c-2-1.x86_64", "P:libc.so.6()(64bit)"), pkg("c-2-1.i686", "P:libc.so.6")))));
    assertEquals(Set.of("upgrade z-2-1.x86_64 (requested)", "upgrade z-2-1.i686 (multilib)",
        "upgrade c-2-1.x86_64 (dependency)", "install c-2-1.i686 (dependency)"), upgrade(r, "z"));
  }

  @Test
  void anInferiorArchInstalledAloneUpgradesFreely() throws Exception {
    RpmResolver r = resolver(List.of(installed("old-1-1.i686")), List.of(Repository.of("a", List.of(
        pkg("old-2-1.x86_64"), pkg("old-2-1.i686")))));
    assertEquals(Set.of("upgrade old-2-1.i686 (requested)"), upgrade(r, "old"));
  }

  @Test
  void richRequirements() throws Exception {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64"), installed("redhat-rpm-config-1-1.noarch")),
        List.of(Repository.of("a", List.of(
            pkg("foo-2-1.x86_64", "R:(extra = 2-1 if redhat-rpm-config)", "R:(x-langpack or minimal)",
                "R:(tool if nothing-installed)", "S:minimal"),
            pkg("extra-2-1.x86_64"), pkg("tool-1-1.x86_64"), pkg("a-langpack-1-1.x86_64", "P:x-langpack"),
            pkg("minimal-1-1.x86_64", "P:x-langpack")))));
    assertEquals(Set.of("upgrade foo-2-1.x86_64 (requested)", "install extra-2-1.x86_64 (dependency)",
        "install minimal-1-1.x86_64 (dependency)"), upgrade(r, "foo"), "what foo suggests wins the choice");
  }

  @Test
  void installonlyIsSkippedNeverUpgraded() throws Exception {
    RpmResolver r = resolver(List.of(installed("kernel-5-1.x86_64"), installed("kmod-1-1.x86_64",
        "P:installonlypkg(kernel-module)")), List.of(Repository.of("a", List.of(pkg("kernel-6-1.x86_64"),
            pkg("kmod-2-1.x86_64")))));
    RpmResolver.Transaction t = r.upgrade(List.of(Request.of("kernel"), Request.of("kmod")));
    assertEquals(List.of(), t.changes());
    assertEquals(List.of("kernel", "kmod"), t.skipped().stream().map(RpmResolver.Skipped::name).toList());
    assertEquals(List.of(), r.updateAll());
  }

  @Test
  void aFixedVersionAboveTheBestCandidateFailsNamingEverything() {
    RpmResolver r = resolver(List.of(installed("openssl-1:3.0.1-1.x86_64")), List.of(Repository.of("baseos",
        List.of(pkg("openssl-1:3.0.1-5.x86_64"), pkg("openssl-1:3.0.1-3.x86_64")))));
    ResolutionException e = assertThrows(ResolutionException.class, () -> r.upgrade(List.of(
        new Request("openssl", "1:3.0.7-1", List.of("CVE-2023-0286", "RHSA-2023:1405")))));
    assertEquals("openssl", e.packageName());
    assertEquals(List.of("openssl-1:3.0.1-3.x86_64 (baseos)", "openssl-1:3.0.1-5.x86_64 (baseos)"),
        e.candidates());
    assertEquals(List.of("CVE-2023-0286", "RHSA-2023:1405"), e.vulnerabilities());
    assertTrue(e.getMessage().contains("1:3.0.7-1") && e.getMessage().contains("CVE-2023-0286"), e.getMessage());
  }

  @Test
  void notInstalledOrUnknownNamesFail() {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64")), List.of(Repository.of("a", List.of(
        pkg("bar-1-1.x86_64")))));
    assertTrue(assertThrows(ResolutionException.class, () -> upgrade(r, "bar")).getMessage()
        .contains("not installed"));
    assertTrue(assertThrows(ResolutionException.class, () -> upgrade(r, "nope")).getMessage()
        .contains("no match"));
  }

  @Test
  void updateAllListsNamesWithANewerBestCandidate() {
    RpmResolver r = resolver(List.of(installed("foo-1-1.x86_64"), installed("bar-5-1.x86_64")),
        List.of(Repository.of("a", List.of(pkg("foo-2-1.x86_64"), pkg("foo-3-1.x86_64"), pkg("bar-4-1.x86_64")))));
    assertEquals(List.of(new Request("foo", "3-1", List.of())), r.updateAll());
  }
}
