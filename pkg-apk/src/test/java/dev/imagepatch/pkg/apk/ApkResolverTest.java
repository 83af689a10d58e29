package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.apk.ApkResolver.Change;
import dev.imagepatch.pkg.apk.ApkResolver.Repository;
import dev.imagepatch.pkg.apk.ApkResolver.Request;
import dev.imagepatch.pkg.apk.ApkResolver.Resolution;
import dev.imagepatch.pkg.version.ApkVersion;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ApkResolverTest {
  private static final String ALPINE = "vectors/alpine/";

  // ---- real data ----

  /** The header stanzas of an installed database (its file lines F R a M Z left out), read as index stanzas. */
  static List<ApkRecord> installedRecords(String name) throws Exception {
    String text = ApkTestData.text(ALPINE + "installed/" + name);
    String headers = text.lines().filter(l -> !l.matches("^[FRaMZ]:.*")).collect(Collectors.joining("\n")) + "\n";
    List<ApkRecord> records = ApkRecord.parseIndex(headers, name);
    // the same headers InstalledDatabase reads
    assertEquals(records, InstalledDatabase.parse(text, name).packages().stream().map(InstalledPackage::header).toList());
    return records;
  }

  static String world(String minirootfs) throws Exception {
    return ApkTestData.member(ApkTestData.path(ALPINE + "minirootfs/" + minirootfs), "./etc/apk/world");
  }

  /** name -> {old, new, status} from a diff TSV. */
  static Map<String, String[]> diff(String tsv) throws Exception {
    Map<String, String[]> out = new LinkedHashMap<>();
    for (String line : ApkTestData.text(ALPINE + "minirootfs/" + tsv).split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      out.put(f[0], new String[] {f[2], f[3], f[4]});
    }
    return out;
  }

  static List<Request> upgradedRequests(Map<String, String[]> diff) {
    List<Request> out = new ArrayList<>();
    diff.forEach((name, f) -> {
      if (f[2].equals("upgraded")) {
        out.add(new Request(name, f[1], List.of("CVE-TEST-" + name)));
      }
    });
    return out;
  }

  /** The installed list after the changes, as apk leaves it: removed and old records out, new ones appended. */
  static List<ApkRecord> after(List<ApkRecord> installed, List<Change> changes) {
    List<ApkRecord> out = new ArrayList<>(installed);
    for (Change c : changes) {
      if (c.from() != null) {
        assertTrue(out.remove(c.from()), c.toString());
      }
      if (c.to() != null) {
        out.add(c.to());
      }
    }
    return out;
  }

  /** Every D: of every package is provided and no !conflict is installed: the state apk would leave is consistent. */
  static void assertConsistent(List<ApkRecord> state) {
    for (ApkRecord p : state) {
      for (Dependency d : p.depends()) {
        boolean provided = false;
        boolean conflicting = false;
        for (ApkRecord q : state) {
          if (q.name().equals(d.name())) {
            provided |= d.matches(q.version());
            conflicting = true;
          }
          for (Dependency pr : q.provides()) {
            if (pr.name().equals(d.name())) {
              provided |= d.op() == null || (pr.version() != null && d.matches(pr.version()));
              conflicting = true;
            }
          }
        }
        if (d.conflict()) {
          assertTrue(!conflicting || !provided, p + " conflicts with an installed " + d.name());
        } else {
          assertTrue(provided, p + ": dependency " + d + " not provided in " + state);
        }
      }
    }
  }

  static Map<String, String> versions(List<ApkRecord> records) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ApkRecord r : records) {
      out.put(r.name(), r.version());
    }
    return out;
  }

  static int indexOf(List<Change> changes, String name) {
    for (int i = 0; i < changes.size(); i++) {
      if (changes.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void alpine3103To3109TheDifferingPackagesYieldExactly3109() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.10.3-x86_64");
    List<ApkRecord> repo = installedRecords("installed-3.10.9-x86_64");
    String world = world("alpine-minirootfs-3.10.3-x86_64.tar.gz");
    Map<String, String[]> diff = diff("diff-3.10.3-to-3.10.9-x86_64.tsv");
    ApkResolver resolver = ApkResolver.of(
        InstalledDatabase.parse(ApkTestData.text(ALPINE + "installed/installed-3.10.3-x86_64"), "3.10.3"),
        world, List.of(new Repository("3.10.9", null, repo)), "x86_64");
    Resolution r = resolver.upgrade(upgradedRequests(diff));

    Map<String, ApkRecord> expected = new LinkedHashMap<>();
    for (ApkRecord e : repo) {
      expected.put(e.name(), e);
    }
    List<String> names = r.changes().stream().map(Change::name).sorted().toList();
    List<String> wanted = diff.entrySet().stream().filter(e -> e.getValue()[2].equals("upgraded"))
        .map(Map.Entry::getKey).sorted().toList();
    assertEquals(wanted, names);
    for (Change c : r.changes()) {
      assertEquals("requested", c.reason(), c.toString());
      assertEquals(diff.get(c.name())[0], c.fromVersion());
      assertEquals(expected.get(c.name()), c.to(), "the 3.10.9 record of " + c.name());
      assertNull(c.tag());
    }
    assertEquals(world, r.world());
    List<ApkRecord> state = after(installed, r.changes());
    assertEquals(versions(repo).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList(),
        versions(state).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList());
    assertConsistent(state);
    // commit order: dependencies first (musl before everything linking against it, libcrypto before libssl).
    assertTrue(indexOf(r.changes(), "musl") < indexOf(r.changes(), "busybox"));
    assertTrue(indexOf(r.changes(), "libcrypto1.1") < indexOf(r.changes(), "libssl1.1"));
    assertTrue(indexOf(r.changes(), "libssl1.1") < indexOf(r.changes(), "apk-tools"));
  }

  @Test
  void alpine3103LibcryptoAloneLeavesLibsslSinceItsDependencyIsUnversioned() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.10.3-x86_64");
    List<ApkRecord> repo = installedRecords("installed-3.10.9-x86_64");
    ApkResolver resolver = ApkResolver.of(installed, world("alpine-minirootfs-3.10.3-x86_64.tar.gz"),
        List.of(new Repository("3.10.9", null, repo)), "x86_64");
    Resolution r = resolver.upgrade(List.of(new Request("libcrypto1.1", "1.1.1k-r0", List.of("CVE-2021-3450"))));
    assertEquals(List.of("libcrypto1.1"), r.changes().stream().map(Change::name).toList());
    assertConsistent(after(installed, r.changes()));
    // busybox alone: ssl_client's install_if (busybox=1.30.1-r2) breaks, so apk swaps it for the new one.
    r = resolver.upgrade(List.of(new Request("busybox", "", List.of())));
    assertEquals(List.of("busybox:requested", "ssl_client:install_if"),
        r.changes().stream().map(c -> c.name() + ":" + c.reason()).toList());
    assertConsistent(after(installed, r.changes()));
  }

  @Test
  void alpine3194To3203AlsoRemovesLibcUtilsWhoseNameNewMuslUtilsProvides() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.19.4-x86_64");
    List<ApkRecord> repo = installedRecords("installed-3.20.3-x86_64");
    String world = world("alpine-minirootfs-3.19.4-x86_64.tar.gz");
    assertTrue(world.contains("libc-utils"));
    Map<String, String[]> diff = diff("diff-3.19.4-to-3.20.3-x86_64.tsv");
    ApkResolver resolver = ApkResolver.of(installed, world, List.of(new Repository("3.20.3", null, repo)), "x86_64");
    Resolution r = resolver.upgrade(upgradedRequests(diff));
    Map<String, String> got = new LinkedHashMap<>();
    for (Change c : r.changes()) {
      got.put(c.name(), c.to() == null ? "-" : c.to().version());
    }
    Map<String, String> want = new LinkedHashMap<>();
    diff.forEach((n, f) -> {
      if (!f[2].equals("same")) {
        want.put(n, f[1]);
      }
    });
    assertEquals(new java.util.TreeMap<>(want), new java.util.TreeMap<>(got));
    Change libcUtils = r.changes().get(indexOf(r.changes(), "libc-utils"));
    assertTrue(libcUtils.isRemoval());
    assertEquals("removed", libcUtils.reason());
    // purged where apk purges it: the world's libc-utils now resolves to musl-utils 1.2.5
    // (p:libc-utils=1.2.5-r0), so the old package goes first, then musl-utils is upgraded.
    assertEquals(indexOf(r.changes(), "libc-utils") + 1, indexOf(r.changes(), "musl-utils"));
    assertEquals(world, r.world(), "the world still names libc-utils; musl-utils now provides it");
    List<ApkRecord> state = after(installed, r.changes());
    assertEquals(versions(repo).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList(),
        versions(state).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList());
    assertConsistent(state);
  }

  @Test
  void alpine3194LibsslAloneCoUpgradesLibcryptoPinnedByEquals() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.19.4-x86_64");
    List<ApkRecord> repo = installedRecords("installed-3.20.3-x86_64");
    ApkResolver resolver = ApkResolver.of(installed, world("alpine-minirootfs-3.19.4-x86_64.tar.gz"),
        List.of(new Repository("3.20.3", null, repo)), "x86_64");
    Resolution r = resolver.upgrade(List.of(new Request("libssl3", "3.3.2-r0", List.of("CVE-2024-5535"))));
    assertEquals(List.of("libcrypto3:dependency:3.3.2-r0", "libssl3:requested:3.3.2-r0"),
        r.changes().stream().map(c -> c.name() + ":" + c.reason() + ":" + c.to().version()).toList());
    assertConsistent(after(installed, r.changes()));
    // libcrypto3 alone: the installed libssl3 3.1.7 has no versioned dependency on it, so it stays.
    r = resolver.upgrade(List.of(new Request("libcrypto3", "", List.of())));
    assertEquals(List.of("libcrypto3"), r.changes().stream().map(Change::name).toList());
    // busybox alone: busybox-binsh (D:busybox=1.36.1-r19) and ssl_client (i:busybox=1.36.1-r19) follow.
    r = resolver.upgrade(List.of(new Request("busybox", "1.36.1-r29", List.of())));
    assertConsistent(after(installed, r.changes()));
    assertEquals(List.of("busybox", "busybox-binsh", "ssl_client"),
        r.changes().stream().map(Change::name).sorted().toList());
  }

  @Test
  void updateAllOnBothRealPairs() throws Exception {
    for (String[] pair : new String[][] {
        {"installed-3.10.3-x86_64", "installed-3.10.9-x86_64", "alpine-minirootfs-3.10.3-x86_64.tar.gz",
            "diff-3.10.3-to-3.10.9-x86_64.tsv"},
        {"installed-3.19.4-x86_64", "installed-3.20.3-x86_64", "alpine-minirootfs-3.19.4-x86_64.tar.gz",
            "diff-3.19.4-to-3.20.3-x86_64.tsv"}}) {
      List<ApkRecord> installed = installedRecords(pair[0]);
      List<ApkRecord> repo = installedRecords(pair[1]);
      ApkResolver resolver = ApkResolver.of(installed, world(pair[2]), List.of(new Repository("r", null, repo)), "x86_64");
      Map<String, String[]> diff = diff(pair[3]);
      Map<String, String> want = new java.util.TreeMap<>();
      diff.forEach((n, f) -> {
        if (f[2].equals("upgraded")) {
          want.put(n, f[1]);
        }
      });
      Map<String, String> got = new java.util.TreeMap<>();
      for (Request q : resolver.updateAll()) {
        got.put(q.name(), q.minimumVersion());
      }
      assertEquals(want, got, pair[0]);
      Resolution all = resolver.upgradeAll();
      List<ApkRecord> state = after(installed, all.changes());
      assertEquals(new java.util.TreeMap<>(versions(repo)), new java.util.TreeMap<>(versions(state)), pair[0]);
      assertConsistent(state);
    }
  }

  static List<ApkRecord> v316Index() throws Exception {
    String text = ApkTestData.member(ApkTestData.path(ALPINE + "apkindex/APKINDEX-v3.16-main-x86_64.tar.gz"), "APKINDEX");
    return ApkRecord.parseIndex(text, "APKINDEX-v3.16-main-x86_64");
  }

  @Test
  void realV316IndexUpgradesA310RootfsAcrossReleases() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.10.3-x86_64");
    List<ApkRecord> index = v316Index();
    String world = world("alpine-minirootfs-3.10.3-x86_64.tar.gz");
    ApkResolver resolver = ApkResolver.of(installed, world, List.of(new Repository("v3.16/main", null, index)), "x86_64");
    Resolution all = resolver.upgradeAll();
    List<ApkRecord> state = after(installed, all.changes());
    assertConsistent(state);
    Map<String, String> v = versions(state);
    for (Change c : all.changes()) {
      if (c.to() != null) {
        assertTrue(index.contains(c.to()), c.name());
        if (c.fromVersion() != null) {
          assertTrue(ApkVersion.compare(c.to().version(), c.fromVersion(), false) > 0, "never a downgrade: " + c);
        }
      }
    }
    // alpine-baselayout 3.2.0 depends on alpine-baselayout-data=3.2.0-*: installed new, not added to world.
    assertTrue(all.changes().stream().anyMatch(c -> c.name().equals("alpine-baselayout-data") && c.isInstall()
        && c.reason().equals("dependency")));
    assertEquals(world, all.world());
    assertTrue(ApkVersion.compare(v.get("musl"), "1.2", false) > 0);

    // a report asking for one package: only what it needs follows.
    Resolution one = resolver.upgrade(List.of(new Request("zlib", "1.2.12-r0", List.of("CVE-2022-37434"))));
    assertConsistent(after(installed, one.changes()));
    assertEquals("zlib", one.changes().get(one.changes().size() - 1).name());
  }

  @Test
  void realV316IndexNeverDowngradesANewerRootfs() throws Exception {
    List<ApkRecord> installed = installedRecords("installed-3.19.4-x86_64");
    ApkResolver resolver = ApkResolver.of(installed, world("alpine-minirootfs-3.19.4-x86_64.tar.gz"),
        List.of(new Repository("v3.16/main", null, v316Index())), "x86_64");
    assertEquals(List.of(), resolver.upgradeAll().changes());
    assertEquals(List.of(), resolver.updateAll());
  }

  // ---- synthetic ----

  static ApkRecord rec(String name, String version, String... lines) {
    StringBuilder b = new StringBuilder();
    b.append("C:").append(checksum(name + "-" + version + String.join("", lines))).append('\n');
    b.append("P:").append(name).append("\nV:").append(version).append("\nA:x86_64\nS:100\nI:1000\n");
    for (String l : lines) {
      b.append(l).append('\n');
    }
    return ApkRecord.parseIndex(b.toString(), "synthetic").get(0);
  }

  static String checksum(String s) {
    try {
      return "Q1" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> summary(Resolution r) {
    return r.changes().stream().map(c -> c.name() + " " + (c.fromVersion() == null ? "new" : c.fromVersion())
        + "->" + (c.to() == null ? "gone" : c.to().version()) + " " + c.reason()
        + (c.tag() == null ? "" : " @" + c.tag())).toList();
  }

  @Test
  void soProviderOfANewSonameIsInstalledAndTheOrphanRemoved() throws Exception {
    List<ApkRecord> installed = List.of(
        rec("libfoo", "1.0-r0", "p:so:libfoo.so.1=1"),
        rec("app", "1.0-r0", "D:so:libfoo.so.1"));
    Repository main = new Repository("main", null, List.of(
        rec("libfoo", "1.0-r0", "p:so:libfoo.so.1=1"),
        rec("libfoo2", "2.0-r0", "p:so:libfoo.so.2=2"),
        rec("app", "2.0-r0", "D:so:libfoo.so.2")));
    Resolution r = ApkResolver.of(installed, "app\n", List.of(main), "x86_64")
        .upgrade(List.of(new Request("app", "2.0-r0", List.of("CVE-1"))));
    // apk removes a package nothing needs any more and the world does not name.
    assertEquals(List.of("libfoo2 new->2.0-r0 dependency", "app 1.0-r0->2.0-r0 requested", "libfoo 1.0-r0->gone removed"),
        summary(r));
    assertEquals("app\n", r.world());
  }

  @Test
  void providerPriorityChoosesAmongUnversionedProvidersAndVersionBeatsIt() throws Exception {
    List<ApkRecord> installed = List.of(rec("app", "1.0-r0"));
    Repository main = new Repository("main", null, List.of(
        rec("app", "2.0-r0", "D:cmd:foo"),
        rec("foo-a", "9.0-r0", "p:cmd:foo", "k:10"),
        rec("foo-b", "1.0-r0", "p:cmd:foo", "k:100")));
    Resolution r = ApkResolver.of(installed, "app", List.of(main), null).upgrade(List.of(new Request("app", "", List.of())));
    assertEquals(List.of("foo-b new->1.0-r0 dependency", "app 1.0-r0->2.0-r0 requested"), summary(r));

    main = new Repository("main", null, List.of(
        rec("app", "2.0-r0", "D:so:libbar.so.1"),
        rec("bar-a", "1.0-r0", "p:so:libbar.so.1=1.2", "k:1"),
        rec("bar-b", "1.0-r0", "p:so:libbar.so.1=1.1", "k:100")));
    r = ApkResolver.of(installed, "app", List.of(main), null).upgrade(List.of(new Request("app", "", List.of())));
    assertEquals(List.of("bar-a new->1.0-r0 dependency", "app 1.0-r0->2.0-r0 requested"), summary(r));
  }

  @Test
  void pinnedRepositoryServesOnlyWorldDependenciesPinnedToItAndTheirDependencies() throws Exception {
    List<ApkRecord> installed = List.of(
        rec("lib", "1.0-r0"),
        rec("app", "1.0-r0", "D:lib"),
        rec("tool", "1.0-r0", "D:lib", "s:edge"));
    Repository main = new Repository("main", null, List.of(
        rec("lib", "1.0-r0"), rec("app", "1.1-r0", "D:lib"), rec("tool", "1.0-r0", "D:lib", "s:edge")));
    Repository edge = new Repository("edge", "@edge", List.of(
        rec("lib", "2.0-r0"), rec("app", "2.0-r0", "D:lib"), rec("tool", "2.0-r0", "D:lib>=2.0")));
    ApkResolver resolver = ApkResolver.of(installed, "app\ntool@edge\n", List.of(main, edge), null);
    Resolution r = resolver.upgrade(List.of(new Request("app", "", List.of()), new Request("tool", "", List.of())));
    // lib 2.0 is only in @edge: allowed because tool@edge's pin is inherited by its dependencies.
    assertEquals(List.of("lib 1.0-r0->2.0-r0 dependency @edge", "app 1.0-r0->1.1-r0 requested",
        "tool 1.0-r0->2.0-r0 requested @edge"), summary(r));
    assertEquals("app\ntool@edge\n", r.world());

    ApkResolver.ResolutionException e = assertThrows(ApkResolver.ResolutionException.class,
        () -> resolver.upgrade(List.of(new Request("app", "2.0-r0", List.of("CVE-2024-1", "GHSA-x")))));
    String m = e.getMessage();
    for (String part : List.of("app", "2.0-r0", "CVE-2024-1", "GHSA-x", "1.0-r0 (installed", "1.1-r0 (main)",
        "2.0-r0 (edge @edge; pinned repository the world does not ask for)")) {
      assertTrue(m.contains(part), part + " in: " + m);
    }

    e = assertThrows(ApkResolver.ResolutionException.class,
        () -> ApkResolver.of(installed, "app@testing", List.of(main, edge), null).upgrade(List.of()));
    assertTrue(e.getMessage().contains("app@testing"), e.getMessage());
  }

  @Test
  void conflictRemovesWhatTheNewVersionRefusesOrKeepsTheOldVersion() throws Exception {
    List<ApkRecord> installed = List.of(rec("oldlib", "1.0-r0"), rec("app", "1.0-r0", "D:oldlib"));
    Repository main = new Repository("main", null, List.of(
        rec("oldlib", "1.0-r0"), rec("newlib", "1.0-r0"), rec("app", "2.0-r0", "D:newlib !oldlib")));
    Resolution r = ApkResolver.of(installed, "app", List.of(main), null).upgrade(List.of(new Request("app", "", List.of())));
    // apk's changeset order: app's dependencies first, the conflicting oldlib purged among them.
    assertEquals(List.of("newlib new->1.0-r0 dependency", "oldlib 1.0-r0->gone removed",
        "app 1.0-r0->2.0-r0 requested"), summary(r));

    // the world itself asks for oldlib: apk's solver (no backtracking) still picks app 2.0 for the
    // upgraded name and then fails, as apk does ("app-2.0-r0 breaks: world[oldlib]").
    ApkResolver.ResolutionException e = assertThrows(ApkResolver.ResolutionException.class,
        () -> ApkResolver.of(installed, "app oldlib", List.of(main), null)
            .upgrade(List.of(new Request("app", "2.0-r0", List.of("CVE-9")))));
    assertEquals("apk upgrade app cannot be resolved: oldlib-1.0-r0: conflicts with app-2.0-r0[!oldlib];"
        + " app-2.0-r0: unfulfilled dependency !oldlib (requested for CVE-9)", e.getMessage());
  }

  @Test
  void installIfInstallsANewPackageOnceItsConditionHolds() throws Exception {
    List<ApkRecord> installed = List.of(rec("bash", "5.0-r0"), rec("app", "1.0-r0"));
    Repository main = new Repository("main", null, List.of(
        rec("bash", "5.0-r0"), rec("app", "2.0-r0"),
        rec("app-bash-completion", "2.0-r0", "i:app=2.0-r0 bash"),
        rec("app-doc", "2.0-r0", "i:app=2.0-r0 docs")));
    Resolution r = ApkResolver.of(installed, "app bash", List.of(main), null)
        .upgrade(List.of(new Request("app", "", List.of())));
    assertEquals(List.of("app 1.0-r0->2.0-r0 requested", "app-bash-completion new->2.0-r0 install_if"), summary(r));
    assertEquals("app bash", r.world());
  }

  @Test
  void missingFixNamesPackageCandidatesAndVulnerabilities() throws Exception {
    List<ApkRecord> installed = List.of(rec("libfoo", "1.0-r0"));
    Repository main = new Repository("main", null, List.of(rec("libfoo", "1.0-r0"), rec("libfoo", "1.1-r0")));
    ApkResolver.ResolutionException e = assertThrows(ApkResolver.ResolutionException.class,
        () -> ApkResolver.of(installed, "libfoo", List.of(main), null)
            .upgrade(List.of(new Request("libfoo", "1.2-r0", List.of("CVE-2023-1", "CVE-2023-2")))));
    assertEquals("libfoo: no candidate reaches 1.2-r0 (for CVE-2023-1, CVE-2023-2); apk upgrade would leave it at"
        + " 1.1-r0; candidates seen: 1.0-r0 (installed, main), 1.1-r0 (main)", e.getMessage());

    e = assertThrows(ApkResolver.ResolutionException.class,
        () -> ApkResolver.of(installed, "libfoo", List.of(main), null)
            .upgrade(List.of(new Request("libbar", "1.0-r0", List.of("CVE-3")))));
    assertTrue(e.getMessage().startsWith("libbar: not installed"), e.getMessage());
    assertTrue(e.getMessage().contains("CVE-3"), e.getMessage());
  }

  @Test
  void dependencyCycleUpgradesTogether() throws Exception {
    List<ApkRecord> installed = List.of(rec("a", "1.0-r0", "D:b"), rec("b", "1.0-r0", "D:a"));
    Repository main = new Repository("main", null, List.of(
        rec("a", "1.0-r0", "D:b"), rec("b", "1.0-r0", "D:a"),
        rec("a", "2.0-r0", "D:b=2.0-r0"), rec("b", "2.0-r0", "D:a=2.0-r0")));
    Resolution r = ApkResolver.of(installed, "a", List.of(main), null).upgrade(List.of(new Request("a", "2.0-r0", List.of())));
    assertEquals(List.of("b 1.0-r0->2.0-r0 dependency", "a 1.0-r0->2.0-r0 requested"), summary(r));
  }

  @Test
  void versionedDependencyForcesCoUpgradeAndUnsatisfiableOneIsRefused() throws Exception {
    List<ApkRecord> installed = List.of(rec("libx", "1.0-r0"), rec("app", "1.0-r0", "D:libx"));
    Repository main = new Repository("main", null, List.of(
        rec("libx", "1.0-r0"), rec("libx", "1.5-r0"), rec("app", "2.0-r0", "D:libx>=1.5")));
    Resolution r = ApkResolver.of(installed, "app", List.of(main), null).upgrade(List.of(new Request("app", "", List.of())));
    assertEquals(List.of("libx 1.0-r0->1.5-r0 dependency", "app 1.0-r0->2.0-r0 requested"), summary(r));

    Repository broken = new Repository("main", null, List.of(rec("app", "2.0-r0", "D:libx>=3")));
    ApkResolver.ResolutionException e = assertThrows(ApkResolver.ResolutionException.class,
        () -> ApkResolver.of(installed, "app", List.of(broken), null)
            .upgrade(List.of(new Request("app", "2.0-r0", List.of("CVE-5")))));
    assertTrue(e.getMessage().contains("app") && e.getMessage().contains("CVE-5"), e.getMessage());
  }

  @Test
  void replacesDecidesFileOwnership() {
    ApkRecord owner = rec("busybox", "1.0-r0", "o:busybox");
    assertEquals(ApkResolver.FileOwnership.REPLACE, ApkResolver.replacesFile(owner, rec("busybox", "2.0-r0")));
    assertEquals(ApkResolver.FileOwnership.REPLACE,
        ApkResolver.replacesFile(owner, rec("busybox-binsh", "2.0-r0", "o:busybox")));
    assertEquals(ApkResolver.FileOwnership.REPLACE,
        ApkResolver.replacesFile(owner, rec("toybox", "1.0-r0", "o:toybox", "r:busybox")));
    assertEquals(ApkResolver.FileOwnership.CONFLICT, ApkResolver.replacesFile(owner, rec("toybox", "1.0-r0", "o:toybox")));
    assertEquals(ApkResolver.FileOwnership.KEEP, ApkResolver.replacesFile(
        rec("busybox", "1.0-r0", "o:busybox", "r:toybox", "q:10"), rec("toybox", "1.0-r0", "o:toybox", "r:busybox")));
  }
}
