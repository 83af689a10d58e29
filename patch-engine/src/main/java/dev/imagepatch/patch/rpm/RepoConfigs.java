package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.RepositoryOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The repositories dnf would use for an image: the sections of {@code /etc/dnf/dnf.conf} (else
 * {@code /etc/yum.conf}) other than {@code [main]}, then every {@code *.repo} of the reposdirs
 * ({@code /etc/yum.repos.d}, {@code /etc/yum/repos.d}, {@code /etc/distro.repos.d} on Azure
 * Linux, or dnf.conf's {@code reposdir=}), then the {@code --extra-repository} ones: each a path to
 * a {@code .repo} file, or a base URL (a repository {@code extra-N}, gpgcheck on, keys from
 * {@code --keyring}). {@code --mirror FROM=TO} rewrites base URLs starting with FROM, or gives the
 * repository whose id is FROM the base URL TO (for a metalink-only one).
 */
final class RepoConfigs {
  static final String DNF_CONF = "etc/dnf/dnf.conf";
  static final String YUM_CONF = "etc/yum.conf";
  static final List<String> REPOS_DIRS = List.of("etc/yum.repos.d", "etc/yum/repos.d", "etc/distro.repos.d");

  private RepoConfigs() {}

  /** Whether the image file is one {@link #of} reads (for the backend's needs). */
  static boolean reads(String path) {
    if (path.equals(DNF_CONF) || path.equals(YUM_CONF)) {
      return true;
    }
    for (String dir : REPOS_DIRS) {
      if (path.startsWith(dir + "/") && path.endsWith(".repo") && path.indexOf('/', dir.length() + 1) < 0) {
        return true;
      }
    }
    return false;
  }

  /** The image's {@code [main]} section (dnf.conf, else yum.conf); empty when neither has one. */
  static Optional<YumRepoFile.Section> main(MergedFilesystem image) throws PatchException {
    for (String file : List.of(DNF_CONF, YUM_CONF)) {
      Optional<byte[]> content = image.content(file);
      if (content.isPresent()) {
        for (YumRepoFile.Section s : parse(content.get(), "/" + file)) {
          if (s.id().equals("main")) {
            return Optional.of(s);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether dnf.conf's {@code tsflags} says {@code nodocs} (UBI's does): rpm then leaves %doc files out. */
  static boolean nodocs(MergedFilesystem image) throws PatchException {
    return main(image).map(m -> m.list("tsflags").contains("nodocs")).orElse(false);
  }

  /** Every repository configured, enabled or not, in dnf's order, mirrors applied. */
  static List<RepoConfig> of(MergedFilesystem image, DnfVariables vars, RepositoryOptions options,
      Consumer<String> told) throws PatchException {
    Optional<YumRepoFile.Section> main = main(image);
    RepoConfig.Defaults defaults = main.map(m -> RepoConfig.Defaults.of(m, vars)).orElse(RepoConfig.Defaults.DNF);
    Map<String, RepoConfig> byId = new LinkedHashMap<>();
    for (String conf : List.of(DNF_CONF, YUM_CONF)) {
      Optional<byte[]> content = image.content(conf);
      if (content.isPresent()) {
        for (YumRepoFile.Section s : parse(content.get(), "/" + conf)) {
          if (!s.id().equals("main")) {
            add(byId, RepoConfig.of(s, vars, defaults, true), told);
          }
        }
        break;
      }
    }
    List<String> dirs = main.map(m -> m.list("reposdir")).filter(l -> !l.isEmpty())
        .map(l -> l.stream().map(d -> d.replaceFirst("^/+", "")).toList()).orElse(REPOS_DIRS);
    for (String dir : dirs) {
      for (Map.Entry<String, byte[]> f : image.contentsUnder(dir).entrySet()) {
        if (f.getKey().endsWith(".repo")) {
          for (YumRepoFile.Section s : parse(f.getValue(), "/" + dir + "/" + f.getKey())) {
            add(byId, RepoConfig.of(s, vars, defaults, true), told);
          }
        }
      }
    }
    List<String> extra = options.extraRepositories();
    for (int i = 0; i < extra.size(); i++) {
      String e = extra.get(i).strip();
      if (e.matches("(?i)(https?|file):.*")) {
        YumRepoFile.Section s = new YumRepoFile.Section("extra-" + (i + 1), Map.of("baseurl", e, "gpgcheck", "1"),
            "--extra-repository " + e);
        add(byId, RepoConfig.of(s, vars, defaults, false), told);
        continue;
      }
      Path file = Path.of(e);
      if (!Files.isRegularFile(file)) {
        throw new PatchException("--extra-repository " + e + ": for rpm images an extra repository is a .repo file"
            + " (dnf's syntax) or a base URL (http://, https://, file:), and " + e + " is neither");
      }
      byte[] content;
      try {
        content = Files.readAllBytes(file);
      } catch (IOException ex) {
        throw new PatchException("--extra-repository " + e + ": " + ex.getMessage());
      }
      for (YumRepoFile.Section s : parse(content, file.toString())) {
        if (!s.id().equals("main")) {
          add(byId, RepoConfig.of(s, vars, defaults, false), told);
        }
      }
    }
    List<RepoConfig> out = new ArrayList<>();
    for (RepoConfig r : byId.values()) {
      out.add(mirrored(r, options));
    }
    return out;
  }

  private static void add(Map<String, RepoConfig> byId, RepoConfig r, Consumer<String> told) {
    RepoConfig earlier = byId.put(r.id(), r);
    if (earlier != null) {
      told.accept("repository " + r.id() + " of " + r.source() + " replaces the one of " + earlier.source());
    }
  }

  static RepoConfig mirrored(RepoConfig r, RepositoryOptions options) {
    String byId = options.mirrors().get(r.id());
    if (byId != null) {
      return r.withBaseurls(List.of(byId));
    }
    List<String> urls = new ArrayList<>();
    boolean changed = false;
    for (String url : r.baseurls()) {
      String m = options.mirrored(url);
      changed |= !m.equals(url);
      urls.add(m);
    }
    return changed ? r.withBaseurls(urls) : r;
  }

  private static List<YumRepoFile.Section> parse(byte[] content, String source) throws PatchException {
    try {
      return YumRepoFile.parse(new String(content, StandardCharsets.UTF_8), source);
    } catch (IllegalArgumentException e) {
      throw new PatchException(e.getMessage());
    }
  }
}
