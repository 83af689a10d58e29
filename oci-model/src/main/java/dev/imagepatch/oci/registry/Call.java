package dev.imagepatch.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One request to the registry as the endpoint groups describe it, rebuilt into an HTTP request
 * for every attempt: the transport layers derive copies (authorized, redirected) rather than
 * change it, so a retry always starts from what the endpoint asked for.
 */
final class Call {
  /** Opens a request body; called again for every attempt of a replayable call. */
  @FunctionalInterface
  interface Body {
    InputStream open() throws IOException;
  }

  final String method;
  final URI uri;
  final String operation;
  final String repository;
  final Set<String> scopes;
  final List<String[]> headers = new ArrayList<>();
  Body body;
  long bodyLength = -1;
  boolean replayable = true;
  boolean followRedirects;
  /** False once a redirect leaves the registry's host: storage back ends get no registry credentials. */
  boolean withCredentials = true;

  Call(String method, URI uri, String operation, String repository, Set<String> scopes) {
    this.method = method;
    this.uri = uri;
    this.operation = operation;
    this.repository = repository;
    this.scopes = scopes;
  }

  private Call(Call from, URI uri) {
    this(from.method, uri, from.operation, from.repository, from.scopes);
    headers.addAll(from.headers);
    body = from.body;
    bodyLength = from.bodyLength;
    replayable = from.replayable;
    followRedirects = from.followRedirects;
    withCredentials = from.withCredentials;
  }

  Call header(String name, String value) {
    headers.add(new String[] {name, value});
    return this;
  }

  /** A non-replayable body is sent once: its request is not retried (the caller may start over). */
  Call body(Body supplier, long length, boolean canReplay) {
    this.body = supplier;
    this.bodyLength = length;
    this.replayable = canReplay;
    return this;
  }

  /** An empty body, for the POSTs and PUTs that carry everything in their URI. */
  Call emptyBody(boolean canReplay) {
    return body(InputStream::nullInputStream, 0, canReplay);
  }

  /** This call with an Authorization header. */
  Call authorizedAs(String authorization) {
    return new Call(this, uri).header("Authorization", authorization);
  }

  /** This call sent to {@code next}; credentials go along only while it stays on the same host. */
  Call redirectedTo(URI next) {
    Call redirected = new Call(this, next);
    redirected.withCredentials = withCredentials && Objects.equals(next.getAuthority(), uri.getAuthority());
    return redirected;
  }
}
