package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * XXE is impossible in every XML reader of the repository metadata (repomd, primary, filelists):
 * an external entity, an external DTD defining an entity, and a parameter entity, each pointing at
 * a local file holding a marker. Each document is refused with an IOException naming it or read
 * without the marker anywhere in what was read; the marker never reaches us.
 */
class XmlHostileTest {
  private static final String MARKER = "SECRET-MARKER-15";

  @TempDir
  Path temp;

  private List<String> documents() throws IOException {
    Path secret = Files.writeString(temp.resolve("secret.txt"), MARKER);
    Path dtd = Files.writeString(temp.resolve("evil.dtd"), "<!ENTITY x \"" + MARKER + "\">");
    Path pdtd = Files.writeString(temp.resolve("param.dtd"), "<!ENTITY x SYSTEM \"" + secret.toUri() + "\">");
    return List.of(
        "<!DOCTYPE ROOT [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]>",
        "<!DOCTYPE ROOT SYSTEM \"" + dtd.toUri() + "\">",
        "<!DOCTYPE ROOT [<!ENTITY % p SYSTEM \"" + pdtd.toUri() + "\"> %p;]>",
        "<!DOCTYPE ROOT [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
            + "<!ENTITY x \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>");
  }

  private static void noMarker(String what, Object read) {
    assertFalse(String.valueOf(read).contains(MARKER), what + " read the marker: " + read);
    assertFalse(String.valueOf(read).contains("aaaaaaaaaa"), what + " expanded an entity: " + read);
  }

  private static void refusedOrHarmless(String source, Object read, IOException e) {
    if (e != null) {
      assertTrue(e.getMessage().startsWith(source + ": "), e.getMessage());
      assertFalse(e.getMessage().contains(MARKER), e.getMessage());
    } else {
      noMarker(source, read);
    }
  }

  @Test
  void primaryNeverResolvesAnEntity() throws Exception {
    for (String doctype : documents()) {
      String xml = "<?xml version=\"1.0\"?>" + doctype.replace("ROOT", "metadata")
          + "<metadata packages=\"1\"><package type=\"rpm\"><name>a&x;</name><arch>noarch</arch>"
          + "<version epoch=\"0\" ver=\"1\" rel=\"1\"/><summary>&x;</summary>"
          + "<location href=\"a.rpm\"/></package></metadata>";
      List<RpmRecord> read = new ArrayList<>();
      IOException e = null;
      try {
        PrimaryReader.read(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "x/primary.xml",
            read::add);
      } catch (IOException thrown) {
        e = thrown;
      }
      refusedOrHarmless("x/primary.xml", read, e);
    }
  }

  @Test
  void filelistsNeverResolvesAnEntity() throws Exception {
    for (String doctype : documents()) {
      String xml = "<?xml version=\"1.0\"?>" + doctype.replace("ROOT", "filelists")
          + "<filelists packages=\"1\"><package pkgid=\"00\" name=\"a\" arch=\"noarch\">"
          + "<version epoch=\"0\" ver=\"1\" rel=\"1\"/><file>/etc/&x;</file></package></filelists>";
      List<FilelistsReader.Entry> read = new ArrayList<>();
      IOException e = null;
      try {
        FilelistsReader.read(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "x/filelists.xml",
            read::add);
      } catch (IOException thrown) {
        e = thrown;
      }
      refusedOrHarmless("x/filelists.xml", read, e);
    }
  }

  @Test
  void repomdNeverResolvesAnEntity() throws Exception {
    for (String doctype : documents()) {
      String xml = "<?xml version=\"1.0\"?>" + doctype.replace("ROOT", "repomd")
          + "<repomd><revision>&x;</revision><data type=\"primary\"><location href=\"p&x;.xml.gz\"/>"
          + "<checksum type=\"sha256\">00</checksum></data></repomd>";
      Repomd read = null;
      IOException e = null;
      try {
        read = Repomd.parse(xml.getBytes(StandardCharsets.UTF_8), "x/repomd.xml");
      } catch (IOException thrown) {
        e = thrown;
      }
      refusedOrHarmless("x/repomd.xml", read, e);
    }
  }
}
