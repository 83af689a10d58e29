package dev.imagepatch.patch.rpm;

import dev.imagepatch.layer.MergedFilesystem;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.pkg.rpm.RpmKeys;
import dev.imagepatch.pkg.rpm.repo.RepomdSignature;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * The OpenPGP keys one repository is checked with, as dnf gathers them: the files its
 * {@code gpgkey=} names ({@code file://} paths read from the image; keys dnf would download over
 * http(s) are taken only from {@code --keyring}), plus every {@code --keyring} file. Packages are
 * checked against those and the keys the image's rpm database already holds ({@code gpg-pubkey}),
 * as rpm checks them against its keyring once dnf has imported the repository's keys.
 */
record RepoKeys(Map<String, byte[]> armored) {
  /** Image paths of key files, for the backend's needs (distributions keep them here). */
  static boolean reads(String path) {
    return path.startsWith("etc/pki/rpm-gpg/") || path.startsWith("usr/share/distribution-gpg-keys/");
  }

  static RepoKeys of(RepoConfig repo, MergedFilesystem image, List<Path> keyring) throws PatchException {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    for (String url : repo.gpgkeys()) {
      URI uri;
      try {
        uri = URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new PatchException(repo.source() + ": gpgkey " + url + " is not a URL");
      }
      if ("file".equals(uri.getScheme()) && repo.fromImage()) {
        Optional<byte[]> content = image.content(uri.getPath());
        if (content.isEmpty() && keyring.isEmpty()) {
          throw new PatchException(repo.source() + ": gpgkey " + url + " is not in the image (or not a file under"
              + " /etc/pki/rpm-gpg or /usr/share/distribution-gpg-keys); give the repository's key with --keyring");
        }
        content.ifPresent(c -> keys.put(url + " (in the image)", c));
      } else if ("file".equals(uri.getScheme())) {
        try {
          keys.put(url, Files.readAllBytes(Path.of(uri)));
        } catch (IOException | IllegalArgumentException e) {
          throw new PatchException(repo.source() + ": gpgkey " + url + " unreadable: " + e.getMessage());
        }
      } else if (keyring.isEmpty()) {
        throw new PatchException(repo.source() + ": gpgkey " + url + " would be downloaded, and a key fetched from"
            + " where the packages come from proves nothing; give the repository's key with --keyring");
      }
    }
    for (Path p : keyring) {
      try {
        keys.put(p.toString(), Files.readAllBytes(p));
      } catch (IOException e) {
        throw new PatchException("--keyring " + p + ": " + e.getMessage());
      }
    }
    return new RepoKeys(keys);
  }

  boolean isEmpty() {
    return armored.isEmpty();
  }

  /** As repomd.xml.asc is checked; null when there are none (RpmRepository then needs no signature). */
  PGPPublicKeyRingCollection forRepomd() throws IOException {
    return armored.isEmpty() ? null : RepomdSignature.keyring(armored);
  }

  /** As packages are checked: these keys and the database's. */
  RpmKeys forPackages(RpmKeys database) throws IOException {
    return armored.isEmpty() ? database : RpmKeys.fromArmored(armored).plus(database);
  }
}
