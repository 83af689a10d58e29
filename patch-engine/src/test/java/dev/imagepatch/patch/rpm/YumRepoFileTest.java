package dev.imagepatch.patch.rpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.LayerBuilder;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.RepositoryOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dnf's .repo files and variables as the rpm backend reads them from an image. */
class YumRepoFileTest {
  @TempDir
  Path temp;

  static final String ROCKY = """
      # Rocky-BaseOS.repo
      [baseos]
      name=Rocky Linux $releasever - BaseOS
      #mirrorlist=https://mirrors.archive.example/mirrorlist?arch=$basearch&repo=BaseOS-$releasever
      baseurl=http://dl.archive.example/$contentdir/$releasever/BaseOS/$basearch/os/
        http://second.archive.example/$releasever/BaseOS/$basearch/os/
      gpgcheck=1
      enabled=1
      countme=1
      gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9
      priority = 10
      excludepkgs=kernel* ,foo

      [appstream-debug]
      name=Rocky Linux $releasever - AppStream - Debug
      metalink=https://mirrors.archive.example/metalink?repo=rocky-AppStream-debug-$releasever&arch=$basearch
      enabled=0
      skip_if_unavailable=True
      """;

  MergedFilesystem image(Map<String, String> files) throws Exception {
    LayerBuilder layer = new LayerBuilder();
    TreeMap<String, String> sorted = new TreeMap<>(files);
    sorted.forEach((path, content) -> {
      for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
        if (!layer.contains(path.substring(0, i))) {
          layer.directory(path.substring(0, i), 0755, 0, 0, 0);
        }
      }
      byte[] b = content.getBytes(StandardCharsets.UTF_8);
      layer.file(path, 0644, 0, 0, 0, b.length, () -> new ByteArrayInputStream(b));
    });
    Path blob = temp.resolve("layer.tar");
    layer.write(blob, LayerBuilder.Compression.GZIP, 0);
    return MergedFilesystem.read(List.of(() -> new java.util.zip.GZIPInputStream(Files.newInputStream(blob))),
        RpmBackend.KEEP, p -> false);
  }

  @Test
  void sectionsContinuationLinesAndCommentsAsDnfReadsThem() {
    List<YumRepoFile.Section> s = YumRepoFile.parse(ROCKY, "/etc/yum.repos.d/rocky.repo");
    assertEquals(List.of("baseos", "appstream-debug"), s.stream().map(YumRepoFile.Section::id).toList());
    assertEquals(List.of("http://dl.archive.example/$contentdir/$releasever/BaseOS/$basearch/os/",
        "http://second.archive.example/$releasever/BaseOS/$basearch/os/"), s.get(0).list("baseurl"));
    assertEquals(10, s.get(0).number("priority", 99));
    assertEquals(List.of("kernel*", "foo"), s.get(0).list("excludepkgs"));
    assertFalse(s.get(1).flag("enabled", true));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> YumRepoFile.parse("baseurl=http://x/\n", "/etc/yum.repos.d/bad.repo"));
    assertTrue(e.getMessage().startsWith("/etc/yum.repos.d/bad.repo line 1"), e.getMessage());
  }

  @Test
  void variablesFromTheImageAndDefaultsFromMain() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/yum.repos.d/rocky.repo", ROCKY, "etc/dnf/vars/contentdir", "pub/rocky\n",
        "etc/dnf/dnf.conf", "[main]\ngpgcheck=1\nrepo_gpgcheck=1\ninstallonly_limit=3\ntsflags=nodocs\n"));
    DnfVariables vars = DnfVariables.of(fs, List.of(), "x86_64", "9.4");
    List<RepoConfig> repos = RepoConfigs.of(fs, vars, RepositoryOptions.none(), s -> { });
    RepoConfig baseos = repos.get(0);
    assertEquals("http://dl.archive.example/pub/rocky/9.4/BaseOS/x86_64/os/", baseos.baseurls().get(0));
    assertTrue(baseos.gpgcheck() && baseos.repoGpgcheck(), "[main]'s repo_gpgcheck is the default");
    assertFalse(baseos.urlFromUser(), "an image's URL may not name this machine's files");
    assertFalse(baseos.admits("kernel-core"));
    assertTrue(baseos.admits("bash"));
    RepoConfig debug = repos.get(1);
    assertFalse(debug.enabled());
    assertTrue(debug.skipIfUnavailable() && !baseos.skipIfUnavailable());
    assertTrue(debug.baseurls().isEmpty());
    assertEquals("https://mirrors.archive.example/metalink?repo=rocky-AppStream-debug-9.4&arch=x86_64",
        debug.mirrorlist());
    assertTrue(RepoConfigs.nodocs(fs));
  }

  @Test
  void mirrorsRewriteAPrefixOrGiveARepositoryItsBaseUrlAndExtraRepositoriesAreUrlsOrFiles() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/yum.repos.d/rocky.repo", ROCKY));
    DnfVariables vars = DnfVariables.of(fs, List.of(), "aarch64", "9");
    Path extra = Files.writeString(temp.resolve("mine.repo"), "[mine]\nbaseurl=file:///srv/repo\ngpgcheck=0\n");
    List<RepoConfig> repos = RepoConfigs.of(fs, vars, RepositoryOptions.builder()
        .mirror("http://dl.archive.example/", "https://mirror.example/rocky")
        .mirror("appstream-debug", "https://mirror.example/debug").extraRepository("https://extra.example/os/")
        .extraRepository(extra.toString()).build(), s -> { });
    List<String> ids = new ArrayList<>();
    repos.forEach(r -> ids.add(r.id()));
    assertEquals(List.of("baseos", "appstream-debug", "extra-1", "mine"), ids);
    assertEquals("https://mirror.example/rocky/$contentdir/9/BaseOS/aarch64/os/", repos.get(0).baseurls().get(0),
        "an unknown variable stays as written; the mirror rewrites the prefix");
    assertTrue(repos.get(0).urlFromUser(), "a mirrored URL is the user's, and may be local");
    assertEquals(List.of("https://mirror.example/debug"), repos.get(1).baseurls());
    assertTrue(repos.get(2).gpgcheck() && !repos.get(2).fromImage());
    assertFalse(repos.get(3).gpgcheck());
    PatchException e = assertThrows(PatchException.class, () -> RepoConfigs.of(fs, vars, RepositoryOptions.builder()
        .extraRepository("no-such.repo").build(), s -> { }));
    assertTrue(e.getMessage().contains("a .repo file") && e.getMessage().contains("base URL"), e.getMessage());
  }

  @Test
  void modulesStateEnabledAndDisabled() throws Exception {
    MergedFilesystem fs = image(Map.of("etc/dnf/modules.d/nodejs.module",
        "[nodejs]\nname=nodejs\nstream=18\nprofiles=\nstate=enabled\n", "etc/dnf/modules.d/php.module",
        "[php]\nname=php\nstream=\nprofiles=\nstate=disabled\n"));
    ModulesState m = ModulesState.of(fs);
    assertEquals(Map.of("nodejs", "18"), m.enabled());
    assertEquals(java.util.Set.of("php"), m.disabled());
    assertNull(DnfVariables.releasever(List.of()));
  }
}
