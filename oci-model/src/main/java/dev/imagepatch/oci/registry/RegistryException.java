package dev.imagepatch.oci.registry;

import java.io.IOException;

/**
 * A registry operation failed. The message names the registry, the repository, the operation
 * and, when the registry answered, the HTTP status and the registry's own error body.
 */
public final class RegistryException extends IOException {
  private final String registry;
  private final String repository;
  private final String operation;
  private final int statusCode;
  private final String body;

  RegistryException(String registry, String repository, String operation, int statusCode, String body,
      String detail, Throwable cause) {
    super(message(registry, repository, operation, statusCode, body, detail), cause);
    this.registry = registry;
    this.repository = repository;
    this.operation = operation;
    this.statusCode = statusCode;
    this.body = body;
  }

  private static String message(String registry, String repository, String operation, int status,
      String body, String detail) {
    StringBuilder sb = new StringBuilder();
    sb.append(operation);
    if (repository != null) {
      sb.append(" in repository ").append(repository);
    }
    sb.append(" on registry ").append(registry).append(" failed");
    if (status > 0) {
      sb.append(": HTTP ").append(status);
    }
    if (detail != null && !detail.isEmpty()) {
      sb.append(": ").append(detail);
    }
    if (body != null && !body.isBlank()) {
      sb.append(" (registry said: ").append(body.strip()).append(')');
    }
    return sb.toString();
  }

  public String registry() {
    return registry;
  }

  /** The repository, or null for registry-wide operations. */
  public String repository() {
    return repository;
  }

  public String operation() {
    return operation;
  }

  /** The HTTP status, or 0 when the registry could not be reached. */
  public int statusCode() {
    return statusCode;
  }

  /** The registry's error body, possibly empty. */
  public String body() {
    return body == null ? "" : body;
  }
}
