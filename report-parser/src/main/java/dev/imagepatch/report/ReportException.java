package dev.imagepatch.report;

import java.io.IOException;

/** A report that cannot be read; the message names the file and the field or position at fault. */
public final class ReportException extends IOException {
  public ReportException(String message) {
    super(message);
  }

  public ReportException(String message, Throwable cause) {
    super(message, cause);
  }
}
