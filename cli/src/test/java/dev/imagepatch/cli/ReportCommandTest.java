package dev.imagepatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imagepatch.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code imagepatch report}: the plan as a table and as JSON, and its errors. */
class ReportCommandTest {
  @TempDir
  Path temp;


  /** A report of the shared vectors ({@code vectors/trivy/}), copied under another name. */
  private Path copy(String name, String as) throws Exception {
    Path p = temp.resolve(as);
    Files.createDirectories(p.getParent());
    return Files.copy(SharedData.path("vectors/trivy/" + name), p);
  }

  @Test
  void tableShowsUpdatesAndWhatCannotBePatched() throws Exception {
    Path alpine = copy("trivy-alpine-310.json", "alpine.json");
    CliRun r = CliRun.of("report", alpine.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith(alpine + ": alpine 3.10.2 (apk), amd64, trivy report\nPackages to update (2):\n"), r.out());
    assertTrue(r.out().contains("  libcrypto1.1  1.1.1c-r0  1.1.1d-r2  CVE-2019-1549, CVE-2019-1551\n"), r.out());

    CliRun dotnet = CliRun.of("report", copy("copa-trivy_dotnet.json", "dotnet.json").toString());
    assertTrue(dotnet.out().contains("Not patchable as OS packages: 6 findings in language packages (dotnet-core: 6)"),
        dotnet.out());
  }

  @Test
  void jsonForADirectoryOfPlatforms() throws Exception {
    copy("trivy-alpine-310.json", "multi/amd64.json");
    Path arm = temp.resolve("multi/arm64.json");
    Files.writeString(arm, Files.readString(temp.resolve("multi/amd64.json"))
        .replace("\"architecture\": \"amd64\"", "\"architecture\": \"arm64\""));
    CliRun r = CliRun.of("report", "--format", "json", temp.resolve("multi").toString());
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertEquals("1.1.1d-r2", json.at("/platforms/arm64/updates/0/targetVersion").asText());
    assertEquals("apk", json.at("/platforms/amd64/packageManager").asText());
  }

  @Test
  void planErrorsFailUnlessIgnored() throws Exception {
    Path bad = temp.resolve("bad.json");
    Files.writeString(bad, SharedData.text("vectors/trivy/trivy-alpine-310.json").replace(
        "\"InstalledVersion\": \"1.1.1c-r0\"", "\"InstalledVersion\": \"not a version\""));
    CliRun failed = CliRun.of("report", bad.toString());
    assertEquals(1, failed.code());
    assertTrue(failed.err().contains("imagepatch: error: " + bad + ": libcrypto1.1: installed version: invalid apk"
        + " version 'not a version'"), failed.err());
    CliRun lenient = CliRun.of("report", "--ignore-errors", bad.toString());
    assertEquals(0, lenient.code(), lenient.err());
    assertTrue(lenient.out().contains("Skipped (--ignore-errors) (2):"), lenient.out());

    CliRun missing = CliRun.of("report", temp.resolve("nothing.json").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("nothing.json"), missing.err());
  }
}
