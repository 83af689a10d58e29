package dev.imagepatch.patch.rpm;

import dev.imagepatch.pkg.rpm.Header;
import dev.imagepatch.pkg.rpm.Tags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every script rpm would run for a transaction, handed to {@link Scriptlets} to classify: the
 * packages' own scriptlets, the triggers of installed packages on the changed names (and the new
 * versions' own triggers on what is installed), and the file triggers ({@code %filetrigger*},
 * {@code %transfiletrigger*}) whose path prefix one of the files the layer installed or removed
 * falls under (a new version's file trigger on install fires for any file under its prefix).
 */
final class TransactionScripts {
  private TransactionScripts() {}

  /** A package after the transaction: its header and whether the transaction installed it. */
  record After(Header header, boolean isNew) {}

  static void run(Scriptlets s, List<DatabaseWrite.Entry> entries, List<InstalledRpm> unchanged,
      Set<String> installedPaths, Set<String> removedPaths) throws IOException {
    Set<String> installedNames = new HashSet<>();
    Set<String> removedNames = new HashSet<>();
    for (DatabaseWrite.Entry e : entries) {
      RpmChange c = e.change();
      Header h = e.installed();
      if (h != null) {
        installedNames.add(c.name());
        String pkg = c.name();
        int arg = c.from() == null ? 1 : 2;
        s.scriptlet(pkg, "%pretrans", h, Tags.PRETRANS, Tags.PRETRANSPROG, arg);
        s.scriptlet(pkg, "%pre", h, Tags.PREIN, Tags.PREINPROG, arg);
        s.scriptlet(pkg, "%post", h, Tags.POSTIN, Tags.POSTINPROG, arg);
        s.scriptlet(pkg, "%posttrans", h, Tags.POSTTRANS, Tags.POSTTRANSPROG, arg);
      }
      InstalledRpm old = c.from();
      if (old != null && old.header() != null) {
        removedNames.add(old.name());
        int arg = h == null ? 0 : 1;
        String of = " of " + old.evr();
        s.scriptlet(old.name(), "%preun" + of, old.header(), Tags.PREUN, Tags.PREUNPROG, arg);
        s.scriptlet(old.name(), "%postun" + of, old.header(), Tags.POSTUN, Tags.POSTUNPROG, arg);
      }
    }
    List<After> after = new ArrayList<>();
    unchanged.stream().filter(i -> i.header() != null).forEach(i -> after.add(new After(i.header(), false)));
    entries.stream().filter(e -> e.installed() != null).forEach(e -> after.add(new After(e.installed(), true)));
    Set<String> allNames = new HashSet<>();
    after.forEach(a -> allNames.add(a.header().string(Tags.NAME).orElse("")));
    for (After a : after) {
      String pkg = a.header().string(Tags.NAME).orElse("");
      triggers(s, pkg, a, installedNames, removedNames, allNames);
      fileTriggers(s, pkg, a, false, installedPaths, removedPaths);
      fileTriggers(s, pkg, a, true, installedPaths, removedPaths);
    }
  }

  private static void triggers(Scriptlets s, String pkg, After a, Set<String> installedNames,
      Set<String> removedNames, Set<String> allNames) {
    Header h = a.header();
    List<String> names = h.strings(Tags.TRIGGERNAME);
    long[] flags = h.numbers(Tags.TRIGGERFLAGS);
    long[] index = h.numbers(Tags.TRIGGERINDEX);
    List<String> scripts = h.strings(Tags.TRIGGERSCRIPTS);
    List<String> progs = h.strings(Tags.TRIGGERSCRIPTPROG);
    Set<Long> fired = new HashSet<>();
    for (int i = 0; i < names.size() && i < flags.length && i < index.length; i++) {
      String on = names.get(i);
      long f = flags[i];
      boolean in = (f & (Scriptlets.TRIGGER_IN | Scriptlets.TRIGGER_PREIN)) != 0
          && (installedNames.contains(on) || a.isNew() && allNames.contains(on));
      boolean un = (f & (Scriptlets.TRIGGER_UN | Scriptlets.TRIGGER_POSTUN)) != 0 && removedNames.contains(on);
      int at = (int) index[i];
      if ((in || un) && at < scripts.size() && fired.add(index[i])) {
        s.classify(pkg, "trigger on " + on, scripts.get(at), at < progs.size() ? List.of(progs.get(at)) : List.of(),
            1);
      }
    }
  }

  private static void fileTriggers(Scriptlets s, String pkg, After a, boolean trans, Set<String> installedPaths,
      Set<String> removedPaths) {
    Header h = a.header();
    List<String> names = h.strings(trans ? Tags.TRANSFILETRIGGERNAME : Tags.FILETRIGGERNAME);
    long[] flags = h.numbers(trans ? Tags.TRANSFILETRIGGERFLAGS : Tags.FILETRIGGERFLAGS);
    long[] index = h.numbers(trans ? Tags.TRANSFILETRIGGERINDEX : Tags.FILETRIGGERINDEX);
    List<String> scripts = h.strings(trans ? Tags.TRANSFILETRIGGERSCRIPTS : Tags.FILETRIGGERSCRIPTS);
    List<String> progs = h.strings(trans ? Tags.TRANSFILETRIGGERSCRIPTPROG : Tags.FILETRIGGERSCRIPTPROG);
    Set<Long> fired = new HashSet<>();
    for (int i = 0; i < names.size() && i < flags.length && i < index.length; i++) {
      String prefix = names.get(i).replaceFirst("^/+", "");
      long f = flags[i];
      boolean in = (f & (Scriptlets.TRIGGER_IN | Scriptlets.TRIGGER_PREIN)) != 0
          && (a.isNew() || under(installedPaths, prefix));
      boolean un = (f & (Scriptlets.TRIGGER_UN | Scriptlets.TRIGGER_POSTUN)) != 0 && under(removedPaths, prefix);
      int at = (int) index[i];
      if ((in || un) && at < scripts.size() && fired.add(index[i])) {
        s.classify(pkg, (trans ? "transfiletrigger" : "filetrigger") + " on /" + prefix, scripts.get(at),
            at < progs.size() ? List.of(progs.get(at)) : List.of(), 0);
      }
    }
  }

  private static boolean under(Set<String> paths, String prefix) {
    for (String p : paths) {
      if (p.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
