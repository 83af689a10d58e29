package dev.imagepatch.patch.rpm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One {@code alternatives} command line as chkconfig's alternatives.c parses and carries it out
 * ({@code main}, {@code addService}, {@code removeService}, {@code setService},
 * {@code autoService}, {@code removeAll}, {@code readConfig}, {@code writeState}). Commands that
 * would run other programs ({@code --initscript}) or act elsewhere ({@code --altdir},
 * {@code --admindir}, {@code --test}) are not taken.
 */
final class AlternativesCommand {
  /** A command the program would run with effects this class does not reproduce. */
  static final class Unsupported extends Exception {
    Unsupported(String why) {
      super(why);
    }
  }

  private enum Mode { INSTALL, REMOVE, REMOVE_ALL, SET, AUTO }

  /** {@code struct linkSet}: the name, the generic link and its target (null: none). */
  private record LinkSet(String title, String facility, String target) {
    LinkSet withTarget(String t) {
      return new LinkSet(title, facility, t);
    }
  }

  /** {@code struct alternative}. */
  private static final class Alternative {
    int priority = -1;
    LinkSet master;
    List<LinkSet> slaves = new ArrayList<>();
    String initscript;
    String family;

    Alternative copy() {
      Alternative a = new Alternative();
      a.priority = priority;
      a.master = master;
      a.slaves = new ArrayList<>(slaves);
      a.initscript = initscript;
      a.family = family;
      return a;
    }
  }

  /** {@code struct alternativeSet}. */
  private static final class AlternativeSet {
    boolean auto = true;
    List<Alternative> alts = new ArrayList<>();
    int best;
    int current = -1;
  }

  private final Mode mode;
  private final Alternative newAlt;
  private final String title;
  private final String target;
  private final boolean keepMissing;

  private AlternativesCommand(Mode mode, Alternative newAlt, String title, String target, boolean keepMissing) {
    this.mode = mode;
    this.newAlt = newAlt;
    this.title = title;
    this.target = target;
    this.keepMissing = keepMissing;
  }

  /** The command of {@code args} (after the program's name); empty when the program would print its usage or it is not taken. */
  static Optional<AlternativesCommand> parse(List<String> args) {
    Mode mode = null;
    boolean slaveFirst = false;
    boolean keepMissing = false;
    Alternative alt = new Alternative();
    String title = null;
    String target = null;
    int i = 0;
    while (i < args.size()) {
      String a = args.get(i);
      switch (a) {
        case "--install" -> {
          if (mode != null && !(mode == Mode.INSTALL && slaveFirst)) {
            return Optional.empty();
          }
          mode = Mode.INSTALL;
          slaveFirst = false;
          i++;
          Optional<LinkSet> set = linkSet(args, i);
          if (set.isEmpty() || i + 3 >= args.size()) {
            return Optional.empty();
          }
          alt.master = set.get();
          i += 3;
          Optional<Long> priority = strtol(args.get(i));
          if (priority.isEmpty()) {
            return Optional.empty();
          }
          alt.priority = (int) (long) priority.get();
          i++;
        }
        case "--slave" -> {
          if (mode != null && mode != Mode.INSTALL) {
            return Optional.empty();
          }
          if (mode == null) {
            mode = Mode.INSTALL; // MODE_SLAVE: only --install may follow
            slaveFirst = true;
          }
          i++;
          Optional<LinkSet> set = linkSet(args, i);
          if (set.isEmpty()) {
            return Optional.empty();
          }
          alt.slaves.add(set.get());
          i += 3;
        }
        case "--family" -> {
          if (mode != null && mode != Mode.INSTALL || i + 1 >= args.size() || args.get(i + 1).contains("@")) {
            return Optional.empty();
          }
          alt.family = args.get(i + 1);
          i += 2;
        }
        case "--remove", "--set" -> {
          if (mode != null || i + 2 >= args.size() || args.get(i + 1).startsWith("/")) {
            return Optional.empty();
          }
          mode = a.equals("--remove") ? Mode.REMOVE : Mode.SET;
          title = args.get(i + 1);
          target = normalize(args.get(i + 2));
          i += 3;
        }
        case "--auto", "--remove-all" -> {
          if (mode != null || i + 1 >= args.size() || args.get(i + 1).startsWith("/")) {
            return Optional.empty();
          }
          mode = a.equals("--auto") ? Mode.AUTO : Mode.REMOVE_ALL;
          title = args.get(i + 1);
          i += 2;
        }
        case "--verbose" -> i++;
        case "--keep-missing" -> {
          keepMissing = true;
          i++;
        }
        default -> {
          // --initscript (runs systemctl or chkconfig), --altdir, --admindir, --test, --display,
          // --config, --list, --add-slave, --remove-slave, --help, --version: not reproduced.
          return Optional.empty();
        }
      }
    }
    if (mode == null || slaveFirst) {
      return Optional.empty();
    }
    return Optional.of(new AlternativesCommand(mode, alt, title, target, keepMissing));
  }

