package dev.imagepatch.pkg.apk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/** A package's control tar: {@code .PKGINFO} and the scripts apk runs, in the tar's order. */
record Control(PkgInfo pkgInfo, Map<String, byte[]> scripts) {
  /** The script names apk 2 knows; other dot files of the control tar (such as .melange.yaml) are passed over. */
  static final Set<String> SCRIPTS = Set.of(".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade",
      ".pre-deinstall", ".post-deinstall", ".trigger");
  /** The most .PKGINFO may hold: 8 MiB; a script: 16 MiB. */
  static final long PKGINFO_LIMIT = 8L << 20;
  static final long SCRIPT_LIMIT = 16L << 20;

  /** Reads the control entries from {@code first} on; the member is not drained. */
  static Control read(TarStream tar, TarArchiveEntry first, String what) throws IOException {
    byte[] pkginfo = null;
    Map<String, byte[]> scripts = new LinkedHashMap<>();
    for (TarArchiveEntry e = first; e != null; e = tar.next()) {
      String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
      if (!name.startsWith(".") || name.indexOf('/') >= 0) {
        throw new IOException(what + ": the control member holds " + Names.quote(name) + ", not a control file");
      }
      if (Signatures.isSignature(e)) {
        throw new IOException(what + ": signature " + Names.quote(name) + " inside the control member");
      }
      boolean regular = e.isFile() && !e.isSymbolicLink() && !e.isLink();
      if (name.equals(".PKGINFO") || SCRIPTS.contains(name)) {
        if (!regular) {
          throw new IOException(what + ": control file " + name + " is not a regular file");
        }
        if (name.equals(".PKGINFO") ? pkginfo != null : scripts.containsKey(name)) {
          throw new IOException(what + ": control file " + name + " appears twice");
        }
        long limit = name.equals(".PKGINFO") ? PKGINFO_LIMIT : SCRIPT_LIMIT;
        byte[] content = tar.readContent(limit, () -> what + ": control file " + name + " is larger than " + limit
            + " bytes");
        if (name.equals(".PKGINFO")) {
          pkginfo = content;
        } else {
          scripts.put(name, content);
        }
      }
    }
    if (pkginfo == null) {
      throw new IOException(what + ": no .PKGINFO in the control member");
    }
    PkgInfo info;
    try {
      info = PkgInfo.parse(new String(pkginfo, StandardCharsets.UTF_8), what + ": .PKGINFO");
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    return new Control(info, Collections.unmodifiableMap(scripts));
  }
}
