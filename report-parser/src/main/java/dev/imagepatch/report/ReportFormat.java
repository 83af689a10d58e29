package dev.imagepatch.report;

import java.io.IOException;
import java.io.InputStream;

/**
 * A scanner's report format. Trivy and Grype JSON are built in; an embedding tool adds its own
 * by implementing this interface and listing the class in
 * {@code META-INF/services/dev.imagepatch.report.ReportFormat}.
 */
public interface ReportFormat {

  /** A short name, e.g. {@code trivy}. */
  String name();

  /** True when the first bytes of a document (up to 64 KiB) look like this format. */
  boolean recognizes(byte[] head);

  /** Reads a whole report; {@code source} names it in errors. Large reports must be streamed. */
  Report read(InputStream in, String source) throws IOException;
}
