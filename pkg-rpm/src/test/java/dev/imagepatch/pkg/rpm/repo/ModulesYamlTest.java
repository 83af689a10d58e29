package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The real CentOS Stream 9 AppStream modules.yaml.xz, and dnf's rules for default streams. */
class ModulesYamlTest {
  static ModulesYaml appStream() throws IOException {
    Repomd repomd = Vectors.repomd(Vectors.APPSTREAM);
    Repomd.Data data = repomd.require("modules", "appstream");
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.APPSTREAM, data))) {
      return ModulesYaml.read(data, in, data.location());
    }
  }

  @Test
  void appStreamStreamsAndArtifactsAreRead() throws IOException {
    ModulesYaml m = appStream();
    assertEquals(31, m.streams().size());
    Set<String> ids = m.streams().stream().map(ModulesYaml.ModuleStream::id).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(List.of("mariadb:10.11", "maven:3.8", "nginx:1.22", "nginx:1.24", "nodejs:18",
        "nodejs:20", "nodejs:22", "php:8.1", "php:8.2", "php:8.3", "postgresql:15", "postgresql:16", "redis:7",
        "ruby:3.1", "ruby:3.3")), ids);
    ModulesYaml.ModuleStream mariadb = m.streams("mariadb", "10.11").get(0);
    assertEquals(920240126110506L, mariadb.version());
    assertEquals("rhel9", mariadb.context());
    assertEquals("x86_64", mariadb.arch());
    assertTrue(mariadb.artifacts().contains("mariadb-3:10.11.6-1.module_el9+853+7b957b9b.x86_64"));
    assertTrue(mariadb.artifacts().contains("galera-0:26.4.16-1.module_el9+853+7b957b9b.src"));
    assertEquals(List.of("mariadb-server"), mariadb.profiles().get("server"));
    assertTrue(m.streams("nodejs", "20").stream().allMatch(s -> s.artifacts().stream()
        .anyMatch(a -> a.startsWith("nodejs-1:20."))));
    // Defaults documents name profiles but, in CentOS Stream 9, no default stream.
    assertTrue(m.defaults().containsKey("nodejs"));
    assertEquals(List.of("common"), m.defaults().get("nodejs").profiles().get("20"));
    assertFalse(m.defaultStream("nodejs").isPresent());
    assertEquals(Set.of(), m.activeStreams(Map.of(), Set.of()));
    assertEquals(Set.of("nodejs:20"), m.activeStreams(Map.of("nodejs", "20"), Set.of()));
  }

  static final String YAML = """
      ---
      document: modulemd-defaults
      version: 1
      data:
        module: perl
        stream: 5.30
        profiles:
          5.30: [common]
      ...
      ---
      document: modulemd
      version: 2
      data:
        name: perl
        stream: 5.30
        version: 8030020200313080146
        context: 466ea64f
        arch: x86_64
        artifacts:
          rpms:
          - perl-4:5.30.1-452.module_el8+1+a.x86_64
      ...
      ---
      document: modulemd
      version: 2
      data:
        name: perl
        stream: 5.10
        version: 1
        context: c
        arch: x86_64
        artifacts:
          rpms:
          - perl-4:5.10.1-1.module_el8+2+b.x86_64
      ...
      ---
      document: modulemd-obsoletes
      version: 1
      data: {module: perl, stream: "5.10"}
      ...
      """;

  static RpmRecord rpm(String name, String epoch, String version, String release) {
    return new RpmRecord(name, "x86_64", epoch, version, release, new Checksum("sha256", "00".repeat(32)), "x.rpm",
        null, -1, -1, -1, -1, -1, null, -1, -1, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(), List.of(), List.of());
  }

  @Test
  void defaultStreamsAreActiveUnlessTheModuleIsDisabledOrAnotherIsEnabled() throws IOException {
    ModulesYaml m = ModulesYaml.read(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "t");
    // Failsafe schema: 5.30 and 5.10 stay text ("5.1" in YAML's core schema).
    assertEquals("5.30", m.defaultStream("perl").orElseThrow());
    assertEquals(List.of("5.30", "5.10"), m.streams().stream().map(ModulesYaml.ModuleStream::stream).toList());
    RpmRecord p530 = rpm("perl", "4", "5.30.1", "452.module_el8+1+a");
    RpmRecord p510 = rpm("perl", "4", "5.10.1", "1.module_el8+2+b");
    RpmRecord plain = rpm("perl", "4", "5.26.3", "416.el8");
    assertTrue(m.isModular(p530));
    assertFalse(m.isModular(plain));
    var byDefault = m.visible(Map.of(), Set.of());
    assertTrue(byDefault.test(p530));
    assertFalse(byDefault.test(p510));
    assertFalse(byDefault.test(plain), "the default stream's perl hides the distribution's");
    var enabled = m.visible(Map.of("perl", "5.10"), Set.of());
    assertFalse(enabled.test(p530));
    assertTrue(enabled.test(p510));
    var disabled = m.visible(Map.of(), Set.of("perl"));
    assertFalse(disabled.test(p530));
    assertFalse(disabled.test(p510));
    assertTrue(disabled.test(plain));
  }

  @Test
  void malformedYamlIsRefusedNamingTheFile() {
    IOException e = assertThrows(IOException.class, () -> ModulesYaml.read(new ByteArrayInputStream(
        "document: modulemd\nversion: 2\ndata: [unclosed\n".getBytes(StandardCharsets.UTF_8)), "modules.yaml"));
    assertTrue(e.getMessage().startsWith("modules.yaml"), e.getMessage());
    IOException aliases = assertThrows(IOException.class, () -> ModulesYaml.read(new ByteArrayInputStream(
        billionLaughs().getBytes(StandardCharsets.UTF_8)), "bomb.yaml"));
    assertTrue(aliases.getMessage().startsWith("bomb.yaml"), aliases.getMessage());
  }

  @Test
  void emptyDocumentsArePassedOver() throws IOException {
    // "---" alone, an explicit end, and "--- !!null": once a NullPointerException inside
    // snakeyaml-engine (RepoMetadataFuzzTestInputs/read/crash-ebeff6eb744da87d21c53ff482a0406870be390a).
    String yaml = "---\n...\n---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: tool\n"
        + "  stream: \"1\"\n...\n--- !!null\n---\n";
    ModulesYaml m = ModulesYaml.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "empty.yaml");
    assertEquals(Optional.of("1"), m.defaultStream("tool"));
    assertEquals(List.of(), m.streams());
  }

  static String billionLaughs() {
    StringBuilder sb = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
      sb.append("a").append(i).append(": &a").append(i).append(" [");
      for (int j = 0; j < 10; j++) {
        sb.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
      }
      sb.append("]\n");
    }
    return sb.toString();
  }
}
