package dev.imagepatch.cli.e2e;

import static dev.imagepatch.cli.e2e.AlpineFixtures.field;
import static dev.imagepatch.cli.e2e.AlpineFixtures.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.cli.CliRun;
import dev.imagepatch.cli.demo.DebianDemo;
import dev.imagepatch.cli.e2e.AlpineFixtures.Entry;
import dev.imagepatch.cli.e2e.AlpineFixtures.Layer;
import dev.imagepatch.cli.e2e.AlpineFixtures.Node;
import dev.imagepatch.cli.e2e.AlpineFixtures.Packed;
import dev.imagepatch.cli.e2e.AlpineFixtures.RecordFile;
import dev.imagepatch.cli.e2e.AlpineFixtures.Upgrade;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.copy.ImageCopier;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.oci.testing.RegistryExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Alpine minirootfs images patched by {@code imagepatch patch} against a real registry, from
 * a signed apk repository of the packages that differ in the next real minirootfs (packed from its
 * own files, records and scripts by {@code apk/make-apk-repository.py}, signed with a key made
 * here), then copied out by skopeo, unpacked by umoci and judged against what apk itself wrote in
 * that next minirootfs.
 *
 * <p>Fields of an upgraded record that differ from the real one: only {@code C:} (the control
 * checksum) and {@code S:} (the .apk's size), because the test repacks the packages with its own
 * key; the record must carry the repacked package's, as the index says. The installed database has
 * no install time and no repository pin for an upgrade from an untagged repository, so nothing else
 * may differ. A configuration file under /etc the image had changed (apk's protected paths) is kept
 * and the package's beside it as {@code .apk-new}, as apk does: in 3.19.4 that is /etc/shadow, whose
 * root password the minirootfs builder locked.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlpinePatchE2ETest {
  @RegisterExtension
  static final RegistryExtension registry = RegistryExtension.open();

  @RegisterExtension
  static final AlpineFixtures.Server server = new AlpineFixtures.Server();

  @TempDir
  static Path work;

  static Path keyring;
  static Path cache;
  static Map<String, String> mirrorTo = new LinkedHashMap<>();
  static String prefix310;
  static String prefix319;
  static Map<String, Map<String, Packed>> packed310 = new LinkedHashMap<>();
  static Map<String, Packed> packed320;
  static Path reports310;
  static Path report320;
  static Path reportWolfi;
  static List<Upgrade> wolfiUpgrades;
  static String image310;
  static Path patched310amd64;

  @BeforeAll
  static void buildRepositoriesAndImages() throws Exception {
    long start = System.nanoTime();
    Path keys = work.resolve("keys");
    Path priv = AlpineFixtures.key(keys, AlpineFixtures.KEY_NAME);
    Path impostor = AlpineFixtures.key(keys, AlpineFixtures.IMPOSTOR_KEY_NAME);
    keyring = keys.resolve(AlpineFixtures.KEY_NAME);
    cache = work.resolve("cache");

    // The repositories: the image's first repository line gets the packages, the others an empty signed index.
    Path old310 = AlpineFixtures.minirootfs("3.10.3", "x86_64");
    Path old319 = AlpineFixtures.minirootfs("3.19.4", "x86_64");
    prefix310 = AlpineFixtures.repositoriesPrefix(old310);
    prefix319 = AlpineFixtures.repositoriesPrefix(old319);
    List<String> names310 = AlpineFixtures.repositoryNames(old310);
    List<String> names319 = AlpineFixtures.repositoryNames(old319);
    List<List<String>> runs = new ArrayList<>();
    for (String arch : List.of("x86_64", "aarch64")) {
      List<String> args = new ArrayList<>(List.of("--rootfs", AlpineFixtures.minirootfs("3.10.9", arch).toString(),
          "--key", priv.toString(), "--changed-from", AlpineFixtures.minirootfs("3.10.3", arch).toString(),
          "--out", work.resolve("r310").resolve(names310.get(0)).toString()));
      if (arch.equals("aarch64")) {
        args.add("--sha256"); // both signature kinds: SHA-1 on x86_64, SHA-1 and SHA-256 on aarch64
      }
      runs.add(args);
      for (String other : names310.subList(1, names310.size())) {
        runs.add(List.of("--empty", arch, "--key", priv.toString(), "--out",
            work.resolve("r310").resolve(other).toString()));
      }
    }
    runs.add(List.of("--rootfs", AlpineFixtures.minirootfs("3.20.3", "x86_64").toString(), "--key", priv.toString(),
        "--changed-from", old319.toString(), "--out", work.resolve("r320").resolve(names319.get(0)).toString()));
    for (String other : names319.subList(1, names319.size())) {
      runs.add(List.of("--empty", "x86_64", "--key", priv.toString(), "--out",
          work.resolve("r320").resolve(other).toString()));
    }
    Map<String, List<String>> bad = new LinkedHashMap<>();
    bad.put("unknown-key", List.of("--key", impostor.toString(), "--key-name", AlpineFixtures.IMPOSTOR_KEY_NAME));
    bad.put("unsigned", List.of("--key", priv.toString(), "--unsigned-index"));
    bad.put("checksum", List.of("--key", priv.toString(), "--wrong-checksum", "musl"));
    bad.put("escape", List.of("--key", priv.toString(), "--escape", "musl"));
    bad.put("apkv3", List.of("--key", priv.toString(), "--apkv3-index"));
    bad.forEach((name, options) -> {
      List<String> args = new ArrayList<>(List.of("--rootfs", AlpineFixtures.minirootfs("3.10.9", "x86_64").toString(),
          "--changed-from", old310.toString(), "--out", work.resolve("bad-" + name).resolve(names310.get(0)).toString()));
      args.addAll(options);
      runs.add(args);
    });
    AlpineFixtures.makeRepositories(runs);
    for (String arch : List.of("x86_64", "aarch64")) {
      packed310.put(arch, AlpineFixtures.packed(work.resolve("r310").resolve(names310.get(0)).resolve(arch)));
    }
    packed320 = AlpineFixtures.packed(work.resolve("r320").resolve(names319.get(0)).resolve("x86_64"));
    mirrorTo.put("r310", server.serve("/r310", work.resolve("r310")));
    mirrorTo.put("r320", server.serve("/r320", work.resolve("r320")));
    for (String name : bad.keySet()) {
      mirrorTo.put("bad-" + name, server.serve("/bad-" + name, work.resolve("bad-" + name)));
      for (String other : names310.subList(1, names310.size())) {
        server.serve("/bad-" + name + "/" + other, work.resolve("r310").resolve(other));
      }
    }

    // The images.
    OciLayout layout = OciLayout.openOrCreate(work.resolve("layout"));
    Layer base310x86 = Layer.of(old310);
    Layer base310arm = Layer.of(AlpineFixtures.minirootfs("3.10.3", "aarch64"));
    Descriptor x86 = AlpineFixtures.image(layout, "3.10.3-x86_64", "x86_64", List.of(base310x86), "minirootfs 3.10.3");
    Descriptor arm = AlpineFixtures.image(layout, null, "aarch64", List.of(base310arm), "minirootfs 3.10.3");
    AlpineFixtures.index(layout, "3.10.3", List.of(x86, arm));
    AlpineFixtures.image(layout, "3.10.3-distroless", "x86_64", List.of(base310x86,
        AlpineFixtures.layer(work.resolve("distroless.tar.gz"), List.of(Entry.whiteout("sbin/apk"),
            Entry.whiteout("etc/apk")))), "minirootfs 3.10.3 without apk");
    // 3.19.4 trusts the test key through /etc/apk/keys, as an image built with it would; no --keyring.
    AlpineFixtures.image(layout, "3.19.4", "x86_64", List.of(Layer.of(old319),
        AlpineFixtures.layer(work.resolve("key.tar.gz"), List.of(
            Entry.file("etc/apk/keys/" + AlpineFixtures.KEY_NAME, 0644, Files.readAllBytes(keyring))))),
        "minirootfs 3.19.4 and the test key");
    wolfiUpgrades = AlpineFixtures.upgrades(AlpineFixtures.installed(old310),
        AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.9", "x86_64"))).stream()
        // lib{crypto,ssl}1.1 ship lib/X and a usr/lib/X -> ../../lib/X link: not installable on a usrmerged root.
        .filter(u -> List.of("musl", "musl-utils", "busybox", "ssl_client", "ca-certificates-cacert")
            .contains(u.name())).toList();
    Map<String, byte[]> wolfiExtra = new LinkedHashMap<>();
    wolfiExtra.put("etc/os-release", ("ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n")
        .getBytes(StandardCharsets.UTF_8));
    for (Upgrade u : wolfiUpgrades) {
      if (u.name().equals("musl") || u.name().equals("busybox")) {
        wolfiExtra.put(sbom(u.name(), u.from()), ("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"apk-" + u.name() + "-"
            + u.from() + "\"}\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    AlpineFixtures.image(layout, "wolfi", "x86_64", List.of(AlpineFixtures.usrmerged(old310,
        work.resolve("wolfi.tar.gz"), wolfiExtra)), "3.10.3 usrmerged as Wolfi");
    Path debianRoot = work.resolve("debian-rootfs");
    Files.createDirectories(debianRoot.resolve("etc"));
    Files.createDirectories(debianRoot.resolve("var/lib/dpkg"));
    Files.writeString(debianRoot.resolve("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
    Files.writeString(debianRoot.resolve("var/lib/dpkg/status"), "Package: zlib1g\nStatus: install ok installed\n"
        + "Priority: optional\nSection: libs\nMaintainer: Mark Brown <broonie@debian.org>\nArchitecture: amd64\n"
        + "Source: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library - runtime\n\n");
    DebianDemo.image(debianRoot, layout, "debian-12", "amd64", AlpineFixtures.CREATED);

    ImageCopier copier = ImageCopier.create(4, new ImageCopier.Listener() {});
    for (String tag : List.of("3.10.3", "3.10.3-x86_64", "3.10.3-distroless", "3.19.4")) {
      copier.copy(layout, tag, registry.client().repository("alpine"), tag);
    }
    copier.copy(layout, "wolfi", registry.client().repository("wolfi"), "base");
    copier.copy(layout, "debian-12", registry.client().repository("debian"), "12");
    image310 = registry.host() + "/alpine:3.10.3";

    // The reports: one per platform for the index.
    reports310 = Files.createDirectories(work.resolve("reports-310"));
    for (String arch : List.of("x86_64", "aarch64")) {
      List<Upgrade> u = AlpineFixtures.upgrades(AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.3", arch)),
          AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.9", arch)));
      AlpineFixtures.trivyReport(reports310.resolve(AlpineFixtures.ociArch(arch) + ".json"), image310, "alpine",
          "3.10.3", AlpineFixtures.ociArch(arch), u);
    }
    report320 = AlpineFixtures.trivyReport(work.resolve("report-320.json"), registry.host() + "/alpine:3.19.4",
        "alpine", "3.19.4", "amd64", AlpineFixtures.upgrades(AlpineFixtures.installed(old319),
            AlpineFixtures.installed(AlpineFixtures.minirootfs("3.20.3", "x86_64"))));
    reportWolfi = AlpineFixtures.trivyReport(work.resolve("report-wolfi.json"), registry.host() + "/wolfi:base",
        "wolfi", "20230201", "amd64", wolfiUpgrades);
    System.out.printf("apk fixtures ready in %d ms%n", (System.nanoTime() - start) / 1_000_000);
  }

  static String sbom(String name, String version) {
    return "var/lib/db/sbom/" + name + "-" + version + ".spdx.json";
  }

  private static CliRun patch(String... args) {
    CliRun r = CliRun.of(args);
    System.out.println(r.err() + r.out());
    return r;
  }

  @Test
  @Order(1)
  void alpine3103To3109OnBothPlatformsIsWhatApkWrote() throws Exception {
    CliRun r = patch("patch", "-i", image310, "-r", reports310.toString(), "--push", "--cache", cache.toString(),
        "--mirror", prefix310 + "=" + mirrorTo.get("r310"), "--keyring", keyring.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("Patched index " + image310 + " -> " + image310 + "-patched"), r.out());
    assertFalse(r.out().contains("Still vulnerable"), r.out());

    Path pulled = work.resolve("pulled-310");
    skopeoCopy(image310 + "-patched", pulled, "patched");
    OciLayout layout = OciLayout.open(pulled);
    Index index = (Index) layout.fetchManifest("patched");
    assertEquals(2, index.manifests().size());
    for (Descriptor child : index.manifests()) {
      String arch = child.platform().orElseThrow().architecture().equals("amd64") ? "x86_64" : "aarch64";
      layout.putManifest((Manifest) layout.fetchManifest(child.digest().toString()), arch);
      Path root = DebianFixtures.unpack(pulled, arch, work.resolve("bundle-310-" + arch));
      Path oldTar = AlpineFixtures.minirootfs("3.10.3", arch);
      Path newTar = AlpineFixtures.minirootfs("3.10.9", arch);
      List<Upgrade> upgrades = AlpineFixtures.upgrades(AlpineFixtures.installed(oldTar),
          AlpineFixtures.installed(newTar));
      assertTrue(upgrades.stream().map(Upgrade::name).toList().containsAll(List.of("libcrypto1.1", "libssl1.1",
          "busybox", "musl", "ca-certificates-cacert", "apk-tools")), upgrades.toString());
      new Judge(arch, root, oldTar, newTar, packed310.get(arch), names(upgrades), Set.of(), "lib/apk/db", false)
          .all("lib/libcrypto.so.1.1", "OpenSSL 1.1.1k");
      if (arch.equals("x86_64")) {
        patched310amd64 = root;
      }
    }
  }

  @Test
  @Order(2)
  void alpine3194To3203IsWhatApkWroteWithTheImagesOwnKey() throws Exception {
    String image = registry.host() + "/alpine:3.19.4";
    CliRun r = patch("patch", "-i", image, "-r", report320.toString(), "--push", "--cache", cache.toString(),
        "--mirror", prefix319 + "=" + mirrorTo.get("r320"));
    assertEquals(0, r.code(), r.out() + r.err());
    Path pulled = work.resolve("pulled-320");
    skopeoCopy(image + "-patched", pulled, "patched");
    Path root = DebianFixtures.unpack(pulled, "patched", work.resolve("bundle-320"));
    Path oldTar = AlpineFixtures.minirootfs("3.19.4", "x86_64");
    Path newTar = AlpineFixtures.minirootfs("3.20.3", "x86_64");
    List<Upgrade> changes = AlpineFixtures.upgrades(AlpineFixtures.installed(oldTar), AlpineFixtures.installed(newTar));
    List<String> removed = changes.stream().filter(u -> u.to() == null).map(Upgrade::name).toList();
    assertEquals(List.of("libc-utils"), removed);
    // libc-utils is in 3.19.4's world (and 3.20.3's): the world is a constraint apk keeps, and in
    // 3.20 musl-utils provides libc-utils, so apk upgrade replaces the package and keeps the world line.
    String world = new String(AlpineFixtures.file(oldTar, "etc/apk/world"), StandardCharsets.UTF_8);
    assertTrue(world.lines().anyMatch("libc-utils"::equals), world);
    Judge judge = new Judge("x86_64", root, oldTar, newTar, packed320,
        changes.stream().filter(u -> u.to() != null).map(Upgrade::name).toList(), Set.copyOf(removed), "lib/apk/db",
        false);
    judge.extraBase.add("etc/apk/keys/" + AlpineFixtures.KEY_NAME);
    judge.all("lib/libcrypto.so.3", "OpenSSL 3.3.2");
    assertTrue(field(judge.patchedRecords.get("musl-utils"), 'p').contains("libc-utils=1.2.5-r0"),
        "musl-utils provides libc-utils");
  }

  @Test
  @Order(3)
  void distrolessAlpineIsPatchedTheSameWay() throws Exception {
    String image = registry.host() + "/alpine:3.10.3-distroless";
    Path report = AlpineFixtures.trivyReport(work.resolve("report-distroless.json"), image, "alpine", "3.10.3",
        "amd64", AlpineFixtures.upgrades(AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.3", "x86_64")),
            AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.9", "x86_64"))));
    // No /etc/apk: the repository and its key come with the request.
    CliRun r = patch("patch", "-i", image, "-r", report.toString(), "--push", "--cache", cache.toString(),
        "--extra-repository", mirrorTo.get("r310") + "/" + AlpineFixtures.repositoryNames(
            AlpineFixtures.minirootfs("3.10.3", "x86_64")).get(0), "--keyring", keyring.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    Path pulled = work.resolve("pulled-distroless");
    skopeoCopy(image + "-patched", pulled, "patched");
    Path root = DebianFixtures.unpack(pulled, "patched", work.resolve("bundle-distroless"));
    assertNotNull(patched310amd64, "the 3.10.3 image was patched first (alpine3103To3109OnBothPlatformsIsWhatApkWrote)");

    Map<String, Node> full = AlpineFixtures.dirTree(patched310amd64);
    Map<String, Node> distroless = AlpineFixtures.dirTree(root);
    Set<String> written = new HashSet<>();
    Map<String, String> newRecords = records(AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.9", "x86_64")));
    for (Upgrade u : AlpineFixtures.upgrades(AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.3", "x86_64")),
        AlpineFixtures.installed(AlpineFixtures.minirootfs("3.10.9", "x86_64")))) {
      AlpineFixtures.recordFiles(newRecords.get(u.name()), true).forEach(f -> written.add(f.path()));
      AlpineFixtures.recordFiles(newRecords.get(u.name()), false).forEach(f -> written.add(f.path()));
    }
    Set<String> all = new TreeSet<>(full.keySet());
    all.addAll(distroless.keySet());
    List<String> wrong = new ArrayList<>();
    for (String p : all) {
      boolean removedFromBase = p.equals("sbin/apk") || p.equals("etc/apk") || p.startsWith("etc/apk/");
      Node expected = removedFromBase && !written.contains(p) ? null : full.get(p);
      if (!java.util.Objects.equals(expected, distroless.get(p))) {
        wrong.add(p + ": expected " + expected + ", distroless has " + distroless.get(p));
      }
    }
    assertEquals(List.of(), wrong, "the distroless result is the full one without the files its base lacked");
    assertTrue(distroless.containsKey("sbin/apk"), "the upgraded apk-tools brings its /sbin/apk, as apk would");
    assertFalse(distroless.containsKey("etc/apk/world"));
  }

  @Test
  @Order(4)
  void wolfiLayoutKeepsItsDatabaseUnderUsrAndWhitesOutTheOldSbom() throws Exception {
    String image = registry.host() + "/wolfi:base";
    CliRun r = patch("patch", "-i", image, "-r", reportWolfi.toString(), "--push", "--cache", cache.toString(),
        "--mirror", prefix310 + "=" + mirrorTo.get("r310"), "--keyring", keyring.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    Path pulled = work.resolve("pulled-wolfi");
    skopeoCopy(image + "-patched", pulled, "patched");
    OciLayout layout = OciLayout.open(pulled);
    Manifest m = (Manifest) layout.fetchManifest("patched");
    assertEquals(2, m.layers().size());
    List<String> names = AlpineFixtures.layerNames(layout.blobPath(m.layers().get(1).digest()));
    assertTrue(names.stream().noneMatch(n -> AlpineFixtures.normalize(n).equals("lib")
        || AlpineFixtures.normalize(n).startsWith("lib/")), "nothing under lib/ in the layer: " + names);
    assertTrue(names.stream().map(AlpineFixtures::normalize).toList().contains("usr/lib/apk/db/installed"), names.toString());
    for (Upgrade u : wolfiUpgrades) {
      if (u.name().equals("musl") || u.name().equals("busybox")) {
        String sbom = sbom(u.name(), u.from());
        String whiteout = sbom.substring(0, sbom.lastIndexOf('/') + 1) + ".wh." + sbom.substring(sbom.lastIndexOf('/') + 1);
        assertTrue(names.stream().map(AlpineFixtures::normalize).toList().contains(whiteout), whiteout + " in " + names);
      }
    }

    Path root = DebianFixtures.unpack(pulled, "patched", work.resolve("bundle-wolfi"));
    assertEquals("usr/lib", Files.readSymbolicLink(root.resolve("lib")).toString(), "lib is still the usrmerge link");
    assertTrue(Files.readString(root.resolve("etc/os-release")).contains("ID=wolfi"));
    for (Upgrade u : wolfiUpgrades) {
      assertFalse(Files.exists(root.resolve(sbom(u.name(), u.from())), LinkOption.NOFOLLOW_LINKS),
          "old SBOM of " + u.name());
    }
    new Judge("x86_64", root, AlpineFixtures.minirootfs("3.10.3", "x86_64"),
        AlpineFixtures.minirootfs("3.10.9", "x86_64"), packed310.get("x86_64"), names(wolfiUpgrades), Set.of(),
        "usr/lib/apk/db", true).all(null, null);
  }

  @Test
  @Order(5)
  void badInputsAreRefusedClearlyAndNothingIsPushed() throws Exception {
    String image = registry.host() + "/alpine:3.10.3-x86_64";
    Path report = reports310.resolve("amd64.json");
    // What each refusal must say (all of it, in any order): what failed and what it concerns.
    Map<String, List<String>> expected = new LinkedHashMap<>();
    expected.put("unknown-key", List.of("APKINDEX", java.util.regex.Pattern.quote(AlpineFixtures.IMPOSTOR_KEY_NAME)));
    expected.put("unsigned", List.of("APKINDEX", "(?i)unsigned|not signed|no signature"));
    expected.put("checksum", List.of("musl", "control checksum"));
    expected.put("escape", List.of("musl", "\\.\\./escaped-by-musl"));
    expected.put("apkv3", List.of("APKv3"));
    int n = 0;
    List<String> tags = new ArrayList<>();
    for (Map.Entry<String, List<String>> bad : expected.entrySet()) {
      String tag = "bad-" + (++n) + "-" + bad.getKey();
      tags.add(tag);
      CliRun r = patch("patch", "-i", image, "-r", report.toString(), "-t", tag, "--push",
          "--cache", work.resolve("cache-" + bad.getKey()).toString(),
          "--mirror", prefix310 + "=" + mirrorTo.get("bad-" + bad.getKey()), "--keyring", keyring.toString());
      assertEquals(1, r.code(), bad.getKey() + ": " + r.out() + r.err());
      for (String wanted : bad.getValue()) {
        assertTrue(java.util.regex.Pattern.compile(wanted).matcher(r.err()).find(), bad.getKey() + ": /" + wanted
            + "/ in " + r.err());
      }
    }
    // A report for Alpine against a Debian image.
    CliRun debian = patch("patch", "-i", registry.host() + "/debian:12", "-r", report.toString(), "-t", "bad-alpine",
        "--push", "--cache", work.resolve("cache-debian").toString());
    assertEquals(1, debian.code(), debian.out() + debian.err());
    assertTrue(debian.err().contains("the report is for alpine"), debian.err());
    assertFalse(registry.client().listTags("debian").contains("bad-alpine"), "nothing pushed for the Debian image");

    List<String> pushed = registry.client().listTags("alpine");
    for (String t : tags) {
      assertFalse(pushed.contains(t), t + " was not pushed");
    }
  }

  private static List<String> names(List<Upgrade> upgrades) {
    return upgrades.stream().filter(u -> u.to() != null).map(Upgrade::name).toList();
  }

  private static void skopeoCopy(String reference, Path layout, String tag) throws Exception {
    Commands.run("skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + reference,
        "oci:" + layout + ":" + tag);
  }


  /**
   * A real Trivy report (trivy's own alpine-310 fixture: libcrypto1.1 and libssl1.1, fixed in
   * 1.1.1d-r0 and 1.1.1d-r2) over the 3.10.3 image: only those two are upgraded, to the highest
   * version the repository has, and the OpenVEX document names them with apk purls.
   */
  @Test
  @Order(6)
  void aRealTrivyAlpineReportUpgradesWhatItNames() throws Exception {
    Path report = dev.imagepatch.testing.SharedData.path("vectors/trivy/trivy-alpine-310.json");
    Path vex = work.resolve("trivy-alpine.vex.json");
    CliRun r = patch("patch", "-i", registry.host() + "/alpine:3.10.3-x86_64", "-r", report.toString(),
        "--oci-dir", work.resolve("out-trivy").toString(), "--cache", cache.toString(),
        "--mirror", prefix310 + "=" + mirrorTo.get("r310"), "--keyring", keyring.toString(),
        "-f", "openvex", "-o", vex.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    List<String> changed = r.out().lines().filter(l -> l.matches("\\s+\\S+\\s+\\S+\\s+\\S+\\s+requested.*"))
        .map(String::strip).toList();
    assertEquals(2, changed.size(), r.out());
    assertTrue(changed.get(0).matches("libcrypto1\\.1\\s+1\\.1\\.1d-r0\\s+1\\.1\\.1k-r0\\s+requested"), changed.toString());
    assertTrue(changed.get(1).matches("libssl1\\.1\\s+1\\.1\\.1d-r0\\s+1\\.1\\.1k-r0\\s+requested"), changed.toString());
    assertTrue(r.out().contains("CVE-2019-1551 (libcrypto1.1)") && r.out().contains("CVE-2019-1551 (libssl1.1)"),
        r.out());
    String doc = Files.readString(vex);
    assertTrue(doc.contains("pkg:apk/alpine/libcrypto1.1@1.1.1k-r0?arch=x86_64"), doc);
    assertTrue(doc.contains("pkg:apk/alpine/libssl1.1@1.1.1k-r0?arch=x86_64"), doc);
  }

  /** Grype reports name Wolfi and Chainguard images by their distro; both go to the apk family. */
  @Test
  @Order(7)
  void grypeReportsForWolfiAndChainguardArePlannedByTheApkFamily() throws Exception {
    for (String distro : List.of("wolfi", "chainguard")) {
      Path report = work.resolve("grype-" + distro + ".json");
      StringBuilder matches = new StringBuilder();
      for (Upgrade u : wolfiUpgrades) {
        if (matches.length() > 0) {
          matches.append(",");
        }
        matches.append("{\"vulnerability\": {\"id\": \"GHSA-test-" + u.name() + "\", \"severity\": \"High\","
            + " \"fix\": {\"versions\": [\"" + u.to() + "\"], \"state\": \"fixed\"}},"
            + " \"relatedVulnerabilities\": [], \"matchDetails\": [{\"type\": \"exact-direct-match\","
            + " \"matcher\": \"apk-matcher\", \"searchedBy\": {\"distro\": {\"type\": \"" + distro + "\"}}}],"
            + " \"artifact\": {\"id\": \"" + u.name() + "\", \"name\": \"" + u.name() + "\", \"version\": \""
            + u.from() + "\", \"type\": \"apk\", \"locations\": [{\"path\": \"/usr/lib/apk/db/installed\"}],"
            + " \"purl\": \"pkg:apk/" + distro + "/" + u.name() + "@" + u.from() + "?arch=x86_64\", \"upstreams\": []}}");
      }
      Files.writeString(report, "{\"matches\": [" + matches + "], \"source\": {\"type\": \"image\", \"target\":"
          + " {\"userInput\": \"" + registry.host() + "/wolfi:base\", \"architecture\": \"amd64\", \"os\": \"linux\"}},"
          + " \"distro\": {\"name\": \"" + distro + "\", \"version\": \"20230201\", \"idLike\": []},"
          + " \"descriptor\": {\"name\": \"grype\", \"version\": \"0.0.0-test\"}}");
      CliRun r = patch("patch", "-i", registry.host() + "/wolfi:base", "-r", report.toString(), "--dry-run",
          "--cache", cache.toString(), "--mirror", prefix310 + "=" + mirrorTo.get("r310"),
          "--keyring", keyring.toString());
      assertEquals(0, r.code(), distro + ": " + r.out() + r.err());
      for (Upgrade u : wolfiUpgrades) {
        assertTrue(r.out().lines().anyMatch(l -> l.strip().matches(java.util.regex.Pattern.quote(u.name())
            + "\\s+" + java.util.regex.Pattern.quote(u.from()) + "\\s+" + java.util.regex.Pattern.quote(u.to()) + "\\s+.*")),
            distro + ": " + u + " in " + r.out());
      }
    }
  }

  /**
   * Judges one patched root filesystem against the old and the new real minirootfs: what apk
   * itself wrote in the new one is what the patch must have written for the upgraded packages.
   */
  static final class Judge {
    final String arch;
    final Path root;
    final Map<String, Node> oldTree;
    final Map<String, Node> newTree;
    final Map<String, String> oldRecords;
    final Map<String, String> newRecords;
    final Map<String, String> patchedRecords;
    final Map<String, Packed> packed;
    final List<String> upgraded;
    final Set<String> removed;
    final String db;
    final boolean usrmerged;
    final Map<String, byte[]> oldEtc;
    final Path oldTar;
    final Path newTar;
    final Set<String> extraBase = new HashSet<>();

    Judge(String arch, Path root, Path oldTar, Path newTar, Map<String, Packed> packed, Collection<String> upgraded,
        Set<String> removed, String db, boolean usrmerged) throws Exception {
      this.arch = arch;
      this.root = root;
      this.oldTar = oldTar;
      this.newTar = newTar;
      this.oldTree = AlpineFixtures.tarTree(oldTar);
      this.newTree = AlpineFixtures.tarTree(newTar);
      this.oldRecords = records(AlpineFixtures.installed(oldTar));
      this.newRecords = records(AlpineFixtures.installed(newTar));
      this.packed = packed;
      this.upgraded = List.copyOf(upgraded);
      this.removed = removed;
      this.db = db;
      this.usrmerged = usrmerged;
      Path installed = root.resolve(db).resolve("installed");
      assertTrue(Files.isRegularFile(installed, LinkOption.NOFOLLOW_LINKS), arch + ": the database at " + db);
      this.patchedRecords = records(Files.readString(installed));
      this.oldEtc = AlpineFixtures.files(oldTar, p -> p.startsWith("etc/"));
    }

    /** Every judge; {@code libcrypto} (a path) must be the new build, which names itself {@code marker}. */
    void all(String libcrypto, String marker) throws Exception {
      judgeRecords();
      files();
      oldFilesGone();
      appletLinksAndCaBundle();
      worldUnchanged();
      scriptsAndTriggers();
      if (!usrmerged) {
        nothingElseChanged();
      }
      if (libcrypto != null) {
        Path lib = root.resolve(libcrypto);
        byte[] content = Files.readAllBytes(lib);
        assertEquals(newTree.get(libcrypto).sha256(), AlpineFixtures.hex("SHA-256", content), arch + " " + libcrypto);
        assertTrue(new String(content, StandardCharsets.ISO_8859_1).contains(marker), arch + ": " + libcrypto
            + " is the " + marker + " build");
      }
    }

    /** Each upgraded record is the new minirootfs's, C: and S: being the repacked package's; the others unchanged. */
    void judgeRecords() {
      Set<String> expectedNames = new TreeSet<>(oldRecords.keySet());
      expectedNames.removeAll(removed);
      expectedNames.addAll(upgraded);
      assertEquals(expectedNames, new TreeSet<>(patchedRecords.keySet()), arch + ": the installed packages");
      for (String name : patchedRecords.keySet()) {
        String expected;
        if (upgraded.contains(name)) {
          Packed p = packed.get(name);
          assertNotNull(p, name + " was packed");
          expected = AlpineFixtures.withField(AlpineFixtures.withField(newRecords.get(name), 'C', p.checksum()), 'S',
              String.valueOf(p.size()));
        } else {
          expected = oldRecords.get(name);
        }
        assertEquals(expected, patchedRecords.get(name), arch + ": the record of " + name);
      }
    }

    /** Each file and directory of the upgraded packages is the new minirootfs's (apk's protected /etc aside). */
    void files() throws Exception {
      List<String> wrong = new ArrayList<>();
      int checked = 0;
      for (String name : upgraded) {
        String record = newRecords.get(name);
        for (RecordFile d : AlpineFixtures.recordFiles(record, true)) {
          if (d.path().isEmpty()) {
            continue;
          }
          Node want = newTree.get(d.path());
          Path at = inRoot(d.path());
          if (Files.isSymbolicLink(at) && !Files.readSymbolicLink(at).isAbsolute() && Files.isDirectory(at)) {
            // A usrmerged image's own directory symlink (lib -> usr/lib): apk unpacks through it, and
            // the directory it names is the image's, not the package's to set.
            continue;
          }
          Node got = AlpineFixtures.node(at);
          if (got == null || got.type() != 'd' || want != null && (want.mode() != got.mode()
              || want.uid() != got.uid() || want.gid() != got.gid())) {
            wrong.add(d.path() + "/: expected " + want + ", got " + got);
          }
        }
        for (RecordFile f : AlpineFixtures.recordFiles(record, false)) {
          checked++;
          Node got = AlpineFixtures.node(inRoot(f.path()));
          if (keptAsApkNew(f)) {
            Node kept = oldTree.get(f.path());
            if (!kept.equals(got)) {
              wrong.add(f.path() + ": a changed config file is kept: expected " + kept + ", got " + got);
            }
            Path apkNew = inRoot(f.path() + ".apk-new");
            if (!Files.isRegularFile(apkNew, LinkOption.NOFOLLOW_LINKS)
                || !f.checksum().equals(AlpineFixtures.q1(Files.readAllBytes(apkNew)))) {
              wrong.add(f.path() + ".apk-new: the package's version beside it (" + f.checksum() + ")");
            }
            continue;
          }
          Node want = newTree.get(f.path());
          if (!want.equals(got)) {
            wrong.add(f.path() + ": expected " + want + ", got " + got);
          }
        }
      }
      assertEquals(List.of(), wrong, arch + ": files of the upgraded packages");
      assertTrue(checked >= 10, arch + ": " + checked + " files checked");
    }

    /**
     * apk keeps a file under a protected path (/etc, but /etc/apk) that the image changed (its content
     * is not what the old record says, or no old record lists it) and writes the package's as .apk-new,
     * unless the two are the same.
     */
    boolean keptAsApkNew(RecordFile f) {
      if (!f.path().startsWith("etc/") || f.path().startsWith("etc/apk/") || !oldEtc.containsKey(f.path())) {
        return false;
      }
      String disk = AlpineFixtures.q1(oldEtc.get(f.path()));
      String oldListed = null;
      for (String rec : oldRecords.values()) {
        for (RecordFile o : AlpineFixtures.recordFiles(rec, false)) {
          if (o.path().equals(f.path())) {
            oldListed = o.checksum();
          }
        }
      }
      return !disk.equals(oldListed) && !disk.equals(f.checksum());
    }

    /** No file the old versions had and no package has now is left. */
    void oldFilesGone() throws Exception {
      Set<String> listedNow = new HashSet<>();
      for (String rec : patchedRecords.values()) {
        AlpineFixtures.recordFiles(rec, false).forEach(f -> listedNow.add(f.path()));
      }
      List<String> left = new ArrayList<>();
      int gone = 0;
      for (String name : oldRecords.keySet()) {
        if (!upgraded.contains(name) && !removed.contains(name)) {
          continue;
        }
        for (RecordFile f : AlpineFixtures.recordFiles(oldRecords.get(name), false)) {
          if (!listedNow.contains(f.path())) {
            gone++;
            if (AlpineFixtures.node(inRoot(f.path())) != null) {
              left.add(f.path() + " (" + name + " " + field(oldRecords.get(name), 'V') + ")");
            }
          }
        }
      }
      assertEquals(List.of(), left, arch + ": files of the old versions left");
      System.out.println(arch + ": " + gone + " files of old versions gone");
    }

    /** busybox --install -s made the same applet links; the CA bundle is the new one. */
    void appletLinksAndCaBundle() throws Exception {
      Set<String> want = new TreeSet<>();
      newTree.forEach((p, n) -> {
        if (n.type() == 'l' && "/bin/busybox".equals(n.link())) {
          want.add(p);
        }
      });
      Set<String> got = new TreeSet<>();
      for (String dir : List.of("bin", "sbin", "usr/bin", "usr/sbin")) {
        try (var s = Files.list(root.resolve(dir))) {
          for (Path p : s.toList()) {
            if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).toString().equals("/bin/busybox")) {
              got.add(root.relativize(p).toString());
            }
          }
        }
      }
      assertTrue(want.size() > 250, want.size() + " applet links");
      assertEquals(want, got, arch + ": busybox applet links");
      for (Map.Entry<String, Node> e : newTree.entrySet()) {
        if (e.getKey().equals("etc/ssl/cert.pem") || e.getKey().startsWith("etc/ssl/certs/")) {
          assertEquals(e.getValue(), AlpineFixtures.node(inRoot(e.getKey())), arch + ": " + e.getKey());
        }
      }
      Path bundle = root.resolve("etc/ssl/cert.pem");
      assertTrue(Files.exists(bundle), "the CA bundle");
    }

    /** An upgrade leaves /etc/apk/world as it was. */
    void worldUnchanged() throws Exception {
      byte[] before = AlpineFixtures.file(oldTar, "etc/apk/world");
      Path world = root.resolve("etc/apk/world");
      if (before != null) {
        assertArrayEquals(before, Files.readAllBytes(world), arch + ": /etc/apk/world");
      }
    }

    /** scripts.tar holds the new versions' scripts under the repacked checksum; triggers names that checksum. */
    void scriptsAndTriggers() throws Exception {
      Map<String, byte[]> newScripts = AlpineFixtures.tarEntries(AlpineFixtures.file(newTar, "lib/apk/db/scripts.tar"));
      Map<String, byte[]> oldScripts = AlpineFixtures.tarEntries(AlpineFixtures.file(oldTar, "lib/apk/db/scripts.tar"));
      Map<String, byte[]> got = AlpineFixtures.tarEntries(Files.readAllBytes(root.resolve(db).resolve("scripts.tar")));
      Map<String, String> expectedNames = new LinkedHashMap<>();
      for (String name : upgraded) {
        String prefix = name + "-" + field(newRecords.get(name), 'V') + "." + field(newRecords.get(name), 'C') + ".";
        newScripts.forEach((entry, content) -> {
          if (entry.startsWith(prefix)) {
            String renamed = name + "-" + field(newRecords.get(name), 'V') + "." + packed.get(name).checksum() + "."
                + entry.substring(prefix.length());
            expectedNames.put(renamed, entry);
          }
        });
      }
      for (Map.Entry<String, String> e : expectedNames.entrySet()) {
        assertNotNull(got.get(e.getKey()), arch + ": " + e.getKey() + " in scripts.tar " + got.keySet());
        assertArrayEquals(newScripts.get(e.getValue()), got.get(e.getKey()), e.getKey());
      }
      for (String entry : got.keySet()) {
        for (String name : oldRecords.keySet()) {
          if ((upgraded.contains(name) || removed.contains(name))
              && entry.startsWith(name + "-" + field(oldRecords.get(name), 'V') + ".")) {
            throw new AssertionError(arch + ": the old version's script is still in scripts.tar: " + entry);
          }
        }
      }
      oldScripts.forEach((entry, content) -> {
        boolean ofChanged = oldRecords.keySet().stream().anyMatch(n -> (upgraded.contains(n) || removed.contains(n))
            && entry.startsWith(n + "-" + field(oldRecords.get(n), 'V') + "."));
        if (!ofChanged) {
          assertArrayEquals(content, got.get(entry), arch + ": " + entry + " kept");
        }
      });
      String newTriggers = new String(AlpineFixtures.file(newTar, "lib/apk/db/triggers"), StandardCharsets.UTF_8);
      String oldTriggers = new String(AlpineFixtures.file(oldTar, "lib/apk/db/triggers"), StandardCharsets.UTF_8);
      List<String> triggers = Files.readAllLines(root.resolve(db).resolve("triggers"));
      for (String name : upgraded) {
        String newChecksum = field(newRecords.get(name), 'C');
        newTriggers.lines().filter(l -> l.startsWith(newChecksum + " ")).forEach(l -> assertTrue(
            triggers.contains(packed.get(name).checksum() + l.substring(newChecksum.length())),
            arch + ": the trigger of " + name + " under its new checksum: " + triggers));
        String oldChecksum = field(oldRecords.get(name), 'C');
        assertTrue(triggers.stream().noneMatch(l -> l.startsWith(oldChecksum + " ")),
            arch + ": the old " + name + "'s trigger is gone: " + oldTriggers);
      }
    }

    /** Nothing outside the upgraded packages, their effects and the database changed, nor appeared. */
    void nothingElseChanged() throws Exception {
      Set<String> touched = new HashSet<>();
      for (String name : oldRecords.keySet()) {
        if (upgraded.contains(name) || removed.contains(name)) {
          AlpineFixtures.recordFiles(oldRecords.get(name), false).forEach(f -> touched.add(f.path()));
          AlpineFixtures.recordFiles(oldRecords.get(name), true).forEach(f -> touched.add(f.path()));
        }
      }
      for (String name : upgraded) {
        AlpineFixtures.recordFiles(newRecords.get(name), false).forEach(f -> {
          touched.add(f.path());
          touched.add(f.path() + ".apk-new");
        });
        AlpineFixtures.recordFiles(newRecords.get(name), true).forEach(f -> touched.add(f.path()));
      }
      Map<String, Node> got = AlpineFixtures.dirTree(root);
      List<String> wrong = new ArrayList<>();
      for (Map.Entry<String, Node> e : oldTree.entrySet()) {
        String p = e.getKey();
        if (touched.contains(p) || p.startsWith(db + "/") || "/bin/busybox".equals(e.getValue().link())) {
          continue;
        }
        if (!e.getValue().equals(got.get(p))) {
          wrong.add(p + ": was " + e.getValue() + ", is " + got.get(p));
        }
      }
      for (String p : got.keySet()) {
        if (!oldTree.containsKey(p) && !touched.contains(p) && !p.startsWith(db + "/") && !extraBase.contains(p)
            && !"/bin/busybox".equals(got.get(p).link())) {
          wrong.add(p + ": new, and no upgraded package has it");
        }
      }
      assertEquals(List.of(), wrong, arch + ": the rest of the image");
    }

    /** {@code path} in the patched root, following the image's own symlinks on the way (lib -> usr/lib). */
    Path inRoot(String path) throws Exception {
      Path current = root;
      String[] parts = path.split("/");
      for (int i = 0; i < parts.length; i++) {
        Path next = current.resolve(parts[i]);
        int hops = 0;
        while (i < parts.length - 1 && Files.isSymbolicLink(next)) {
          String target = Files.readSymbolicLink(next).toString();
          next = (target.startsWith("/") ? root.resolve(target.substring(1)) : next.getParent().resolve(target))
              .normalize();
          if (++hops > 16 || !next.startsWith(root)) {
            throw new AssertionError(path + ": symlink loop or escape at " + next);
          }
        }
        current = next;
      }
      return current;
    }
  }
}
