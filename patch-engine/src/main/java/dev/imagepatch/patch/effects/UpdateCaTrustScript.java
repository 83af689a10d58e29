package dev.imagepatch.patch.effects;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an image's {@code update-ca-trust} runs for {@code extract}: its {@code trust extract} /
 * {@code p11-kit extract} lines (format, filter, purposes, comment, destination) and its
 * {@code ln -s} lines, in order, {@code $DEST} expanded. The script differs between releases (RHEL
 * 8 writes no {@code pem/directory-hash}, newer ones add it and two links in it), so the image's
 * own script decides what is written.
 */
final class UpdateCaTrustScript {
  static final String DEFAULT_DEST = "/etc/pki/ca-trust/extracted";

  /** One step: an extraction to {@code destination}, or a symlink at {@code destination} to {@code target}. */
  record Step(TrustExtract.Request extract, String destination, String target) {}

  private static final Pattern DEST = Pattern.compile("^\\s*DEST=(\"?)([^\"\\s]+)\\1\\s*$");
  private static final Pattern EXTRACT = Pattern.compile("^\\s*(?:/usr/bin/)?(?:p11-kit|trust)\\s+extract\\s+(.*)$");
  private static final Pattern LINK = Pattern.compile("^\\s*(?:/usr/bin/|/bin/)?ln\\s+-s\\s+(\\S+)\\s+(\\S+)\\s*$");

  private UpdateCaTrustScript() {}

  static List<Step> parse(String script) throws TrustExtract.Unsupported {
    String dest = DEFAULT_DEST;
    List<Step> steps = new ArrayList<>();
    for (String line : script.split("\n")) {
      if (line.strip().startsWith("#")) {
        continue;
      }
      Matcher d = DEST.matcher(line);
      if (d.matches()) {
        dest = d.group(2);
        continue;
      }
      Matcher e = EXTRACT.matcher(line);
      if (e.matches()) {
        steps.add(extract(words(e.group(1), dest)));
        continue;
      }
      Matcher l = LINK.matcher(line);
      if (l.matches()) {
        List<String> w = words(l.group(1) + " " + l.group(2), dest);
        steps.add(new Step(null, w.get(1), w.get(0)));
      }
    }
    if (steps.stream().noneMatch(s -> s.extract() != null)) {
      throw new TrustExtract.Unsupported("no trust extract command in the script");
    }
    return steps;
  }

  private static Step extract(List<String> args) throws TrustExtract.Unsupported {
    String format = null;
    String filter = null;
    List<String> purposes = new ArrayList<>();
    boolean comment = false;
    String destination = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith("--format=")) {
        format = a.substring(9);
      } else if (a.equals("--format") && i + 1 < args.size()) {
        format = args.get(++i);
      } else if (a.startsWith("--filter=")) {
        filter = a.substring(9);
      } else if (a.equals("--filter") && i + 1 < args.size()) {
        filter = args.get(++i);
      } else if (a.startsWith("--purpose=")) {
        purposes.add(TrustExtract.purpose(a.substring(10)));
      } else if (a.equals("--purpose") && i + 1 < args.size()) {
        purposes.add(TrustExtract.purpose(args.get(++i)));
      } else if (a.equals("--comment")) {
        comment = true;
      } else if (a.equals("--overwrite") || a.equals("-f") || a.equals("-v") || a.equals("--verbose")
          || a.equals("-q") || a.equals("--quiet")) {
        continue;
      } else if (a.startsWith("-")) {
        throw new TrustExtract.Unsupported("trust extract option " + a);
      } else if (destination == null) {
        destination = a;
      } else {
        throw new TrustExtract.Unsupported("trust extract with two destinations");
      }
    }
    if (format == null || destination == null) {
      throw new TrustExtract.Unsupported("trust extract without a format or destination");
    }
    return new Step(new TrustExtract.Request(format, filter == null ? "ca-anchors" : filter, List.copyOf(purposes),
        comment), destination, null);
  }

  /** Words split at blanks, quotes removed, {@code $DEST}/{@code ${DEST}} expanded; any other expansion refused. */
  private static List<String> words(String s, String dest) throws TrustExtract.Unsupported {
    List<String> out = new ArrayList<>();
    for (String w : s.trim().split("\\s+")) {
      String x = w.replace("\"", "").replace("'", "").replace("${DEST}", dest).replace("$DEST", dest);
      if (x.contains("$") || x.contains("`")) {
        throw new TrustExtract.Unsupported("an expansion in " + w);
      }
      out.add(x);
    }
    return out;
  }
}
