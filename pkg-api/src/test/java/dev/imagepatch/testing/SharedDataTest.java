package dev.imagepatch.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.testing.SharedData.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The rule for shared test data: read when present; when missing, skipped, or failed under CI=true. */
class SharedDataTest {
  @TempDir
  Path temp;

  @Test
  void presentIsReadWhateverCiSays() {
    assertEquals(Availability.PRESENT, SharedData.availability(true, null));
    assertEquals(Availability.PRESENT, SharedData.availability(true, "true"));
  }

  @Test
  void missingSkipsOutsideCiAndFailsUnderCiTrue() {
    assertEquals(Availability.SKIP, SharedData.availability(false, null));
    assertEquals(Availability.SKIP, SharedData.availability(false, ""));
    assertEquals(Availability.SKIP, SharedData.availability(false, "false"));
    assertEquals(Availability.FAIL, SharedData.availability(false, "true"));
    assertEquals(Availability.FAIL, SharedData.availability(false, "TRUE"));
  }

  @Test
  void aMissingFileAbortsTheTestWithTheReason() {
    TestAbortedException e = assertThrows(TestAbortedException.class,
        () -> SharedData.path(temp, "vectors/none.tsv", null));
    assertTrue(e.getMessage().contains(temp.resolve("vectors/none.tsv").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("-Dimagepatch.shared=DIR"), e.getMessage());
  }

  @Test
  void aMissingFileFailsUnderCiNamingThePathAndTheProperty() {
    AssertionFailedError e = assertThrows(AssertionFailedError.class,
        () -> SharedData.path(temp.resolve("absent"), "vectors/none.tsv", "true"));
    assertTrue(e.getMessage().contains(temp.resolve("absent/vectors/none.tsv").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("system property imagepatch.shared"), e.getMessage());
  }

  @Test
  void aPresentFileIsReturned() throws Exception {
    Path file = Files.createDirectories(temp.resolve("vectors")).resolve("x.tsv");
    Files.writeString(file, "a\tb\t0\n");
    assertEquals(file, SharedData.path(temp, "vectors/x.tsv", "true"));
  }

  @Test
  void theDefaultIsSharedBesideTheCheckoutFromAnyModule() throws Exception {
    Path checkout = Files.createDirectories(temp.resolve("wt/checkout"));
    Files.createDirectories(checkout.resolve(".mvn"));
    Path module = Files.createDirectories(checkout.resolve("signer"));
    assertEquals(temp.resolve("wt/shared"), SharedData.root(null, module));
    assertEquals(temp.resolve("wt/shared"), SharedData.root("", checkout));
    assertEquals(temp.resolve("elsewhere"), SharedData.root(temp.resolve("elsewhere").toString(), module));
  }

  @Test
  void thisRunReadsTheDirectoryThePomNames() {
    // The parent pom passes ${maven.multiModuleProjectDirectory}/../shared; with or without -pl
    // it is the same directory, beside the checkout.
    String property = System.getProperty(SharedData.PROPERTY);
    if (property == null) {
      assertEquals("shared", SharedData.root().getFileName().toString());
    } else {
      assertEquals(Path.of(property).toAbsolutePath().normalize(), SharedData.root());
    }
  }
}