  /** {@code setupLinkSet}: link (absolute), name (not), path (absolute). */
  private static Optional<LinkSet> linkSet(List<String> args, int at) {
    if (at + 2 >= args.size()) {
      return Optional.empty();
    }
    String facility = args.get(at);
    String name = args.get(at + 1);
    String path = args.get(at + 2);
    if (!facility.startsWith("/") || name.startsWith("/") || !path.startsWith("/")) {
      return Optional.empty();
    }
    return Optional.of(new LinkSet(name, normalize(facility), normalize(path)));
  }

  /** {@code normalize_path}: runs of slashes collapsed to one. */
  static String normalize(String path) {
    return path.replaceAll("/{2,}", "/");
  }

  /** {@code strtol(s, &end, 0)} with the whole string consumed; empty when something is left over. */
  static Optional<Long> strtol(String s) {
    int i = 0;
    while (i < s.length() && isspace(s.charAt(i))) {
      i++;
    }
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    int base = 10;
    if (i + 1 < s.length() && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
        && i + 2 < s.length() && Character.digit(s.charAt(i + 2), 16) >= 0) {
      base = 16;
      i += 2;
    } else if (i < s.length() && s.charAt(i) == '0') {
      base = 8;
    }
    int digits = i;
    long value = 0;
    while (i < s.length() && Character.digit(s.charAt(i), base) >= 0) {
      value = value * base + Character.digit(s.charAt(i), base);
      i++;
    }
    if (i == digits) {
      // No number: strtol leaves end at the start of the string, which the check accepts only when empty.
      return s.isEmpty() ? Optional.of(0L) : Optional.empty();
    }
    return i == s.length() ? Optional.of(negative ? -value : value) : Optional.empty();
  }

