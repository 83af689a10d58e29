package dev.imagepatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Digest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.ScriptNotRun;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What `imagepatch patch` prints of the maintainer scripts it did not run, of what --ignore-errors
 * left out, and of a wrong command line.
 */
class PatchOutputTest {
  /** A result with these notes; those written as scripts not run become {@link ScriptNotRun} values. */
  private static PatchResult result(List<String> notes) {
    List<String> other = notes.stream().filter(n -> !n.startsWith(ScriptNotRun.PREFIX)).toList();
    List<ScriptNotRun> scripts = notes.stream().filter(n -> n.startsWith(ScriptNotRun.PREFIX)).map(n -> {
      String s = n.substring(ScriptNotRun.PREFIX.length());
      return new ScriptNotRun(s.substring(0, s.indexOf(" (")), s.substring(s.indexOf(" (") + 2, s.length() - 1));
    }).toList();
    return new PatchResult(Digest.sha256("image".getBytes(StandardCharsets.UTF_8)), Optional.empty(), Optional.empty(),
        List.of(), List.of(), List.of(), List.of(), other, scripts, List.of(), 0, 0);
  }

  private static final List<String> NOTES = List.of("script not run: nginx (postinst)",
      "script not run: libc-bin (trigger ldconfig, activated by libc6; left pending for dpkg)",
      "a note of another kind", "script not run: tzdata (postinst)");

  @Test
  void scriptsNotRunAreOneLineWithTheirCount() {
    assertEquals(List.of("3 maintainer scripts not run (their effects are not needed or not reproduced); --verbose"
        + " lists them"), PatchCommand.scriptsNotRun(result(NOTES), false));
    assertEquals(List.of("1 maintainer script not run (their effects are not needed or not reproduced); --verbose"
        + " lists it"), PatchCommand.scriptsNotRun(result(List.of(NOTES.get(0))), false));
    assertEquals(List.of(), PatchCommand.scriptsNotRun(result(List.of("a note of another kind")), false));
  }

  @Test
  void verboseListsEveryScriptNotRun() {
    assertEquals(List.of("Note: script not run: nginx (postinst)",
        "Note: script not run: libc-bin (trigger ldconfig, activated by libc6; left pending for dpkg)",
        "Note: script not run: tzdata (postinst)"), PatchCommand.scriptsNotRun(result(NOTES), true));
  }

  @Test
  void scriptsOfEveryPlatformAreCountedOnceWithTheirPlatform() {
    PatchResult amd64 = result(List.of(NOTES.get(0))).forPlatform("linux/amd64");
    PatchResult arm64 = result(List.of(NOTES.get(0), NOTES.get(3))).forPlatform("linux/arm64");
    PatchResult index = new PatchResult(amd64.source(), Optional.empty(), Optional.empty(), List.of(), List.of(),
        List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0, Optional.empty(), List.of(amd64, arm64), List.of(),
        Optional.empty());
    assertTrue(PatchCommand.scriptsNotRun(index, false).get(0).startsWith("3 maintainer scripts not run"));
    assertEquals("Note: linux/arm64: script not run: tzdata (postinst)", PatchCommand.scriptsNotRun(index, true).get(2));
  }

  private static void assertUsageError(CliRun r, String error) {
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    List<String> lines = r.err().lines().toList();
    assertEquals(List.of("imagepatch: error: " + error, "Try 'imagepatch patch --help' for more information."), lines);
    assertFalse(r.err().contains("Usage:"), "no usage text");
  }

  @Test
  void aWrongCommandLineIsOneErrorLineAndAHint() {
    assertUsageError(CliRun.of("patch", "-i", "oci:x:1", "--dry-run", "--no-such-option"),
        "Unknown option: '--no-such-option'");
    assertUsageError(CliRun.of("patch", "--dry-run"), "Missing required option: '--image=IMAGE' (or --config FILE for a fleet)");
    CliRun bad = CliRun.of("patch", "-i", "oci:x:1", "--dry-run", "--summary", "xml");
    assertEquals(2, bad.code());
    assertEquals(2, bad.err().lines().count(), bad.err());
    assertTrue(bad.err().startsWith("imagepatch: error: Invalid value for option '--summary': expected one of"),
        bad.err());
  }

  @Test
  void anUnknownSubcommandPointsToTheTopLevelHelp() {
    CliRun r = CliRun.of("pach");
    assertEquals(2, r.code());
    assertEquals("Try 'imagepatch --help' for more information.", r.err().lines().toList().get(1), r.err());
  }

  @Test
  void helpStillPrintsTheWholeUsage() {
    CliRun r = CliRun.of("patch", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("--verbose"), r.out());
  }

  /** What --ignore-errors left out, report entries and failed platforms, is in both summaries. */
  @Test
  void whatIgnoreErrorsLeftOutIsInTheSummary() throws Exception {
    String skipped = "report entry broken skipped (ignore-errors): invalid version";
    PatchResult platform = result(List.of(skipped)).forPlatform("amd64");
    PatchResult index = new PatchResult(Digest.sha256("index".getBytes(StandardCharsets.UTF_8)), Optional.empty(),
        Optional.empty(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0,
        Optional.empty(), List.of(platform), List.of("linux/arm64: no candidate (failed, left unpatched)"),
        Optional.empty());
    PatchCommand command = new PatchCommand();
    command.image = "oci:/x:12";
    for (PatchCommand.Summary summary : PatchCommand.Summary.values()) {
      command.summary = summary;
      java.io.StringWriter out = new java.io.StringWriter();
      command.print(new java.io.PrintWriter(out), index, "oci:/y");
      assertTrue(out.toString().contains(skipped), summary + ": " + out);
      assertTrue(out.toString().contains("linux/arm64: no candidate (failed, left unpatched)"), summary + ": " + out);
    }
  }
}
