package dev.imagepatch.patch.rpm;

import java.util.List;

/**
 * One repository as dnf configures it from a {@code .repo} section, variables substituted and
 * defaults applied from {@code [main]} and dnf's own (priority 99, cost 1000, gpgcheck and
 * repo_gpgcheck off unless the image's dnf.conf or the section turns them on).
 *
 * @param baseurls the base URLs (after {@code --mirror}); empty when only a mirrorlist or metalink is given
 * @param mirrorlist the {@code mirrorlist=} or {@code metalink=} URL, null when none
 * @param fromImage whether the image configures it (not an {@code --extra-repository})
 * @param skipIfUnavailable dnf's {@code skip_if_unavailable}: a repository that cannot be read is left out
 * @param urlFromUser whether the base URL is the user's (an extra repository, or an image's rewritten by
 *     {@code --mirror}): only then may it be local ({@code file:})
 * @param source the file and section, for messages
 */
record RepoConfig(String id, List<String> baseurls, String mirrorlist, boolean enabled, boolean gpgcheck,
    boolean repoGpgcheck, List<String> gpgkeys, int priority, int cost, boolean moduleHotfixes,
    List<String> excludepkgs, List<String> includepkgs, boolean skipIfUnavailable, boolean fromImage,
    boolean urlFromUser, String source) {

  /** dnf's defaults for a section's unset options, from {@code [main]}. */
  record Defaults(boolean gpgcheck, boolean repoGpgcheck, boolean skipIfUnavailable, List<String> excludepkgs) {
    static final Defaults DNF = new Defaults(false, false, false, List.of());

    static Defaults of(YumRepoFile.Section main, DnfVariables vars) {
      List<String> exclude = new java.util.ArrayList<>(main.list("excludepkgs"));
      exclude.addAll(main.list("exclude"));
      return new Defaults(main.flag("gpgcheck", false), main.flag("repo_gpgcheck", false),
          main.flag("skip_if_unavailable", false), exclude.stream().map(vars::substitute).toList());
    }
  }

  static RepoConfig of(YumRepoFile.Section s, DnfVariables vars, Defaults defaults, boolean fromImage) {
    String mirror = s.get("metalink") != null && !s.get("metalink").isBlank() ? s.get("metalink") : s.get("mirrorlist");
    List<String> exclude = new java.util.ArrayList<>(defaults.excludepkgs());
    exclude.addAll(s.list("excludepkgs").stream().map(vars::substitute).toList());
    exclude.addAll(s.list("exclude").stream().map(vars::substitute).toList());
    return new RepoConfig(vars.substitute(s.id()), s.list("baseurl").stream().map(vars::substitute).toList(),
        mirror == null || mirror.isBlank() ? null : vars.substitute(mirror.strip()), s.flag("enabled", true),
        s.flag("gpgcheck", defaults.gpgcheck()), s.flag("repo_gpgcheck", defaults.repoGpgcheck()),
        s.list("gpgkey").stream().map(vars::substitute).toList(), s.number("priority", 99), s.number("cost", 1000),
        s.flag("module_hotfixes", false), List.copyOf(exclude),
        s.list("includepkgs").stream().map(vars::substitute).toList(),
        s.flag("skip_if_unavailable", defaults.skipIfUnavailable()), fromImage, !fromImage, s.source());
  }

  /** This repository with other base URLs (a {@code --mirror} rewrite). */
  RepoConfig withBaseurls(List<String> urls) {
    return new RepoConfig(id, List.copyOf(urls), mirrorlist, enabled, gpgcheck, repoGpgcheck, gpgkeys, priority, cost,
        moduleHotfixes, excludepkgs, includepkgs, skipIfUnavailable, fromImage, true, source);
  }

  /** Whether dnf's excludepkgs/includepkgs let {@code name} through (globs on the name). */
  boolean admits(String name) {
    for (String glob : excludepkgs) {
      if (glob(glob, name)) {
        return false;
      }
    }
    return includepkgs.isEmpty() || includepkgs.stream().anyMatch(g -> glob(g, name));
  }

  static boolean glob(String glob, String name) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        case '[', ']' -> re.append(c);
        default -> re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
      }
    }
    try {
      return name.matches(re.toString());
    } catch (java.util.regex.PatternSyntaxException e) {
      return glob.equals(name);
    }
  }
}