  private static boolean isspace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }

  /** Carries the command out over {@code fs}. */
  void apply(RpmAlternatives.Files fs) throws IOException, Unsupported {
    switch (mode) {
      case INSTALL -> addService(fs);
      case REMOVE -> removeService(fs, title, target);
      case SET -> setService(fs);
      case AUTO -> autoService(fs);
      case REMOVE_ALL -> {
        AlternativeSet set = new AlternativeSet();
        if (readConfig(fs, set, title) != 0) {
          return;
        }
        for (Alternative a : set.alts) {
          removeService(fs, title, a.master.target());
        }
      }
      default -> throw new IllegalStateException();
    }
  }

  /** {@code readConfig}: 0 read, 1 unreadable (the program stops), 2 the link unreadable, 3 no state file. */
  private static int readConfig(RpmAlternatives.Files fs, AlternativeSet set, String title)
      throws IOException, Unsupported {
    Optional<byte[]> content = fs.state(title);
    if (content.isEmpty()) {
      return 3;
    }
    Lines lines = new Lines(new String(content.get(), StandardCharsets.UTF_8));
    String line = lines.next();
    if (line == null) {
      return 1;
    }
    if (line.equals("auto")) {
      set.auto = true;
    } else if (line.equals("manual")) {
      set.auto = false;
    } else {
      return 1;
    }
    line = lines.next();
    if (line == null || !line.startsWith("/")) {
      return 1;
    }
    List<String[]> groups = new ArrayList<>();
    groups.add(new String[] {title, line});
    line = lines.next();
    while (line != null && !line.isEmpty()) {
      if (line.startsWith("/")) {
        return 1;
      }
      String groupTitle = line;
      line = lines.next();
      if (line == null || line.isEmpty()) {
        return 1;
      }
      groups.add(new String[] {groupTitle, line});
      line = lines.next();
    }
    if (line == null) {
      return 1;
    }
    line = lines.next();
    while (line != null && !line.isEmpty()) {
      if (!line.startsWith("/")) {
        return 1;
      }
      Alternative a = new Alternative();
      a.master = new LinkSet(groups.get(0)[0], normalize(groups.get(0)[1]), line);
      line = lines.next();
      if (line != null && line.startsWith("@")) {
        int end = line.indexOf('@', 1);
        if (end <= 1) {
          return 1;
        }
        a.family = line.substring(1, end);
        line = line.substring(end + 1);
      }
      if (line == null) {
        return 1;
      }
      Prefix p = prefix(line);
      if (p == null) {
        return 1;
      }
      a.priority = (int) p.value();
      String rest = line.substring(p.end()).stripLeading();
      if (!rest.isEmpty()) {
        a.initscript = rest;
      }
      if (a.priority > (set.alts.isEmpty() ? a.priority : set.alts.get(set.best).priority)) {
        set.best = set.alts.size();
      }
      for (int i = 1; i < groups.size(); i++) {
        line = lines.next();
        if (line != null && !line.isEmpty() && !line.startsWith("/")) {
          return 1;
        }
        a.slaves.add(new LinkSet(groups.get(i)[0], normalize(groups.get(i)[1]),
            line != null && !line.isEmpty() ? line : null));
      }
      set.alts.add(a);
      line = lines.next();
    }
    while (line != null) {
      line = lines.next();
      if (line != null && !line.isEmpty()) {
        return 1;
      }
    }
    if (set.alts.isEmpty()) {
      return 1; // the program reads alts[0] of an empty set here; nothing sensible to reproduce
    }
    Optional<String> link = fs.readlink("/" + RpmAlternatives.ALT_DIR + "/" + set.alts.get(0).master.title());
    if (link.isEmpty()) {
      return 2;
    }
    int i;
    for (i = 0; i < set.alts.size(); i++) {
      if (link.get().equals(set.alts.get(i).master.target())) {
        break;
      }
    }
    if (i == set.alts.size()) {
      set.auto = false;
      set.current = -1;
    } else {
      if (i != set.best && set.auto) {
        set.auto = false;
      }
      set.current = i;
    }
    return 0;
  }

  /** A number as {@code strtol(line, &end, 0)} reads it at the start of a line, null when none. */
  private record Prefix(long value, int end) {}

  private static Prefix prefix(String s) {
    for (int end = s.length(); end > 0; end--) {
      String head = s.substring(0, end);
      if (head.strip().isEmpty()) {
        break;
      }
      Optional<Long> v = strtol(head);
      if (v.isPresent()) {
        return new Prefix(v.get(), end);
      }
    }
    return null;
  }

  /** {@code parseLine}: lines split at newlines, leading whitespace dropped; null past the end. */
  private static final class Lines {
    private final String text;
    private int at;

    Lines(String text) {
      int nul = text.indexOf('\0');
      this.text = nul >= 0 ? text.substring(0, nul) : text;
    }

    String next() {
      if (at >= text.length()) {
        return null;
      }
      int end = text.indexOf('\n', at);
      String line;
      if (end < 0) {
        line = text.substring(at);
        at = text.length();
      } else {
        line = text.substring(at, end);
        at = end + 1;
      }
      int i = 0;
      while (i < line.length() && isspace(line.charAt(i))) {
        i++;
      }
      return line.substring(i);
    }
  }

  private void addService(RpmAlternatives.Files fs) throws IOException, Unsupported {
    AlternativeSet set = new AlternativeSet();
    int rc = readConfig(fs, set, newAlt.master.title());
    if (rc != 0 && rc != 3 && rc != 2) {
      return; // the program exits 2
    }
    boolean forceLinks = false;
    Alternative added = newAlt.copy();
    if (!set.alts.isEmpty()) {
      if (!added.master.facility().equals(set.alts.get(0).master.facility())) {
        return; // "the primary link for %s must be %s"
      }
      List<LinkSet> template = new ArrayList<>(set.alts.get(0).slaves);
      for (LinkSet s : added.slaves) {
        if (template.stream().noneMatch(t -> t.facility().equals(s.facility()))) {
          template.add(s);
        }
      }
      int found = -1;
      for (int i = 0; i < set.alts.size(); i++) {
        if (set.alts.get(i).master.target().equals(added.master.target())) {
          found = i;
          break;
        }
      }
      if (found >= 0) {
        set.alts.set(found, added);
        forceLinks = true;
        removeUnusedSlaves(fs, set, template);
      } else {
        set.alts.add(added);
        if (set.alts.get(set.best).priority < added.priority) {
          set.best = set.alts.size() - 1;
        }
      }
      if (!matchSlaves(set, template)) {
        return; // "link %s incorrect for slave %s"
      }
    } else {
      set.alts.add(added);
      if (set.alts.get(set.best).priority < added.priority) {
        set.best = set.alts.size() - 1;
      }
    }
    writeState(fs, set, forceLinks);
  }

  /** {@code removeUnusedSlavesFromTemplate}: slaves no alternative gives a target lose their links. */
  private void removeUnusedSlaves(RpmAlternatives.Files fs, AlternativeSet set, List<LinkSet> template)
      throws IOException {
    for (int i = 0; i < template.size(); i++) {
      LinkSet t = template.get(i);
      boolean found = set.alts.stream().anyMatch(a -> a.slaves.stream()
          .anyMatch(s -> s.title().equals(t.title()) && s.target() != null));
      if (!found) {
        removeLinks(fs, t);
        int last = template.size() - 1;
        if (i != last) {
          template.set(i, template.get(last));
          template.remove(last);
          i--;
        } else {
          template.remove(last);
        }
      }
    }
  }

  /** {@code matchSlaves}: every alternative gets the template's slaves, sorted by link, its own targets kept. */
  private static boolean matchSlaves(AlternativeSet set, List<LinkSet> template) {
    List<LinkSet> sorted = new ArrayList<>(template);
    sorted.sort(Comparator.comparing(LinkSet::facility, AlternativesCommand::strcmp));
    for (Alternative a : set.alts) {
      List<LinkSet> newLinks = new ArrayList<>();
      for (LinkSet t : sorted) {
        LinkSet own = a.slaves.stream().filter(s -> s.title().equals(t.title())).findFirst().orElse(null);
        if (own != null) {
          if (!own.facility().equals(t.facility())) {
            return false;
          }
          newLinks.add(own);
        } else {
          newLinks.add(t.withTarget(null));
        }
      }
      a.slaves = newLinks;
    }
    return true;
  }

  private void removeService(RpmAlternatives.Files fs, String name, String path) throws IOException, Unsupported {
    AlternativeSet set = new AlternativeSet();
    if (readConfig(fs, set, name) != 0) {
      return;
    }
    int i;
    for (i = 0; i < set.alts.size(); i++) {
      if (set.alts.get(i).master.target().equals(path)) {
        break;
      }
    }
    if (i == set.alts.size()) {
      return; // "%s has not been configured as an alternative for %s"
    }
    if (set.alts.size() == 1) {
      removeLinks(fs, set.alts.get(0).master);
      for (LinkSet s : set.alts.get(0).slaves) {
        removeLinks(fs, s);
      }
      fs.removeState(name);
      return;
    }
    String family = set.current != -1 ? set.alts.get(set.current).family : null;
    if (set.current == i) {
      set.current = -1;
    }
    int last = set.alts.size() - 1;
    set.alts.set(i, set.alts.get(last));
    if (set.current == last) {
      set.current = i;
    }
    set.alts.remove(last);
    set.best = 0;
    for (int j = 0; j < set.alts.size(); j++) {
      if (better(set.alts.get(j), set.alts.get(set.best), family)) {
        set.best = j;
      }
    }
    boolean forceLinks = false;
    if (set.current == -1) {
      if (family == null || !family.equals(set.alts.get(set.best).family)) {
        set.auto = true;
      } else {
        forceLinks = true;
      }
      set.current = set.best;
    }
    writeState(fs, set, forceLinks);
  }

  /** {@code altBetter}. */
  private static boolean better(Alternative candidate, Alternative old, String family) {
    if (family == null || eq(old.family, family) == eq(candidate.family, family)) {
      return candidate.priority > old.priority;
    }
    return eq(candidate.family, family);
  }

  private static boolean eq(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }

  private void setService(RpmAlternatives.Files fs) throws IOException, Unsupported {
    AlternativeSet set = new AlternativeSet();
    if (readConfig(fs, set, title) != 0) {
      return;
    }
    int found = -1;
    for (int i = 0; i < set.alts.size(); i++) {
      if (set.alts.get(i).master.target().equals(target)) {
        found = i;
        break;
      }
    }
    if (found == -1) {
      for (int i = 0; i < set.alts.size(); i++) {
        Alternative a = set.alts.get(i);
        if (a.family != null && a.family.equals(target) && (found == -1 || a.priority > set.alts.get(found).priority)) {
          found = i;
        }
      }
    }
    if (found == -1) {
      return;
    }
    set.current = found;
    set.auto = false;
    writeState(fs, set, true);
  }

  private void autoService(RpmAlternatives.Files fs) throws IOException, Unsupported {
    AlternativeSet set = new AlternativeSet();
    if (readConfig(fs, set, title) != 0) {
      return;
    }
    set.current = set.best;
    set.auto = true;
    writeState(fs, set, false);
  }

  /** {@code writeState}: the state file, then the links of the current alternative. */
  private void writeState(RpmAlternatives.Files fs, AlternativeSet set, boolean forceLinks)
      throws IOException, Unsupported {
    if (set.alts.stream().anyMatch(a -> a.initscript != null)) {
      // The program would run systemctl or chkconfig for the alternatives' services.
      throw new Unsupported("an alternative with an initscript");
    }
    Alternative first = set.alts.get(0);
    StringBuilder f = new StringBuilder();
    f.append(set.auto ? "auto" : "manual").append('\n');
    f.append(first.master.facility()).append('\n');
    for (LinkSet s : first.slaves) {
      f.append(s.title()).append('\n').append(s.facility()).append('\n');
    }
    f.append('\n');
    for (Alternative a : set.alts) {
      f.append(a.master.target()).append('\n');
      if (a.family != null) {
        f.append('@').append(a.family).append('@');
      }
      f.append(a.priority);
      if (a.initscript != null) {
        f.append(' ').append(a.initscript);
      }
      f.append('\n');
      for (LinkSet s : a.slaves) {
        if (s.target() != null) {
          f.append(s.target());
        }
        f.append('\n');
      }
    }
    fs.writeState(first.master.title(), f.toString().getBytes(StandardCharsets.UTF_8));
    if (set.auto) {
      set.current = set.best;
    }
    Alternative alt = set.alts.get(set.current > 0 ? set.current : 0);
    if (forceLinks || set.auto) {
      makeLinks(fs, alt.master);
      for (LinkSet s : alt.slaves) {
        if (s.target() != null) {
          makeLinks(fs, s);
        } else {
          removeLinks(fs, s);
        }
      }
    }
  }

  /** {@code makeLinks}: the generic link to {@code /etc/alternatives/<name>}, that to the target. */
  private static void makeLinks(RpmAlternatives.Files fs, LinkSet l) throws IOException {
    String sl = "/" + RpmAlternatives.ALT_DIR + "/" + l.title();
    if (fs.isLinkOrMissing(l.facility())) {
      if (!sl.equals(fs.readlink(l.facility()).orElse(""))) {
        fs.unlink(l.facility());
        fs.symlink(sl, l.facility());
      }
    } // else: "exists and it is not a symlink", left as it is
    if (!l.target().equals(fs.readlink(sl).orElse(""))) {
      fs.unlink(sl);
      fs.symlink(l.target(), sl);
    }
  }

  /** {@code removeLinks}: both links, where they are symlinks; nothing with {@code --keep-missing}. */
  private void removeLinks(RpmAlternatives.Files fs, LinkSet l) throws IOException {
    if (keepMissing) {
      return;
    }
    fs.unlink("/" + RpmAlternatives.ALT_DIR + "/" + l.title());
    fs.unlink(l.facility());
  }

  /** C's {@code strcmp}: unsigned bytes. */
  private static int strcmp(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
