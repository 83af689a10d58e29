package dev.imagepatch.pkg.rpm.repo;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.imagepatch.pkg.rpm.FuzzContracts;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * Fuzzes the repository metadata readers, each with the same arbitrary bytes: {@code repomd.xml}
 * ({@link Repomd#parse}), uncompressed primary XML ({@link PrimaryReader#read}), filelists XML
 * ({@link FilelistsReader#read}) and {@code modules.yaml} ({@link ModulesYaml#read}), then the
 * accessors of what was read and dnf's modular filter over the packages primary gave.
 *
 * <p>Contract: each reader returns or throws an {@link IOException} with a message naming the
 * source (not XML, the wrong root element, a required element or attribute missing, a number that
 * is not one, malformed YAML, a document or alias limit passed). A DOCTYPE, entity or external
 * reference is never resolved (the readers run without DTD support). Any other throwable, or a run
 * past Jazzer's timeout, is a finding. Seeds (our own small documents of each kind) and regression
 * inputs: {@code src/test/resources/dev/imagepatch/pkg/rpm/repo/RepoMetadataFuzzTestInputs/read/}.
 */
class RepoMetadataFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    try {
      Repomd repomd = Repomd.parse(input, "fuzz/repomd.xml");
      repomd.revision();
      for (Repomd.Data d : repomd.data()) {
        d.fileName();
        repomd.data(d.type());
      }
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    java.util.List<RpmRecord> records = new java.util.ArrayList<>();
    try {
      PrimaryReader.read(new ByteArrayInputStream(input), "fuzz/primary.xml", r -> {
        r.nvra();
        r.nevra();
        r.isSource();
        r.requires().forEach(RpmDependency::toString);
        r.provides().forEach(RpmDependency::isFile);
        records.add(r);
      });
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      FilelistsReader.read(new ByteArrayInputStream(input), "fuzz/filelists.xml", e -> e.files().size());
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    try {
      ModulesYaml modules = ModulesYaml.read(new ByteArrayInputStream(input), "fuzz/modules.yaml");
      for (ModulesYaml.ModuleStream s : modules.streams()) {
        s.id();
        modules.streams(s.name(), s.stream());
        modules.defaultStream(s.name());
      }
      var visible = modules.visible(Map.of(), Set.of());
      for (RpmRecord r : records) {
        visible.test(r);
        modules.streamsOf(r);
      }
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
  }
}
