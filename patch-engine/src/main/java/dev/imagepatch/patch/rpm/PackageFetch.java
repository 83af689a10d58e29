package dev.imagepatch.patch.rpm;

import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.spi.BackendContext;
import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.pkg.io.Fetch;
import dev.imagepatch.pkg.rpm.RpmKeys;
import dev.imagepatch.pkg.rpm.RpmPackage;
import dev.imagepatch.pkg.rpm.RpmSignatures;
import dev.imagepatch.pkg.rpm.repo.Checksum;
import dev.imagepatch.pkg.rpm.repo.RpmRecord;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Downloads a package as dnf does and checks it as dnf and rpm would: the file's checksum and size
 * against primary (always), its header and payload digests, and with {@code gpgcheck=1} its
 * signature against the repository's keys and the database's ({@link RpmSignatures#verify}: a BAD
 * signature is refused always; an unsigned or untrusted one unless unsigned packages are allowed,
 * which is said out loud).
 */
final class PackageFetch {
  private final BackendContext context;
  private final ContentCache cache;
  private final RpmKeys databaseKeys;

  PackageFetch(BackendContext context, ContentCache cache, RpmKeys databaseKeys) {
    this.context = context;
    this.cache = cache;
    this.databaseKeys = databaseKeys;
  }

  static URI location(OpenRepository repo, RpmRecord r) {
    if (r.locationBase() != null) {
      String b = r.locationBase();
      return URI.create(b.endsWith("/") ? b : b + "/").resolve(r.location());
    }
    return repo.repository().base().resolve(r.location());
  }

  /** The verified package (its payload digests are checked again as it is unpacked). */
  RpmPackage fetch(OpenRepository repo, RpmRecord r) throws PatchException {
    URI uri = location(repo, r);
    String what = r.nvra() + " from repository " + repo.id() + " (" + uri + ")";
    context.listener().step("fetching " + r.nvra() + " from " + repo.id());
    RpmPackage p;
    Path file = null;
    try {
      Checksum c = r.checksum();
      c.digest(what);
      file = cache.get(Checksum.algorithm(c.type(), what), c.hex(), r.packageSize(),
          () -> Fetch.get(context.http(), uri).orElseThrow(() -> new IOException(uri + ": not found (HTTP 404)")), what);
      p = RpmPackage.open(file);
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw new PatchException(what + ": " + (file == null ? m : m.replace(file.toString(), r.nvra() + ".rpm")));
    }
    if (!p.name().equals(r.name()) || !p.version().equals(r.version()) || !p.release().equals(r.release())
        || !p.arch().equals(r.arch())) {
      throw new PatchException(what + ": the package is " + p.nevra() + ", not what primary says");
    }
    if (repo.config().gpgcheck()) {
      boolean allow = context.repositories().allowUnsigned();
      try {
        var checks = RpmSignatures.verify(p, repo.keys().forPackages(databaseKeys), allow);
        if (allow && checks.stream().noneMatch(ch -> ch.status() == RpmSignatures.Status.OK)) {
          context.listener().step("WARNING: " + what + " is unsigned or signed by no trusted key, and installed"
              + " anyway (--allow-unsigned)");
        }
      } catch (IOException e) {
        throw new PatchException(what + ": " + e.getMessage().replace(p.file().toString(), r.nvra() + ".rpm")
            + " (gpgcheck=1 in " + repo.config().source() + ")");
      }
    }
    return p;
  }
}
