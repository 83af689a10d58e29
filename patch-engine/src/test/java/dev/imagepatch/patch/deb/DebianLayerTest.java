package dev.imagepatch.patch.deb;
import dev.imagepatch.pkg.deb.StatusStanzas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.layer.FsEntry;
import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.pkg.deb.DebArchive;
import dev.imagepatch.pkg.deb.DpkgDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patch layer for the real hostname package over a small image whose administrator diverted
 * {@code /bin/hostname}, overrode a file's owner and mode, and which has a package interested in
 * {@code /usr/share/man}: what dpkg would unpack where, the triggers it would record, and the
 * status files it would leave.
 */
class DebianLayerTest {
  /** The status stanza of hostname 3.23, which the real 3.23+nmu1 .deb upgrades. */
  static final String HOSTNAME_3_23 = """
      Package: hostname
      Essential: yes
      Status: install ok installed
      Priority: required
      Section: admin
      Installed-Size: 46
      Maintainer: Michael Meskes <meskes@debian.org>
      Architecture: amd64
      Version: 3.23
      Description: utility to set/show the host name or domain name
       Old.

      """;

  @TempDir
  Path tmp;
  Path image;

  @BeforeEach
  void image() throws IOException {
    image = Files.createDirectories(tmp.resolve("image"));
    write("var/lib/dpkg/status", HOSTNAME_3_23 + """
        Package: man-db
        Status: install ok installed
        Priority: standard
        Section: doc
        Maintainer: Man-DB Maintainers <man-db@packages.debian.org>
        Architecture: amd64
        Version: 2.11.2-2
        Description: tools for reading manual pages

        """);
    write("var/lib/dpkg/info/hostname.list", "/.\n/bin\n/bin/hostname\n/bin/hostname-old\n");
    write("var/lib/dpkg/info/man-db.triggers", "interest-noawait /usr/share/man\n");
    write("var/lib/dpkg/diversions", "/bin/hostname\n/bin/hostname.distrib\nlocal-tools\n");
    write("var/lib/dpkg/statoverride", "root staff 0750 /usr/share/doc/hostname/copyright\n");
    write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    write("etc/group", "root:x:0:\nstaff:x:50:\n");
    write("bin/hostname", "the administrator's own hostname\n");
    write("bin/hostname.distrib", "the old packaged hostname\n");
    write("bin/hostname-old", "gone in the new version\n");
    Files.createDirectories(image.resolve("var/lib/apt"));
  }

  @Test
  void diversionsOverridesTriggersAndStatusFiles() throws Exception {
    Map<String, byte[]> out = patch();
    MergedFilesystem fs = lastLayer;

    // Diverted: the package's /bin/hostname goes to /bin/hostname.distrib, the administrator's stays.
    assertEquals(22680, fs.entry("bin/hostname.distrib").orElseThrow().size());
    assertTrue(fs.entry("bin/hostname").isEmpty(), "the diverted path is not written");
    FsEntry copyright = fs.entry("usr/share/doc/hostname/copyright").orElseThrow();
    assertEquals(List.of(0L, 50L, 0750), List.of(copyright.uid(), copyright.gid(), copyright.mode()));
    assertTrue(fs.entries().containsKey("bin/.wh.hostname-old") || out.containsKey("bin/.wh.hostname-old"));
    // dpkg's list names the package's paths, not where diversions put them.
    assertTrue(text(out, "var/lib/dpkg/info/hostname.list").contains("/bin/hostname\n"));

    String status = text(out, "var/lib/dpkg/status");
    assertTrue(status.contains("Package: hostname\nEssential: yes\nStatus: install ok installed\n"), status);
    assertTrue(status.contains("Version: 3.23+nmu1\n"));
    // man-db's trigger is not one this engine reproduces: pending, as dpkg records it, and told.
    assertTrue(status.contains("Package: man-db\nStatus: install ok triggers-pending\n"), status);
    assertTrue(status.contains("Triggers-Pending: /usr/share/man\n"), status);
    assertTrue(notes.stream().anyMatch(n -> n.startsWith("script not run: man-db (trigger /usr/share/man")), notes.toString());

    // status-old: hostname is Essential, so apt configured it in a dpkg call of its own before the last.
    String old = text(out, "var/lib/dpkg/status-old");
    assertTrue(old.contains("Package: hostname\nEssential: yes\nStatus: install ok installed\n"), old);
    assertTrue(old.contains("Triggers-Pending: /usr/share/man\n"), old);
    assertEquals("", text(out, "var/lib/apt/extended_states"), "apt writes it, empty, when it installs");
  }

  @Test
  void unpackedStanzaAndImmediateConfiguration() throws Exception {
    DebArchive deb = DebArchive.open(resource("hostname_3.23+nmu1_amd64.deb"));
    DpkgDatabase db = DpkgDatabase.ofStatus(Files.readString(image.resolve("var/lib/dpkg/status")), "status");
    var stanza = StatusStanzas.unpacked(deb.control().without("Essential"), List.of(new DebArchive.Conffile("/etc/hostname.conf", false)),
        db.find("hostname", "amd64").orElseThrow().stanza());
    assertEquals("install ok unpacked", stanza.get("Status").orElseThrow());
    assertEquals("3.23", stanza.get("Config-Version").orElseThrow());
    assertEquals(List.of("/etc/hostname.conf newconffile"), stanza.lines("Conffiles"));
    // Essential packages and what they depend on are configured at once; apt is forced essential.
    assertTrue(AptOrdering.immediate(db.stanzas(), Map.of("hostname", deb.control())).containsAll(
        List.of("hostname", "libc6")));
    assertFalse(AptOrdering.immediate(db.stanzas(), Map.of("hostname", deb.control())).contains("man-db"));
  }

  private MergedFilesystem lastLayer;
  private List<String> notes;

  /** Runs the layer over the image; returns the layer's kept file contents by path. */
  private Map<String, byte[]> patch() throws Exception {
    LayerRun run = LayerRun.of(image, resource("hostname_3.23+nmu1_amd64.deb"), tmp);
    notes = run.notes();
    lastLayer = run.layerAlone();
    Map<String, byte[]> out = new java.util.TreeMap<>();
    for (String p : lastLayer.entries().keySet()) {
      lastLayer.content(p).ifPresent(c -> out.put(p, c));
    }
    run.entries().stream().filter(p -> p.contains(".wh.")).forEach(p -> out.put(p, new byte[0]));
    return out;
  }

  private static String text(Map<String, byte[]> out, String path) {
    byte[] b = out.get(path);
    assertTrue(b != null, path + " is in the layer: " + out.keySet());
    return new String(b, StandardCharsets.UTF_8);
  }

  private void write(String path, String content) throws IOException {
    Path p = image.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  private Path resource(String name) throws IOException {
    Path out = tmp.resolve(name);
    if (!Files.exists(out)) {
      try (InputStream in = getClass().getResourceAsStream("/debian/" + name)) {
        Files.copy(in, out);
      }
    }
    return out;
  }
}
