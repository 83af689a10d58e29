package dev.imagepatch.report;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.imagepatch.pkg.InvalidVersionException;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Fuzzes the scanner-report reader and the planner behind it with arbitrary bytes.
 *
 * <p>Contract: {@link Reports#read(java.io.InputStream, String)} returns a {@link Report} or throws
 * an {@link IOException} (a {@link ReportException} for what is not a report, Jackson's
 * {@code JsonProcessingException}s, with line and column, for malformed JSON); {@link UpdatePlan#of}
 * then returns a plan or throws {@link UpdatePlan.PlanException} (which wraps the versions it cannot
 * order, {@link InvalidVersionException}). Any other throwable (NullPointerException,
 * ClassCastException, StackOverflowError, OutOfMemoryError, ...) or a run past Jazzer's timeout is
 * a finding. Inputs the tests' toy {@link LineFormat} would read (it is on the tests' class path
 * only, to prove the SPI) are skipped: only the formats imagepatch ships are fuzzed. Seeds and regression inputs: {@code src/test/resources/dev/imagepatch/report/ReportsFuzzTestInputs/read/}.
 */
class ReportsFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    if (new LineFormat().recognizes(input)) {
      return;
    }
    Report report;
    try {
      report = Reports.read(new ByteArrayInputStream(input), "fuzz.json");
    } catch (IOException expected) {
      return;
    }
    try {
      UpdatePlan.of(report, false);
      UpdatePlan.of(report, true);
    } catch (UpdatePlan.PlanException expected) {
      // a report whose versions cannot be ordered is refused, naming them
    }
  }
}
