package dev.imagepatch.pkg;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A CPU architecture as OCI platforms name it (Go's {@code GOARCH} and a variant), and the name
 * each package manager gives it. The one table of architecture names: image platforms, scanner
 * reports and package indexes all go through it, so {@code x86_64}, {@code amd64} and
 * {@code ppc64el} meet as the same thing.
 *
 * @param name Go's name: {@code amd64}, {@code arm64}, {@code arm}, {@code 386}, ...
 * @param variant the normalized variant ({@code v8} for arm64, {@code v5}..{@code v8} for arm), or ""
 */
public record Architecture(String name, String variant) {
  public Architecture {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(variant, "variant");
  }

  /**
   * The architecture a platform, report or package index names, with every alias resolved
   * ({@code x86_64}, {@code aarch64}, {@code i686}, {@code armhf}, {@code ppc64el}, ...) and the
   * default variant made explicit. Names it does not know are kept, lowercased.
   */
  public static Architecture of(String architecture, String variant) {
    String a = architecture.toLowerCase(Locale.ROOT);
    String v = variant == null ? "" : variant.toLowerCase(Locale.ROOT);
    switch (a) {
      case "x86_64", "x86-64", "amd64" -> {
        a = "amd64";
        if (v.equals("v1")) {
          v = "";
        }
      }
      case "i386", "i486", "i586", "i686", "386", "x86" -> a = "386";
      case "aarch64", "arm64" -> {
        a = "arm64";
        if (v.isEmpty() || v.equals("8") || v.equals("v8")) {
          v = "v8";
        }
      }
      case "armhf", "armv7", "armv7hl", "armv7l" -> {
        a = "arm";
        v = "v7";
      }
      case "armel", "armv6hl", "armv6l" -> {
        a = "arm";
        v = "v6";
      }
      case "arm" -> {
        if (v.isEmpty() || v.equals("7")) {
          v = "v7";
        } else if (v.matches("[5-8]")) {
          v = "v" + v;
        }
      }
      case "ppc64el", "ppc64le" -> a = "ppc64le";
      case "mips64el", "mips64le" -> a = "mips64le";
      case "loongarch64", "loong64" -> a = "loong64";
      default -> { }
    }
    return new Architecture(a, v);
  }

  /**
   * The key reports, per-platform tags and messages use: the name, and the variant unless it is
   * the name's default ({@code amd64}, {@code arm64}, {@code arm/v7}, {@code amd64/v3}).
   */
  public String key() {
    boolean defaultVariant = variant.isEmpty() || name.equals("arm64") && variant.equals("v8");
    return defaultVariant ? name : name + "/" + variant;
  }

  /** What {@code manager} calls this architecture in its indexes and database, if it has a name for it. */
  public Optional<String> nameFor(PackageManager manager) {
    String v = variant;
    String n = switch (manager) {
      case DPKG -> switch (name) {
        case "amd64", "arm64", "s390x", "riscv64", "loong64" -> name;
        case "386" -> "i386";
        case "ppc64le" -> "ppc64el";
        case "mips64le" -> "mips64el";
        case "arm" -> v.equals("v7") || v.equals("v8") ? "armhf" : "armel";
        default -> null;
      };
      case APK -> switch (name) {
        case "amd64" -> "x86_64";
        case "386" -> "x86";
        case "arm64" -> "aarch64";
        case "arm" -> v.equals("v7") || v.equals("v8") ? "armv7" : "armhf";
        case "ppc64le", "s390x", "riscv64" -> name;
        case "loong64" -> "loongarch64";
        default -> null;
      };
      case RPM -> switch (name) {
        case "amd64" -> "x86_64";
        case "386" -> "i686";
        case "arm64" -> "aarch64";
        case "arm" -> v.equals("v7") || v.equals("v8") ? "armv7hl" : "armv6hl";
        case "ppc64le", "s390x", "riscv64" -> name;
        case "loong64" -> "loongarch64";
        default -> null;
      };
    };
    return Optional.ofNullable(n);
  }
}
