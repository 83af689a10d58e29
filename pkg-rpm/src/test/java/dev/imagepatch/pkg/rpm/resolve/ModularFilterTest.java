package dev.imagepatch.pkg.rpm.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.repo.ModulesYaml;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** dnf's modular filtering over every repository's modules metadata and the image's module state. */
class ModularFilterTest {
  static final String YAML = """
      ---
      document: modulemd
      version: 2
      data:
        name: nginx
        stream: "1.24"
        version: 9050020240101
        context: abc
        arch: x86_64
        artifacts:
          rpms:
          - nginx-1:1.24.0-4.module_el9.src
          - nginx-1:1.24.0-4.module_el9.x86_64
      ---
      document: modulemd
      version: 2
      data:
        name: nginx
        stream: "1.22"
        version: 9020020230101
        context: abc
        arch: x86_64
        artifacts:
          rpms:
          - nginx-1:1.22.1-4.module_el9.x86_64
      ---
      document: modulemd
      version: 2
      data:
        name: nodejs
        stream: "20"
        version: 1
        context: abc
        arch: x86_64
        artifacts:
          rpms:
          - nodejs-1:20.1-1.module_el9.x86_64
      ---
      document: modulemd-defaults
      version: 1
      data:
        module: nodejs
        stream: "20"
      ...
      """;

  static ModulesYaml yaml() throws Exception {
    return ModulesYaml.read(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "modules.yaml");
  }

  static RpmRecord rec(String nevra) {
    return RpmResolverTest.pkg(nevra);
  }

  @Test
  void modularPackagesOnlyWhileTheirStreamIsActive() throws Exception {
    ModularFilter none = ModularFilter.of(Map.of("appstream", yaml()), Map.of(), Set.of(), Set.of());
    assertFalse(none.visible("appstream", rec("nginx-1:1.24.0-4.module_el9.x86_64")));
    assertFalse(none.visible("appstream", rec("nginx-1:1.22.1-4.module_el9.x86_64")));
    assertTrue(none.visible("appstream", rec("nginx-2:1.20.1-20.el9.x86_64")), "nginx has no default stream");
    assertTrue(none.visible("appstream", rec("nodejs-1:20.1-1.module_el9.x86_64")), "nodejs:20 is the default");
    assertFalse(none.visible("appstream", rec("nodejs-1:16.0-1.el9.x86_64")), "hidden by the default stream");
    assertEquals(Set.of("nodejs:20"), none.activeStreams());

    ModularFilter enabled = ModularFilter.of(Map.of("appstream", yaml()), Map.of("nginx", "1.24"), Set.of("nodejs"),
        Set.of());
    assertTrue(enabled.visible("appstream", rec("nginx-1:1.24.0-4.module_el9.x86_64")));
    assertFalse(enabled.visible("appstream", rec("nginx-1:1.22.1-4.module_el9.x86_64")));
    assertFalse(enabled.visible("appstream", rec("nginx-2:1.20.1-20.el9.x86_64")), "non-modular nginx hidden");
    assertFalse(enabled.visible("appstream", rec("nodejs-1:20.1-1.module_el9.x86_64")), "nodejs disabled");
    assertTrue(enabled.visible("appstream", rec("nodejs-1:16.0-1.el9.x86_64")));
    assertEquals(Set.of("nginx:1.24"), enabled.streamsOf(rec("nginx-1:1.24.0-4.module_el9.x86_64")));
  }

  @Test
  void artifactsCountInEveryRepositoryAndHotfixReposAreNotFiltered() throws Exception {
    ModularFilter f = ModularFilter.of(Map.of("appstream", yaml()), Map.of(), Set.of(), Set.of("hotfixes"));
    assertFalse(f.visible("mirror", rec("nginx-1:1.22.1-4.module_el9.x86_64")), "same NEVRA in another repository");
    assertTrue(f.visible("hotfixes", rec("nginx-1:1.22.1-4.module_el9.x86_64")));
    assertTrue(f.visible("hotfixes", rec("nodejs-1:16.0-1.el9.x86_64")));
    assertTrue(ModularFilter.NONE.visible("x", rec("nodejs-1:16.0-1.el9.x86_64")));
  }
}
