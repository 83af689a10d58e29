package dev.imagepatch.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A toy format registered only in the tests' META-INF/services, to prove the SPI is honoured. */
public final class LineFormat implements ReportFormat {
  @Override
  public String name() {
    return "line";
  }

  @Override
  public boolean recognizes(byte[] head) {
    return new String(head, StandardCharsets.UTF_8).startsWith("LINE-REPORT ");
  }

  @Override
  public Report read(InputStream in, String source) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String[] header = r.readLine().split(" ");
    List<Vulnerability> findings = new ArrayList<>();
    String line;
    while ((line = r.readLine()) != null) {
      String[] f = line.split(" ");
      findings.add(new Vulnerability(f[0], f[1], null, f[2], List.of(f[3]), "fixed", null, null, true, header[1], null));
    }
    return new Report(name(), source, null, OsFamily.fromName(header[1]).orElseThrow(), null, header[2], null, findings);
  }
}
