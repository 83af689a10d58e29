package dev.imagepatch.patch.testing;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a written layer tar on its own (not with the code under test) and lists what would escape
 * the root when it is unpacked: an entry name or hard-link target that is absolute, has a ".."
 * component or a control character, and an entry placed under a symlink the same layer carries
 * (which, unpacked in order, writes through that symlink).
 */
public final class LayerAudit {
  private LayerAudit() {}

  /** The problems of the top layer of the image at {@code reference}; empty when none. */
  public static List<String> topLayer(OciLayout layout, String reference) throws IOException {
    List<Descriptor> layers = FixtureImages.manifest(layout, reference).layers();
    try (InputStream in = new GZIPInputStream(layout.openBlob(layers.get(layers.size() - 1)))) {
      return audit(in);
    }
  }

  /** The problems of an uncompressed layer tar. */
  public static List<String> audit(InputStream tarStream) throws IOException {
    List<String> problems = new ArrayList<>();
    Set<String> symlinks = new HashSet<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(tarStream)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = e.getName();
        check("entry", name, problems);
        if (e.isLink()) {
          check("hard-link target of " + name, e.getLinkName(), problems);
        }
        String path = strip(name);
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
          if (symlinks.contains(path.substring(0, i))) {
            problems.add(name + ": under " + path.substring(0, i) + ", a symlink of the same layer");
          }
        }
        if (e.isSymbolicLink()) {
          symlinks.add(path);
        }
      }
    }
    return problems;
  }

  private static void check(String what, String name, List<String> problems) {
    if (name.startsWith("/")) {
      problems.add(what + " " + name + ": absolute");
    }
    for (String part : strip(name).split("/")) {
      if (part.equals("..")) {
        problems.add(what + " " + name + ": escapes the root with ..");
        break;
      }
    }
    if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      problems.add(what + " " + name.replace("\n", "\\n").replace("\r", "\\r") + ": control character");
    }
  }

  private static String strip(String name) {
    String n = name.startsWith("./") ? name.substring(2) : name;
    return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }
}
