package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real CentOS Stream 9 primaries streamed, verified against repomd, to exactly the package
 * lists an independent reader (Python's xml.etree) made of them, in a 64 MiB heap: the stream
 * holds one package at a time, and the test's own lists are the only thing that grows.
 */
@Tag("heap-64m")
class PrimaryStreamTest {
  static String row(RpmRecord r) {
    return String.join("\t", r.name(), r.epoch(), r.version(), r.release(), r.arch(),
        r.sourceRpm() == null ? "" : r.sourceRpm(), r.location(), Long.toString(r.packageSize()),
        r.checksum().type() + ":" + r.pkgid());
  }

  static List<String> expected(Path tsv) throws IOException {
    List<String> rows = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(tsv);
        InputStream in = tsv.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.startsWith("#") && !line.isEmpty()) {
          rows.add(line);
        }
      }
    }
    Collections.sort(rows);
    return rows;
  }

  record Streamed(List<String> rows, PrimaryReader.Result result, long millis) {}

  static Streamed stream(String repo, MetadataSink<RpmRecord> also) throws IOException {
    Repomd repomd = Vectors.repomd(repo);
    Repomd.Data primary = repomd.require("primary", repo);
    List<String> rows = new ArrayList<>();
    long start = System.nanoTime();
    PrimaryReader.Result result;
    try (InputStream in = Files.newInputStream(Vectors.file(repo, primary))) {
      result = PrimaryReader.read(primary, in, primary.location(), r -> {
        rows.add(row(r));
        also.accept(r);
      });
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    Collections.sort(rows);
    return new Streamed(rows, result, millis);
  }

  @Test
  void baseOsStreamsToTheExpectedPackages() throws IOException {
    Map<String, RpmRecord> some = new HashMap<>();
    Streamed s = stream(Vectors.BASEOS, r -> {
      if (Set.of("bash", "glibc", "openssl-libs", "setup").contains(r.name())) {
        some.put(r.name(), r);
      }
    });
    assertEquals(1125, s.result().read());
    assertEquals(1125, s.result().declared());
    assertEquals(expected(Vectors.dir(Vectors.BASEOS).resolve("expected-primary-packages.tsv")), s.rows());

    RpmRecord openssl = some.get("openssl-libs");
    assertEquals("1", openssl.epoch());
    assertEquals("3.0.1", openssl.version());
    assertEquals("5.el9", openssl.release());
    RpmRecord bash = some.get("bash");
    assertTrue(bash.files().contains(new RpmFile("/usr/bin/bash", "file")), bash.files().toString());
    assertTrue(bash.provides().stream().anyMatch(d -> d.name().equals("/bin/sh")), bash.provides().toString());
    assertTrue(bash.requires().stream().anyMatch(d -> d.name().startsWith("libc.so.6")));
    assertTrue(bash.headerStart() > 0 && bash.headerEnd() > bash.headerStart());
    assertTrue(bash.installedSize() > bash.packageSize());
    RpmRecord glibc = some.get("glibc");
    assertTrue(glibc.requires().stream().anyMatch(RpmDependency::pre), "glibc has a Requires(pre)");
    RpmDependency versioned = bash.provides().stream().filter(d -> d.name().equals("bash")).findFirst()
        .orElseThrow();
    assertEquals(RpmDependency.Flags.EQ, versioned.flags());
    assertEquals("bash = " + bash.version() + "-" + bash.release(), versioned.toString());
  }

  @Test
  void appStreamStreamsToTheExpectedPackagesAndItsModularOnesAreKnown() throws IOException {
    Repomd repomd = Vectors.repomd(Vectors.APPSTREAM);
    Repomd.Data modulesData = repomd.require("modules", Vectors.APPSTREAM);
    ModulesYaml modules;
    try (InputStream in = Files.newInputStream(Vectors.file(Vectors.APPSTREAM, modulesData))) {
      modules = ModulesYaml.read(modulesData, in, modulesData.location());
    }
    var visibleByDefault = modules.visible(Map.of(), Set.of());
    var withMariadb = modules.visible(Map.of("mariadb", "10.11"), Set.of());
    Set<String> modular = new HashSet<>();
    int[] hidden = new int[2];
    Set<String> mariadbVisibleWhenEnabled = new HashSet<>();
    Streamed s = stream(Vectors.APPSTREAM, r -> {
      if (modules.isModular(r)) {
        modular.add(r.nevra());
      }
      if (!visibleByDefault.test(r)) {
        hidden[0]++;
      }
      if (!withMariadb.test(r)) {
        hidden[1]++;
      }
      if (r.name().equals("mariadb") && withMariadb.test(r)) {
        mariadbVisibleWhenEnabled.add(r.version() + "-" + r.release());
      }
    });
    long peak = 0;
    for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf("AppStream primary: %d packages streamed and verified in %d ms; heap max %d MiB, peak pools %d"
        + " MiB (including the test's two 17,649-row lists)%n", s.result().read(), s.millis(),
        Runtime.getRuntime().maxMemory() >> 20, peak >> 20);
    assertEquals(17649, s.result().read());
    assertEquals(17649, s.result().declared());
    assertEquals(expected(Vectors.dir(Vectors.APPSTREAM).resolve("expected-primary-packages.tsv.gz")), s.rows());

    // 516 primary packages are artifacts of a module stream (counted independently from the YAML text).
    assertEquals(516, modular.size());
    assertTrue(modular.contains("mariadb-3:10.11.6-1.module_el9+853+7b957b9b.x86_64"));
    // CentOS Stream 9 has no default streams: every modular package is hidden until its stream is enabled.
    assertEquals(516, hidden[0]);
    // With mariadb:10.11 enabled its builds are visible and the distribution's mariadb 10.5 is hidden.
    assertEquals(Set.of("10.11.6-1.module_el9+853+7b957b9b", "10.11.10-1.module_el9+1141+de86b509"),
        mariadbVisibleWhenEnabled);
    assertTrue(hidden[1] > 0);
  }
}
