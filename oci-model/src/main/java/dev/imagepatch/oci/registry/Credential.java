package dev.imagepatch.oci.registry;

import java.util.Objects;
import java.util.Optional;

/**
 * A registry credential: a username and password, or an identity (refresh) token as Docker's
 * credential helpers return with the username {@code <token>}. {@link #toString()} never shows
 * the secret.
 */
public final class Credential {
  private final String username;
  private final String secret;
  private final boolean identityToken;
  private final String source;

  private Credential(String username, String secret, boolean identityToken, String source) {
    this.username = username;
    this.secret = Objects.requireNonNull(secret, "secret");
    this.identityToken = identityToken;
    this.source = source;
  }

  public static Credential basic(String username, String password) {
    return new Credential(Objects.requireNonNull(username, "username"), password, false, "the Java API");
  }

  public static Credential identityToken(String token) {
    return new Credential(null, token, true, "the Java API");
  }

  /** The same credential, saying where it came from (shown in authentication errors). */
  public Credential from(String where) {
    return new Credential(username, secret, identityToken, where);
  }

  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  String secret() {
    return secret;
  }

  public boolean isIdentityToken() {
    return identityToken;
  }

  /** Where the credential came from, e.g. "auths in /home/me/.docker/config.json". */
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return (identityToken ? "identity token" : "user " + username) + " from " + source;
  }
}
