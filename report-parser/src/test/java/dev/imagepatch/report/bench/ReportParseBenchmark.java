package dev.imagepatch.report.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import dev.imagepatch.report.UpdatePlan;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * The report-parse benchmark (run by {@code bench/report-parse}): writes a Trivy report of the
 * given size in MB, shaped like real ones (long descriptions, CVSS, references, package lists),
 * then reads and plans it several times, printing wall time, throughput and peak heap.
 */
public final class ReportParseBenchmark {
  private ReportParseBenchmark() {}

  public static void main(String[] args) throws Exception {
    int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path file = Files.createTempFile("imagepatch-bench-", ".json");
    try {
      long t0 = System.nanoTime();
      int findings = generate(file, megabytes * 1_000_000L);
      long size = Files.size(file);
      System.out.printf(Locale.ROOT, "generated %s: %.1f MB, %d findings in %.1f s%n", file, size / 1e6, findings,
          (System.nanoTime() - t0) / 1e9);
      System.out.printf(Locale.ROOT, "max heap %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
      for (int run = 1; run <= runs; run++) {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        Report report = Reports.read(file);
        long parsed = System.nanoTime();
        UpdatePlan plan = UpdatePlan.of(report, false);
        long planned = System.nanoTime();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            peak += pool.getPeakUsage().getUsed();
          }
        }
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long retained = rt.totalMemory() - rt.freeMemory();
        double seconds = (parsed - start) / 1e9;
        System.out.printf(Locale.ROOT,
            "run %d: parse %.2f s (%.0f MB/s), plan %.3f s, %d findings, %d updates, peak heap %.0f MiB,"
                + " retained after GC %.1f MiB%n",
            run, seconds, size / 1e6 / seconds, (planned - parsed) / 1e9, report.vulnerabilities().size(),
            plan.updates().size(), peak / 1048576.0, retained / 1048576.0);
        if (report.vulnerabilities().isEmpty() || plan.updates().isEmpty()) {
          throw new IllegalStateException("nothing parsed");
        }
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Writes a report of about {@code bytes} bytes; returns the number of findings. */
  static int generate(Path file, long bytes) throws IOException {
    Random random = new Random(1);
    String lorem = "A flaw was found in the parsing of crafted input that allows a remote attacker to cause"
        + " a denial of service or possibly execute code. ";
    int findings = 0;
    try (JsonGenerator g = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeNumberField("SchemaVersion", 2);
      g.writeStringField("ArtifactName", "registry.example/bench:1.0");
      g.writeStringField("ArtifactType", "container_image");
      g.writeObjectFieldStart("Metadata");
      g.writeObjectFieldStart("OS");
      g.writeStringField("Family", "debian");
      g.writeStringField("Name", "12.5");
      g.writeEndObject();
      g.writeObjectFieldStart("ImageConfig");
      g.writeStringField("architecture", "amd64");
      g.writeStringField("os", "linux");
      g.writeEndObject();
      g.writeEndObject();
      g.writeArrayFieldStart("Results");
      g.writeStartObject();
      g.writeStringField("Target", "registry.example/bench:1.0 (debian 12.5)");
      g.writeStringField("Class", "os-pkgs");
      g.writeStringField("Type", "debian");
      g.writeArrayFieldStart("Packages");
      for (int p = 0; p < 3000; p++) {
        g.writeStartObject();
        g.writeStringField("ID", "pkg" + p + "@1." + p + "-1");
        g.writeStringField("Name", "pkg" + p);
        g.writeStringField("Version", "1." + p);
        g.writeStringField("Release", "1");
        g.writeStringField("Arch", "amd64");
        g.writeStringField("SrcName", "src" + p);
        g.writeArrayFieldStart("Licenses");
        g.writeString("GPL-2.0-or-later");
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("Vulnerabilities");
      while (g.getOutputBuffered() + fileSize(file) < bytes) {
        int p = random.nextInt(3000);
        g.writeStartObject();
        g.writeStringField("VulnerabilityID", "CVE-20" + (10 + random.nextInt(16)) + "-" + (1000 + findings));
        g.writeStringField("PkgID", "pkg" + p + "@1." + p + "-1");
        g.writeStringField("PkgName", "pkg" + p);
        g.writeObjectFieldStart("PkgIdentifier");
        g.writeStringField("PURL", "pkg:deb/debian/pkg" + p + "@1." + p + "-1?arch=amd64&distro=debian-12.5");
        g.writeStringField("UID", Long.toHexString(random.nextLong()));
        g.writeEndObject();
        g.writeStringField("InstalledVersion", "1." + p + "-1");
        if (random.nextInt(5) > 0) {
          g.writeStringField("FixedVersion", "1." + p + "-1+deb12u" + (1 + random.nextInt(9)));
          g.writeStringField("Status", "fixed");
        } else {
          g.writeStringField("Status", "affected");
        }
        g.writeObjectFieldStart("Layer");
        g.writeStringField("DiffID", "sha256:" + "ab".repeat(32));
        g.writeEndObject();
        g.writeStringField("SeveritySource", "debian");
        g.writeStringField("PrimaryURL", "https://avd.example/nvd/cve-" + findings);
        g.writeStringField("Title", "pkg" + p + ": crafted input leads to a crash");
        g.writeStringField("Description", lorem.repeat(8));
        g.writeStringField("Severity", new String[] {"LOW", "MEDIUM", "HIGH", "CRITICAL"}[random.nextInt(4)]);
        g.writeArrayFieldStart("CweIDs");
        g.writeString("CWE-787");
        g.writeEndArray();
        g.writeObjectFieldStart("CVSS");
        g.writeObjectFieldStart("nvd");
        g.writeStringField("V3Vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        g.writeNumberField("V3Score", 9.8);
        g.writeEndObject();
        g.writeEndObject();
        g.writeArrayFieldStart("References");
        for (int r = 0; r < 10; r++) {
          g.writeString("https://security.example/advisories/" + findings + "/" + r);
        }
        g.writeEndArray();
        g.writeStringField("PublishedDate", "2024-01-01T00:00:00Z");
        g.writeStringField("LastModifiedDate", "2024-02-01T00:00:00Z");
        g.writeEndObject();
        findings++;
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    }
    return findings;
  }

  private static long fileSize(Path file) throws IOException {
    return Files.size(file);
  }
}
