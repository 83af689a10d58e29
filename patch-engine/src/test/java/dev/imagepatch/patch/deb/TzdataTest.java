package dev.imagepatch.patch.deb;
import dev.imagepatch.patch.effects.DirectoryTree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tzdata's config and postinst, with the rename table read from the real tzdata 2026f config script. */
class TzdataTest {
  @TempDir
  Path root;
  byte[] config;

  @BeforeEach
  void zoneinfo() throws IOException {
    for (String zone : new String[] {"Etc/UTC", "Asia/Kolkata", "Europe/Paris", "America/Argentina/Buenos_Aires"}) {
      Path p = root.resolve("usr/share/zoneinfo/" + zone);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "TZif");
    }
    Files.createDirectories(root.resolve("etc"));
    try (InputStream in = getClass().getResourceAsStream("/debian/tzdata_2026f-0+deb12u1.config")) {
      config = in.readAllBytes();
    }
  }

  @Test
  void aLinkToAKnownZoneStaysAndTimezoneIsWritten() throws Exception {
    Files.createSymbolicLink(root.resolve("etc/localtime"), Path.of("/usr/share/zoneinfo/Europe/Paris"));
    Tzdata.Outcome o = Tzdata.configure(new DirectoryTree(root), config, null);
    assertNull(o.localtime());
    assertEquals("Europe/Paris\n", o.timezone());
  }

  @Test
  void aRetiredZoneIsRenamedAsTheConfigScriptDoes() throws Exception {
    Files.createSymbolicLink(root.resolve("etc/localtime"), Path.of("../usr/share/zoneinfo/posix/Asia/Calcutta"));
    Tzdata.Outcome o = Tzdata.configure(new DirectoryTree(root), config, null);
    assertEquals("/usr/share/zoneinfo/Asia/Kolkata", o.localtime());
    assertEquals("Asia/Kolkata\n", o.timezone());
    assertEquals("America/Argentina/Buenos_Aires", Tzdata.convert("America/Buenos_Aires", Tzdata.renames(config)));
  }

  @Test
  void withoutALinkTheZoneComesFromTimezoneThenDebconfThenUtc() throws Exception {
    Files.writeString(root.resolve("etc/timezone"), "/Europe/Paris/ extra\n");
    Tzdata.Outcome fromFile = Tzdata.configure(new DirectoryTree(root), config, null);
    assertEquals("/usr/share/zoneinfo/Europe/Paris", fromFile.localtime());

    Files.delete(root.resolve("etc/timezone"));
    byte[] debconf = """
        Name: tzdata/Areas
        Template: tzdata/Areas
        Value: Asia
        Owners: tzdata
        Flags: seen

        Name: tzdata/Zones/Asia
        Template: tzdata/Zones/Asia
        Value: Kolkata
        Owners: tzdata
        Flags: seen
        """.getBytes(StandardCharsets.UTF_8);
    assertEquals("Asia/Kolkata\n", Tzdata.configure(new DirectoryTree(root), config, debconf).timezone());
    Tzdata.Outcome none = Tzdata.configure(new DirectoryTree(root), config, null);
    assertEquals("/usr/share/zoneinfo/Etc/UTC", none.localtime());
    assertEquals("Etc/UTC\n", none.timezone());
  }
}
