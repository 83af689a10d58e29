package dev.imagepatch.pkg.deb;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the deb822 reader (control files, dpkg's status, Packages indexes, sources) with
 * arbitrary bytes, read both as a string and as a streamed UTF-8 file.
 *
 * <p>Contract: {@link ControlFile#parse} and {@link ControlFile#read} return paragraphs or throw an
 * {@link IOException} naming the source and line; the {@link Paragraph} accessors that do not
 * require a field ({@code get}, {@code lines}, {@code with}, {@code without}) never throw. Any other
 * throwable, or a run past Jazzer's timeout, is a finding. Seeds and regression inputs:
 * {@code src/test/resources/dev/imagepatch/pkg/deb/ControlFileFuzzTestInputs/parse/}.
 */
class ControlFileFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    List<Paragraph> parsed;
    try {
      parsed = ControlFile.parse(new String(input, StandardCharsets.UTF_8), "fuzz");
    } catch (IOException expected) {
      parsed = List.of();
    }
    List<Paragraph> streamed = new ArrayList<>();
    try {
      ControlFile.read(new ByteArrayInputStream(input), "fuzz", streamed::add);
    } catch (IOException expected) {
      // refused with the line, as parse refuses it
    }
    for (Paragraph p : parsed) {
      for (Paragraph.Field f : p.fields()) {
        p.get(f.name());
        p.lines(f.name());
        p.with(f.name(), "x").without(f.name());
      }
    }
  }
}
