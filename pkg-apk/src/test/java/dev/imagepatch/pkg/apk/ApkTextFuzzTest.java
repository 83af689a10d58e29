package dev.imagepatch.pkg.apk;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes the apk text formats an image or a repository hands imagepatch, each with the same
 * arbitrary bytes read as UTF-8: an APKINDEX ({@link ApkRecord#parseIndex}), {@code lib/apk/db/installed}
 * ({@link InstalledDatabase#parse}), a {@code .PKGINFO} ({@link PkgInfo#parse}), {@code lib/apk/db/triggers}
 * ({@link TriggersFile#parse}), {@code /etc/apk/repositories} ({@link RepositoryLine#parse}) and a
 * dependency list ({@link Dependency#parseList}); and the bytes as {@code lib/apk/db/scripts.tar}
 * ({@link ScriptsTar#read}).
 *
 * <p>Contract: {@code parseIndex} never throws (a stanza apk could not use is passed over); the
 * other text parsers return or throw an {@link IllegalArgumentException} with a message naming the
 * source; {@code ScriptsTar.read} returns or throws an {@link IOException} with a message. What was
 * parsed is usable: an installed database is written back byte for byte, a triggers file as it was
 * read (without its empty lines), a dependency list reads back from its own form; the record
 * accessors ({@code name}, {@code size}, {@code depends}, {@code files}, ...) do not throw; a scripts
 * file that was read can be written again. Any other throwable, or a run past Jazzer's timeout, is a
 * finding. Seeds (our own text) and regression inputs:
 * {@code src/test/resources/dev/imagepatch/pkg/apk/ApkTextFuzzTestInputs/parse/}.
 */
class ApkTextFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    for (ApkRecord r : ApkRecord.parseIndex(text, "fuzz/APKINDEX")) {
      use(r);
    }
    InstalledDatabase db = null;
    try {
      db = InstalledDatabase.parse(text, "fuzz/installed");
      String written = db.write();
      if (!written.equals(text)) {
        throw new AssertionError("installed database not written back as read:\n" + written);
      }
      for (InstalledPackage p : db.packages()) {
        use(p.header());
        p.files().forEach(FileRecord::path);
        p.directories();
        p.fileSection();
        if (db.find(p.name()).isEmpty()) {
          throw new AssertionError("package " + p.name() + " not found");
        }
      }
    } catch (IllegalArgumentException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      PkgInfo info = PkgInfo.parse(text, "fuzz/.PKGINFO");
      TriggersFile.globs(info);
      try {
        ApkRecord.of(info, "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=", input.length);
      } catch (IllegalArgumentException expected) {
        FuzzContracts.requireMessage(expected);
      }
    } catch (IllegalArgumentException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      TriggersFile triggers = TriggersFile.parse(text, "fuzz/triggers");
      TriggersFile.parse(triggers.write(), "fuzz/triggers written");
    } catch (IllegalArgumentException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      for (RepositoryLine line : RepositoryLine.parse(text, "fuzz/repositories")) {
        line.localPath();
        RepositoryLine.parse(line.toString(), "fuzz/repositories written");
      }
    } catch (IllegalArgumentException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      List<Dependency> deps = Dependency.parseList(text, "fuzz/depends");
      if (Dependency.parseList(Dependency.indexForm(deps), "fuzz/depends written").size() != deps.size()) {
        throw new AssertionError("a dependency list does not read back from its index form: " + deps);
      }
      for (Dependency d : deps) {
        d.matches("1.0-r0");
        if (!Dependency.parse(d.toString(), "fuzz/dependency written").equals(d)) {
          throw new AssertionError("dependency " + d + " does not read back as itself");
        }
      }
    } catch (IllegalArgumentException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      ScriptsTar scripts = ScriptsTar.read(input, "fuzz/scripts.tar");
      scripts.write(scripts.mtime());
      if (db != null) {
        scripts.update(db, java.util.Map.of()).write(scripts.mtime());
      }
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
  }

  private static void use(ApkRecord r) {
    r.name();
    r.version();
    r.checksum();
    r.arch();
    r.size();
    r.installedSize();
    r.providerPriority();
    r.depends();
    r.provides();
    r.installIf();
    r.replaces();
    r.text();
  }
}
