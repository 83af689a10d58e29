package dev.imagepatch.pkg.rpmdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Azure Linux / CBL-Mariner distroless manifests, parsed as trivy and syft expect and rewritten byte for byte. */
class ContainerManifestTest {
  static Path dir() {
    return SharedData.path("vectors/rpm/mariner-manifest/expected.tsv").getParent();
  }

  @Test
  void parsesToTheExpectedPackagesAndRewritesByteForByte() throws Exception {
    List<String> expected = new ArrayList<>();
    List<String> files = new ArrayList<>();
    for (String line : Files.readAllLines(dir().resolve("expected.tsv"))) {
      if (line.startsWith("#")) {
        continue;
      }
      expected.add(line);
      String file = line.split("\t")[0];
      if (!files.contains(file)) {
        files.add(file);
      }
    }
    List<String> ours = new ArrayList<>();
    for (String file : files) {
      byte[] content = Files.readAllBytes(dir().resolve(file));
      ContainerManifest m = ContainerManifest.parse(content, file);
      for (ContainerManifest.Line l : m.lines()) {
        String[] src = l.source().orElseThrow();
        ours.add(String.join("\t", file, l.name(), l.epoch().map(String::valueOf).orElse("-"), l.version(),
            l.release(), l.arch(), l.size(), src[0], src[1], src[2]));
      }
      assertArrayEquals(content, m.write2(), file);
    }
    assertEquals(expected, ours);
  }

  @Test
  void manifestOneListsTheNvras() throws Exception {
    byte[] content = Files.readAllBytes(dir().resolve("syft-testdata-container-manifest-2"));
    ContainerManifest m = ContainerManifest.parse(content, "syft");
    assertEquals("mariner-release-2.0-12.cm2.noarch\nfilesystem-1.1-9.cm2.x86_64\nglibc-2.35-2.cm2.x86_64\n"
        + "openssl-libs-1.1.1k-15.cm2.x86_64\nvim-9.0-1.cm2.x86_64\n", new String(m.write1(), StandardCharsets.UTF_8));
    assertEquals(ContainerManifest.EpochColumn.EPOCH, m.epochColumn());
  }

  @Test
  void anUpdatedPackageReplacesItsLineWhereItStandsAndANewOneIsAppended() throws Exception {
    byte[] content = Files.readAllBytes(dir().resolve("trivy-rpmqa_test-container-manifest-2"));
    ContainerManifest m = ContainerManifest.parse(content, "trivy");
    assertEquals(ContainerManifest.EpochColumn.LITERAL_NONE, m.epochColumn());
    ContainerManifest.Line glibc = new ContainerManifest.Line("glibc", "2.35-3.cm2", "1700000000", "1690000000",
        "Microsoft Corporation", "(none)", "10855300", "x86_64", "0", "glibc-2.35-3.cm2.src.rpm");
    ContainerManifest.Line fresh = new ContainerManifest.Line("zlib", "1.2.12-1.cm2", "1700000000", "1690000000",
        "Microsoft Corporation", "(none)", "200000", "x86_64", "0", "zlib-1.2.12-1.cm2.src.rpm");
    String text = new String(m.upsert(glibc).upsert(fresh).write2(), StandardCharsets.UTF_8);
    String[] lines = text.split("\n");
    assertEquals(5, lines.length);
    assertEquals(glibc.format(), lines[2]);
    assertEquals(fresh.format(), lines[4]);
    assertTrue(text.endsWith("\n"));
    assertEquals(3, m.remove("glibc").lines().size());
  }

  @Test
  void aLineWithoutTenColumnsIsRefusedNamingIt() {
    IOException e = assertThrows(IOException.class, () -> ContainerManifest.parse(
        "a\tb\n".getBytes(StandardCharsets.UTF_8), "m2"));
    assertTrue(e.getMessage().contains("m2 line 1"), e.getMessage());
  }

  @Test
  void anEpochNumPastAnIntIsRefusedAtParseNotANumberFormatExceptionLater() throws Exception {
    byte[] line = "bash\t5.1-1\t1700000000\t(none)\t100\tx86_64\t99999999999\tbash-5.1-1.src.rpm\t99999999999\tx\n"
        .getBytes(StandardCharsets.UTF_8);
    // column 9 (EPOCHNUM) is digits but no int: epoch() threw NumberFormatException on a parsed manifest
    IOException e = assertThrows(IOException.class, () -> ContainerManifest.parse(line, "hostile").lines().get(0).epoch());
    assertTrue(e.getMessage().contains("hostile line 1"), e.getMessage());
  }
}
