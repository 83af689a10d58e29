package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.effects.CaTrustExtract;
import dev.imagepatch.patch.effects.LdCache;
import dev.imagepatch.patch.spi.PatchLayer;
import dev.imagepatch.pkg.rpm.Header;
import java.util.List;
import java.util.Set;

/**
 * The scriptlets and triggers rpm would run for a transaction, each classified: {@code ldconfig}
 * (as {@code -p /sbin/ldconfig} or a shell that only runs it) is the {@code ldconfig} effect's;
 * {@code update-ca-trust} the CA trust effect's ({@link CaTrustExtract}); {@code alternatives
 * --install/--remove} is applied by {@link RpmAlternatives}; anything else is a script not run.
 * What rpm runs: the new versions' %pretrans, %pre, %post, %posttrans ($1 = 1 installed, 2
 * upgraded); the old versions' %preun and %postun ($1 = 1 upgraded, 0 erased); triggers of
 * installed packages on a changed name; file triggers whose prefix a changed path falls under.
 */
final class Scriptlets {
  // rpmsenseFlags of triggers
  static final long TRIGGER_IN = 1L << 16;
  static final long TRIGGER_UN = 1L << 17;
  static final long TRIGGER_POSTUN = 1L << 18;
  static final long TRIGGER_PREIN = 1L << 25;

  private final PatchLayer out;
  private final RpmAlternatives alternatives;

  Scriptlets(PatchLayer out) {
    this.out = out;
    this.alternatives = new RpmAlternatives(out);
  }

  /** One scriptlet of a package: its tag's name for messages, body and interpreter. */
  void scriptlet(String pkg, String what, Header h, int scriptTag, int progTag, int arg1) {
    String body = h.string(scriptTag).orElse("");
    List<String> prog = h.strings(progTag);
    if (body.isBlank() && prog.isEmpty()) {
      return;
    }
    classify(pkg, what, body, prog, arg1);
  }

  /** Classifies one script and records it: covered by an effect, applied, or not run. */
  void classify(String pkg, String what, String body, List<String> prog, int arg1) {
    String interpreter = prog.isEmpty() ? "/bin/sh" : prog.get(0);
    if (isLdconfig(interpreter) && body.isBlank()) {
      covered(pkg, what, LdCache.TRIGGER);
      return;
    }
    if (body.isBlank() && (isShell(interpreter) || interpreter.equals("<lua>"))) {
      return; // an empty script does nothing; a program run with -p does (below)
    }
    if (isShell(interpreter)) {
      if (CaTrustExtract.covers(body)) {
        // ca-certificates' %post: ca-legacy install and update-ca-trust, which the effect runs
        covered(pkg, what, CaTrustExtract.NAME);
        return;
      }
      String kind = shellKind(body);
      if (kind != null) {
        covered(pkg, what, kind);
        return;
      }
      if (alternatives.run(body, arg1)) {
        out.applied("alternatives");
        return;
      }
    }
    out.notRun(new ScriptNotRun(pkg, what + (interpreter.equals("<lua>") ? " (lua)" : "")));
  }

  private void covered(String pkg, String what, String effect) {
    if (!out.wasApplied(effect)) {
      out.notRun(new ScriptNotRun(pkg, what + ": " + effect + " could not be reproduced"));
    }
  }

  /** Writes what the alternatives commands changed. */
  void finish() throws java.io.IOException {
    alternatives.write();
  }

  static boolean isLdconfig(String program) {
    return program.equals("/sbin/ldconfig") || program.equals("/usr/sbin/ldconfig");
  }

  static boolean isShell(String program) {
    return Set.of("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash").contains(program);
  }

  /**
   * The effect a shell body is made of alone, every command being {@code ldconfig} (or every one
   * {@code update-ca-trust}), ignoring {@code || :}, redirections and comments; null for anything else.
   */
  static String shellKind(String body) {
    String kind = null;
    for (String raw : body.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      line = line.replaceAll("\\s*\\|\\|\\s*(:|true|/bin/true|exit 0)\\s*$", "")
          .replaceAll("\\s*[0-9]?>\\s*/dev/null", "").replaceAll("\\s*2>&1", "").strip();
      if (line.equals("exit 0")) {
        continue;
      }
      String k;
      if (line.matches("(/usr)?(/sbin/)?ldconfig( -X)?")) {
        k = LdCache.TRIGGER;
      } else if (line.matches("(/usr)?(/bin/)?update-ca-trust( extract)?")) {
        k = CaTrustExtract.NAME;
      } else {
        return null;
      }
      if (kind != null && !kind.equals(k)) {
        return null;
      }
      kind = k;
    }
    return kind;
  }
}
